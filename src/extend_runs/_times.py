"""Reading the moments callers pass: timezone-aware datetimes or ISO-8601 strings."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Union

__all__ = ["TimeLike", "aware_time"]

TimeLike = Union[datetime, str]
"""A timezone-aware :class:`~datetime.datetime`, or an ISO-8601 string with an offset or ``Z``."""

_FRACTION = re.compile(r"(\.\d+)")


def aware_time(name: str, value: object) -> datetime:
    """``value`` as an aware datetime in UTC; :class:`ValueError` naming ``name`` otherwise."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = _parse(name, value)
    else:
        raise ValueError(
            f"{name} must be a timezone-aware datetime or an ISO-8601 string, "
            f"got {type(value).__name__}"
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name} must say its timezone (a naive time is ambiguous): give an aware "
            f"datetime or a string ending in Z or an offset such as +00:00, got {value!r}"
        )
    return moment.astimezone(timezone.utc)


def _parse(name: str, text: str) -> datetime:
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    # Older Pythons read only 3 or 6 fractional digits: pad or cut to 6.
    cleaned = _FRACTION.sub(lambda match: (match.group(1) + "000000")[:7], cleaned, count=1)
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"{name} must be an ISO-8601 time such as 2026-11-30T00:00:00Z, got {text!r}"
        ) from None
