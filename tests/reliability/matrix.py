"""The fault matrix: every fault the fake can serve, at three pages of a ten-page listing.

Each case lists 100 runs in pages of 10 over a real socket, with one fault armed for one
page, once or for every attempt. A case passes when the listing either completes with
exactly the expected runs, or raises the documented error with ``pager.next_page_token``
at the page that failed, and a listing resumed from that cursor brings the rest: no run
lost, none repeated, no page fetched more often than the retries explain.

``tests/reliability/test_fault_matrix.py`` asserts each case; ``report.py`` runs them
all and writes the outcome table into ``docs/reliability.md``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Optional, Union

import httpx

from extend_runs import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    Client,
    ExtendError,
    InternalServerError,
    RateLimitError,
    _retry,
)
from extend_runs._constants import DEFAULT_MAX_RETRIES
from extend_runs.testing import FakeExtend, Fault

RUNS = 100
PAGE_SIZE = 10
PAGES = RUNS // PAGE_SIZE
ATTEMPTS = DEFAULT_MAX_RETRIES + 1
POSITIONS = {"first": 1, "middle": 5, "last": PAGES}
MODES = ("sync", "async")
ONCE = "once"
EVERY_ATTEMPT = "every attempt"

READ_TIMEOUT = 0.3
"""Seconds the client waits for a response in the read-timeout case (with room for a
busy machine: every page of the listing gets this timeout, not only the slow one)..."""
SLOW_ANSWER = 0.5
"""...and how late the fake answers there."""

WaitCheck = Callable[[int, float], bool]
"""Whether the wait before retry ``n`` (1-based) is the one the fault calls for."""


def _backoff(retry: int, wait: float) -> bool:
    full = 0.5 * 2.0 ** (retry - 1)
    return 0.75 * full <= wait <= full


@dataclass(frozen=True)
class FaultCase:
    """One kind of fault, what the client should wait before retrying it, and the error."""

    name: str
    fault: Callable[[], Fault]
    error: type[ExtendError]
    retryable: bool = True
    waits: WaitCheck = _backoff
    wait_rule: str = "backoff 0.5 s, 1 s (-25% jitter)"
    timeout: Union[float, httpx.Timeout] = 10.0

    @property
    def persistences(self) -> tuple[str, ...]:
        # A fault that is never retried fails on its first occurrence: "every attempt" is
        # the same case.
        return (ONCE, EVERY_ATTEMPT) if self.retryable else (ONCE,)


CASES: tuple[FaultCase, ...] = (
    FaultCase(
        "429 Retry-After: 1 (seconds)",
        lambda: Fault.rate_limited(retry_after=1),
        RateLimitError,
        waits=lambda _, wait: wait == 1.0,
        wait_rule="1 s, as asked",
    ),
    FaultCase(
        "429 Retry-After: HTTP date 2 s ahead",
        lambda: Fault.rate_limited(retry_after=2, http_date=True),
        RateLimitError,
        # The date has whole seconds, so the wait is what is left of them.
        waits=lambda _, wait: 0.0 <= wait <= 2.0,
        wait_rule="up to 2 s, until the date",
    ),
    FaultCase(
        "429 retry-after-ms: 250",
        lambda: Fault.rate_limited(retry_after=None, retry_after_ms=250),
        RateLimitError,
        waits=lambda _, wait: wait == 0.25,
        wait_rule="0.25 s, as asked",
    ),
    FaultCase("429 without Retry-After", lambda: Fault.rate_limited(None), RateLimitError),
    *(
        FaultCase(
            f"{status} {'HTML' if html else 'JSON'} body",
            partial(Fault.server_error, status, html=html),
            InternalServerError,
        )
        for status in (500, 502, 503, 504)
        for html in (False, True)
    ),
    FaultCase(
        "408 Request Timeout",
        lambda: Fault.http_error(408, code="REQUEST_TIMEOUT", retryable=True),
        APIStatusError,
    ),
    FaultCase(
        "409 Conflict",
        lambda: Fault.http_error(409, code="CONFLICT", retryable=True),
        APIStatusError,
    ),
    FaultCase(
        "connection dropped before the response",
        Fault.drop_connection,
        APIConnectionError,
    ),
    FaultCase(
        f"read timeout ({SLOW_ANSWER} s answer, {READ_TIMEOUT} s timeout)",
        lambda: Fault.delay(SLOW_ANSWER),
        APITimeoutError,
        timeout=httpx.Timeout(10.0, read=READ_TIMEOUT),
    ),
    FaultCase("truncated body", Fault.truncated_body, APIConnectionError),
    FaultCase(
        "malformed JSON (200)",
        Fault.malformed_json,
        APIResponseValidationError,
        retryable=False,
        wait_rule="not retried",
    ),
    FaultCase(
        "missing fields (200)",
        Fault.missing_runs,
        APIResponseValidationError,
        retryable=False,
        wait_rule="not retried",
    ),
    FaultCase(
        "wrong types (200)",
        Fault.wrong_types,
        APIResponseValidationError,
        retryable=False,
        wait_rule="not retried",
    ),
)


@dataclass(frozen=True)
class Scenario:
    """One cell of the matrix."""

    case: FaultCase
    mode: str
    page: int
    persistence: str

    @property
    def id(self) -> str:
        position = next(name for name, page in POSITIONS.items() if page == self.page)
        return f"{self.case.name}|{position} page|{self.persistence}|{self.mode}"

    @property
    def times(self) -> int:
        return 1 if self.persistence == ONCE else ATTEMPTS

    @property
    def raises(self) -> bool:
        """Whether the listing should stop with the case's error (else it completes)."""
        return not self.case.retryable or self.persistence == EVERY_ATTEMPT


