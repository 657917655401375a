"""What the fake was sent: one ``RecordedRequest`` per request, kept in a thread-safe log."""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields
from typing import Dict, List, Optional, Tuple

SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")
"""Headers whose values ``repr(RecordedRequest)`` hides."""

_REDACTED = "[redacted]"


@dataclass(frozen=True, repr=False)
class RecordedRequest:
    """One request the fake received, as sent.

    ``headers`` holds what was sent, API key included, for tests to check; the repr (and
    so a failing assertion's message or a log line) shows ``Authorization`` as
    ``Bearer [redacted]``.

    Attributes:
        number: 1 for the fake's first request, then 2, 3, ...
        method: e.g. ``"GET"``.
        path: the URL path, e.g. ``"/processor_runs"``.
        query: the query parameters, decoded (the last value when one is repeated).
        query_items: every query parameter in order, repeats included.
        headers: the request headers, names in lower case.
        next_page_token: the cursor sent, if any.
        page: which page of its listing this request asks for (1 for no cursor, then
            2, 3, ... at the requested page size, counted from where the cursor points
            in the listing as it is now), when the cursor is valid.
        status_code: the status answered, or ``None`` when the connection was dropped
            (filled in once the request has been handled).

    Example:
        >>> from extend_runs.testing import FakeExtend
        >>> fake = FakeExtend(runs=5)
        >>> response = fake.handle("GET", "/processor_runs", [], {})
        >>> fake.requests[0].status_code
        401
    """

    number: int
    method: str
    path: str
    query: Dict[str, str]
    query_items: Tuple[Tuple[str, str], ...]
    headers: Dict[str, str]
    next_page_token: Optional[str] = None
    page: Optional[int] = None
    status_code: Optional[int] = None

    def __repr__(self) -> str:
        shown = []
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "headers":
                value = {name: _redact(name, text) for name, text in value.items()}
            shown.append(f"{field.name}={value!r}")
        return f"RecordedRequest({', '.join(shown)})"


def _redact(name: str, value: str) -> str:
    if name.lower() not in SECRET_HEADERS:
        return value
    scheme, space, _ = value.partition(" ")
    return f"{scheme} {_REDACTED}" if space and name.lower() != "cookie" else _REDACTED


class RequestLog:
    """The recorded requests, in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: List[RecordedRequest] = []
        self._count = 0

    def next_number(self) -> int:
        """A number for the next request."""
        with self._lock:
            self._count += 1
            return self._count

    def append(self, request: RecordedRequest) -> None:
        """Record ``request``."""
        with self._lock:
            self._requests.append(request)

    def snapshot(self) -> List[RecordedRequest]:
        """A copy of the recorded requests."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget the recorded requests (numbering goes on)."""
        with self._lock:
            self._requests.clear()
