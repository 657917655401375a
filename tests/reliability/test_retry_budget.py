"""The retry budget: how long one call can wait between attempts, over a real socket."""

from __future__ import annotations

import asyncio

import pytest

from extend_runs import (
    APIStatusError,
    AsyncClient,
    Client,
    InternalServerError,
    RateLimitError,
)
from extend_runs._constants import MAX_BACKOFF_DELAY, MAX_RETRY_AFTER
from extend_runs.testing import FakeExtend, Fault

pytestmark = pytest.mark.integration


def _first_page(mode: str, base_url: str, api_key: str, max_retries: int = 2) -> APIStatusError:
    """Fetch one page; return the status error it ends in."""

    async def main() -> None:
        async with AsyncClient(api_key=api_key, base_url=base_url, max_retries=max_retries) as c:
            await c.list_processor_runs_page()

    def fetch() -> None:
        if mode == "async":
            asyncio.run(main())
            return
        with Client(api_key=api_key, base_url=base_url, max_retries=max_retries) as client:
            client.list_processor_runs_page()

    with pytest.raises(APIStatusError) as raised:
        fetch()
    return raised.value


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("fault", "error_type", "asked"),
    [
        (Fault.rate_limited(retry_after=3600), RateLimitError, 3600.0),
        (Fault.rate_limited(retry_after=None, retry_after_ms=3_600_000), RateLimitError, 3600.0),
        (Fault.rate_limited(retry_after=7200, http_date=True), RateLimitError, 7200.0),
        (Fault.rate_limited(retry_after=MAX_RETRY_AFTER + 1), RateLimitError, 61.0),
        (Fault.server_error(503, retry_after=3600), InternalServerError, 3600.0),
    ],
    ids=["1 h in seconds", "1 h in ms", "2 h as a date", "61 s", "503 for 1 h"],
)
def test_a_wait_above_the_cap_raises_at_once_carrying_retry_after(
    mode: str,
    fault: Fault,
    error_type: type[APIStatusError],
    asked: float,
    fake: FakeExtend,
    base_url: str,
    waits: list[float],
) -> None:
    fake.inject(fault, times=None)
    error = _first_page(mode, base_url, fake.api_key)
    assert type(error) is error_type
    assert error.retry_after is not None and asked - 2 <= error.retry_after <= asked
    assert waits == []  # no hour-long sleep: not one wait at all
    assert len(fake.requests) == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_wait_at_the_cap_is_honoured_and_the_sleep_is_bounded(
    mode: str, fake: FakeExtend, base_url: str, waits: list[float]
) -> None:
    fake.inject(Fault.rate_limited(retry_after=MAX_RETRY_AFTER), times=None)
    error = _first_page(mode, base_url, fake.api_key, max_retries=5)
    assert type(error) is RateLimitError and error.retry_after == MAX_RETRY_AFTER
    # The longest one call can sleep: max_retries waits of at most MAX_RETRY_AFTER.
    assert waits == [MAX_RETRY_AFTER] * 5
    assert len(fake.requests) == 6


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_backoff_without_retry_after_stays_under_its_ceiling(
    mode: str, fake: FakeExtend, base_url: str, waits: list[float]
) -> None:
    fake.inject(Fault.server_error(503), times=None)
    error = _first_page(mode, base_url, fake.api_key, max_retries=8)
    assert type(error) is InternalServerError
    assert len(waits) == 8 and len(fake.requests) == 9
    assert all(0 < wait <= MAX_BACKOFF_DELAY for wait in waits)
    assert waits[-1] >= 0.75 * MAX_BACKOFF_DELAY  # it does grow to the ceiling
    assert sum(waits) <= 8 * MAX_BACKOFF_DELAY


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_no_retries_means_no_waits(
    mode: str, fake: FakeExtend, base_url: str, waits: list[float]
) -> None:
    fake.inject(Fault.rate_limited(retry_after=1), times=None)
    assert type(_first_page(mode, base_url, fake.api_key, max_retries=0)) is RateLimitError
    assert waits == [] and len(fake.requests) == 1
