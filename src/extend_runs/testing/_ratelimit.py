"""A sliding-window rate limiter with an injectable clock, like the API's per-second budget."""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Callable, Deque, Optional


class SlidingWindowLimiter:
    """Allows at most ``limit`` requests in any ``window`` seconds of ``clock``."""

    def __init__(self, limit: int, clock: Callable[[], float], window: float = 1.0) -> None:
        if limit < 1:
            raise ValueError("rate_limit must be at least 1 request per second")
        self._limit = limit
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._times: Deque[float] = deque()

    def acquire(self) -> Optional[int]:
        """``None`` when the request may proceed, else whole seconds to wait (at least 1)."""
        with self._lock:
            now = self._clock()
            while self._times and self._times[0] <= now - self._window:
                self._times.popleft()
            if len(self._times) < self._limit:
                self._times.append(now)
                return None
            return max(1, math.ceil(self._times[0] + self._window - now))
