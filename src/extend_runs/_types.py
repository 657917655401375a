"""Small shared types: the "not given" sentinel and argument aliases."""

from __future__ import annotations

import enum
from typing import Union

import httpx


class NotGiven(enum.Enum):
    """The type of :data:`NOT_GIVEN`: "inherit the current value", distinct from ``None``."""

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven.NOT_GIVEN
"""Marks an argument the caller did not pass, so ``None`` can keep its own meaning."""

TimeoutTypes = Union[float, httpx.Timeout]
"""A timeout in seconds for every phase, or an :class:`httpx.Timeout` for each phase."""
