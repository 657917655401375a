"""Small shared types: the "not given" sentinel and argument aliases."""

from __future__ import annotations

import enum
from typing import Union

import httpx


class NotGiven(enum.Enum):
    """The type of :data:`NOT_GIVEN`: "inherit the current value", distinct from ``None``.

    Use it in annotations of your own wrappers that pass arguments through.

    Example:
        >>> from typing import Union
        >>> from extend_runs import NOT_GIVEN, Client, NotGiven
        >>> def tuned(client: Client, timeout: Union[float, None, NotGiven] = NOT_GIVEN) -> Client:
        ...     return client.with_options(timeout=timeout)
        >>> with Client() as client:
        ...     tuned(client).timeout == client.timeout
        True
    """

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven.NOT_GIVEN
"""Marks an argument the caller did not pass, so ``None`` can keep its own meaning.

In :meth:`Client.with_options`, ``timeout=NOT_GIVEN`` (the default) keeps the client's
timeout while ``timeout=None`` turns timeouts off. It is falsy.

Example:
    >>> from extend_runs import NOT_GIVEN, Client
    >>> with Client(timeout=10.0) as client:
    ...     kept = client.with_options(timeout=NOT_GIVEN)
    ...     unlimited = client.with_options(timeout=None)
    ...     kept.timeout.read, unlimited.timeout.read, bool(NOT_GIVEN), NOT_GIVEN
    (10.0, None, False, NOT_GIVEN)
"""

TimeoutTypes = Union[float, httpx.Timeout]
"""A timeout in seconds for every phase, or an :class:`httpx.Timeout` for each phase."""
