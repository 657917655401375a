"""The fake's notion of "now": the wall clock, a fixed moment, or a clock a test controls."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable, Union

NowLike = Union[datetime, Callable[[], datetime], None]
"""What ``now=`` takes: an aware ``datetime`` (a clock that stands still), a callable
returning one (a clock you move), or ``None`` (the wall clock)."""


def to_ms(moment: datetime, name: str = "now") -> int:
    """An aware ``datetime`` as Unix milliseconds; ``ValueError`` for a naive one."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, e.g. datetime(..., tzinfo=timezone.utc)")
    return round(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """Unix milliseconds as an aware UTC ``datetime``."""
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=millis * 1000)


def wall_clock_ms() -> int:
    """The current time in Unix milliseconds."""
    return time.time_ns() // 1_000_000


def clock_ms(now: NowLike) -> Callable[[], int]:
    """A function giving the current time of ``now`` in Unix milliseconds."""
    if now is None:
        return wall_clock_ms
    if isinstance(now, datetime):
        fixed = to_ms(now)
        return lambda: fixed
    if callable(now):
        read = now
        return lambda: to_ms(read())
    raise TypeError(f"now must be a datetime, a callable or None, not {type(now).__name__}")
