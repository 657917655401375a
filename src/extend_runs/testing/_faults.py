"""Faults the fake serves on demand: what to break, and which requests to break."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from ._requests import RecordedRequest

FaultPredicate = Callable[["RecordedRequest"], bool]
"""Chooses the requests a fault applies to, from what was sent."""


@dataclass(frozen=True)
class Fault:
    """Something to go wrong with a response; build one with the class methods.

    Example:
        >>> from extend_runs.testing import FakeExtend, Fault
        >>> fake = FakeExtend(runs=30)
        >>> rule = fake.fail_next(2, Fault.rate_limited(retry_after=1))
        >>> rule.remaining
        2
    """

    kind: str
    status_code: int = 200
    code: Optional[str] = None
    message: Optional[str] = None
    retryable: Optional[bool] = None
    headers: Tuple[Tuple[str, str], ...] = ()
    html: bool = False
    seconds: float = 0.0
    retry_after_date: Optional[float] = None

    @classmethod
    def rate_limited(
        cls,
        retry_after: Optional[float] = 1,
        *,
        retry_after_ms: Optional[int] = None,
        http_date: bool = False,
    ) -> Fault:
        """A 429 ``RATE_LIMIT_EXCEEDED`` (retryable).

        Args:
            retry_after: seconds sent in ``Retry-After``; ``None`` sends no such header.
            retry_after_ms: if given, also sends ``retry-after-ms``.
            http_date: send ``Retry-After`` as an HTTP date ``retry_after`` seconds ahead.

        Example:
            >>> Fault.rate_limited(retry_after=2, http_date=True).status_code
            429
        """
        headers: List[Tuple[str, str]] = []
        if retry_after is not None and not http_date:
            headers.append(("retry-after", _seconds_text(retry_after)))
        if retry_after_ms is not None:
            headers.append(("retry-after-ms", str(retry_after_ms)))
        return cls(
            "error",
            429,
            "RATE_LIMIT_EXCEEDED",
            "Too many requests. Back off and retry.",
            True,
            tuple(headers),
            retry_after_date=retry_after if http_date else None,
        )

    @classmethod
    def server_error(
        cls, status: int = 500, *, html: bool = False, retry_after: Optional[float] = None
    ) -> Fault:
        """A 5xx: Extend's JSON ``INTERNAL_ERROR`` body, or with ``html`` a proxy's HTML page.

        Example:
            >>> Fault.server_error(502, html=True).html
            True
        """
        if status < 500 or status > 599:
            raise ValueError("a server error has a status of 500 to 599")
        headers = () if retry_after is None else (("retry-after", _seconds_text(retry_after)),)
        return cls(
            "error",
            status,
            "INTERNAL_ERROR",
            "An unexpected error occurred. Please retry.",
            True,
            headers,
            html=html,
        )

    @classmethod
    def http_error(
        cls,
        status: int,
        *,
        code: str = "ERROR",
        message: str = "The request failed.",
        retryable: bool = False,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Fault:
        """Any error status with Extend's error body, e.g. 408, 409, 403 or 422.

        Example:
            >>> Fault.http_error(409, code="CONFLICT", retryable=True).status_code
            409
        """
        return cls("error", status, code, message, retryable, tuple((headers or {}).items()))

    @classmethod
    def html_page(cls, status: int = 200, *, title: str = "Sign in") -> Fault:
        """An HTML page instead of JSON, as a login portal or a proxy serves it.

        Example:
            >>> Fault.html_page(title="Sign in to Contoso").status_code
            200
        """
        return cls("html_page", status, message=title, html=True)

    @classmethod
    def malformed_json(cls) -> Fault:
        """A 200 whose body is not JSON (the whole body arrives)."""
        return cls("malformed_json")

    @classmethod
    def truncated_body(cls) -> Fault:
        """A 200 that announces its full length, sends half the body and closes the connection.

        Clients see a connection error while reading (``httpx.RemoteProtocolError``).
        """
        return cls("truncated_body")

    @classmethod
    def missing_runs(cls) -> Fault:
        """A 200 JSON body without ``processorRuns``."""
        return cls("missing_runs")

    @classmethod
    def wrong_types(cls) -> Fault:
        """A 200 JSON body whose fields have the wrong types."""
        return cls("wrong_types")

    @classmethod
    def drop_connection(cls) -> Fault:
        """The connection closes before a complete response (``httpx.RemoteProtocolError``)."""
        return cls("drop_connection")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Serve the normal response, ``seconds`` late (to trigger a client timeout)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def repeat_cursor(cls) -> Fault:
        """Serve the normal page but hand back the cursor it was requested with.

        A request without a cursor is answered normally; use it on a later page.
        """
        return cls("repeat_cursor")


def _seconds_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


@dataclass
class FaultRule:
    """A fault armed for the next ``remaining`` matching requests (``None``: every one).

    Returned by ``FakeExtend.inject`` and ``FakeExtend.fail_next``; ``hits`` counts the
    requests it answered.
    """

    fault: Fault
    remaining: Optional[int]
    when: Optional[FaultPredicate] = None
    hits: int = field(default=0)


class FaultRules:
    """The armed faults, first armed first matched; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: List[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        """Arm ``rule``."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._rules.clear()

    def take(self, request: RecordedRequest) -> Optional[Fault]:
        """The fault to apply to ``request``, if any, using up one of its turns."""
        with self._lock:
            for rule in self._rules:
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.when is not None and not rule.when(request):
                    continue
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule.fault
            return None
