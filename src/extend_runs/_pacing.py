"""Client-side pacing: one schedule of request start times, shared by threads and tasks.

A :class:`Pacer` hands out start times. With a rate it spaces them ``1 / rate`` seconds
apart, whoever asks (a thread, a task, a retry); a :meth:`Pacer.pause` moves every
later start past a common point, which is how a partitioned export backs off together
on a 429. Deciding is pure and takes a short lock; waiting is the caller's business
(``time.sleep`` in a thread, ``asyncio.sleep`` on an event loop, which never blocks it).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable, Optional

__all__ = ["Pacer", "check_rate"]


def check_rate(value: Optional[float]) -> Optional[float]:
    """Validate ``max_requests_per_second``: ``None`` or a positive, finite number."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(
            f"max_requests_per_second must be a positive number or None, got {value!r}"
        )
    return float(value)


class Pacer:
    """Spaces request starts at most ``rate`` per second and honours shared pauses.

    Thread-safe: the lock is held only to book a start time, never while waiting.

    Args:
        rate: Requests per second, or ``None`` for no spacing (pauses only).
        clock: Monotonic seconds; injectable for tests.

    Example:
        >>> ticks = iter([0.0, 0.0, 0.0])
        >>> pacer = Pacer(10, clock=lambda: next(ticks))
        >>> [round(pacer.reserve(), 3) for _ in range(3)]
        [0.0, 0.1, 0.2]
    """

    __slots__ = ("_clock", "_interval", "_lock", "_next_start", "_paused_until", "rate")

    def __init__(
        self, rate: Optional[float] = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = check_rate(rate)
        self._interval = 0.0 if self.rate is None else 1.0 / self.rate
        self._clock = clock
        self._lock = threading.Lock()
        self._next_start = -math.inf
        self._paused_until = -math.inf

    def reserve(self) -> float:
        """Book the next start time; return the seconds to wait before sending."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start, self._paused_until)
            self._next_start = start + self._interval
            return start - now

    def pause(self, seconds: float) -> None:
        """Let no request start for ``seconds`` from now (a later pause wins)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def __repr__(self) -> str:
        return f"Pacer(rate={self.rate!r})"