def scenarios() -> list[Scenario]:
    """Every cell: each fault, at each position, once or on every attempt, sync and async."""
    return [
        Scenario(case, mode, page, persistence)
        for case in CASES
        for page in POSITIONS.values()
        for persistence in case.persistences
        for mode in MODES
    ]


@dataclass
class Outcome:
    """What one cell did."""

    scenario: Scenario
    expected: list[str]
    runs: list[str] = field(default_factory=list)
    error: Optional[ExtendError] = None
    cursor: Optional[str] = None
    failed_cursor: Optional[str] = None
    requests: int = 0
    waits: list[float] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return len(set(self.expected) - set(self.runs))

    @property
    def repeated(self) -> int:
        return len(self.runs) - len(set(self.runs))

    @property
    def expected_requests(self) -> int:
        """One successful request per page, plus each failed attempt at the faulty page."""
        failed_attempts = self.scenario.times if self.scenario.case.retryable else 1
        return PAGES + failed_attempts

    @property
    def summary(self) -> str:
        if self.error is None:
            return "completed"
        return f"{type(self.error).__name__}, resumed"

    def problems(self) -> list[str]:
        """Everything about this outcome that breaks the promise; empty when it holds."""
        found = []
        scenario = self.scenario
        if self.runs != self.expected:
            found.append(f"runs differ: {self.lost} lost, {self.repeated} repeated")
        if scenario.raises:
            if type(self.error) is not scenario.case.error:
                found.append(f"raised {self.error!r}, not {scenario.case.error.__name__}")
            if self.cursor != self.failed_cursor:
                found.append(f"resume cursor {self.cursor!r}, failed at {self.failed_cursor!r}")
        elif self.error is not None:
            found.append(f"raised {self.error!r} instead of completing")
        if self.requests != self.expected_requests:
            found.append(f"{self.requests} requests, expected {self.expected_requests}")
        expected_waits = scenario.times if scenario.case.retryable else 0
        expected_waits = min(expected_waits, ATTEMPTS - 1)
        if len(self.waits) != expected_waits:
            found.append(f"waited {self.waits}, expected {expected_waits} waits")
        elif not all(scenario.case.waits(n, w) for n, w in enumerate(self.waits, start=1)):
            found.append(f"waits {self.waits} are not {scenario.case.wait_rule}")
        return found


@contextmanager
def recorded_waits() -> Iterator[list[float]]:
    """Record the retry waits of both clients instead of sleeping through them."""
    waits: list[float] = []
    saved = _retry.sleep, _retry.async_sleep

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    _retry.sleep, _retry.async_sleep = waits.append, async_sleep  # type: ignore[assignment]
    try:
        yield waits
    finally:
        _retry.sleep, _retry.async_sleep = saved


def run(scenario: Scenario, fake: FakeExtend, base_url: str) -> Outcome:
    """Run one cell against ``fake`` served at ``base_url``."""
    fake.clear_faults()
    page = scenario.page
    fake.inject(scenario.case.fault(), times=scenario.times, when=lambda r: r.page == page)
    outcome = Outcome(scenario, [run["id"] for run in fake.runs()])
    fake.clear_requests()
    settings: dict[str, Any] = {
        "api_key": fake.api_key,
        "base_url": base_url,
        "timeout": scenario.case.timeout,
    }
    with recorded_waits() as waits:
        if scenario.mode == "sync":
            _drive_sync(settings, outcome)
        else:
            asyncio.run(_drive_async(settings, outcome))
    received = fake.requests
    outcome.waits = waits
    outcome.requests = len(received)
    outcome.failed_cursor = next(
        (r.next_page_token for r in received if r.page == page), "(page never requested)"
    )
    return outcome


def _drive_sync(settings: dict[str, Any], outcome: Outcome) -> None:
    with Client(**settings) as client:
        pager = client.list_processor_runs(max_page_size=PAGE_SIZE)
        try:
            for run in pager:
                outcome.runs.append(run.id)
            return
        except ExtendError as error:
            outcome.error, outcome.cursor = error, pager.next_page_token
        # Resume in a new listing, from nothing but the cursor.
        resumed = client.list_processor_runs(
            max_page_size=PAGE_SIZE, next_page_token=outcome.cursor
        )
        for run in resumed:
            outcome.runs.append(run.id)


async def _drive_async(settings: dict[str, Any], outcome: Outcome) -> None:
    async with AsyncClient(**settings) as client:
        pager = client.list_processor_runs(max_page_size=PAGE_SIZE)
        try:
            async for run in pager:
                outcome.runs.append(run.id)
            return
        except ExtendError as error:
            outcome.error, outcome.cursor = error, pager.next_page_token
        resumed = client.list_processor_runs(
            max_page_size=PAGE_SIZE, next_page_token=outcome.cursor
        )
        async for run in resumed:
            outcome.runs.append(run.id)


def new_fake() -> FakeExtend:
    """The fake every cell lists from: 100 runs, so ten pages of ten."""
    return FakeExtend(RUNS, seed=7)
