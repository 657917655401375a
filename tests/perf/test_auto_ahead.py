"""prefetch="auto": fetch ahead only while the network is what the caller waits for."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from extend_runs import AsyncClient, Client
from extend_runs._fetchers import AutoAhead
from tests.conftest import API_KEY, Harness
from tests.perf.server import ListingServer, make_runs


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def walk(auto: AutoAhead, clock: Clock, pages: list[tuple[float, float]]) -> list[bool]:
    """Feed (caller's time over a page, the request's time) pairs; the decision after each."""
    decisions = []
    for consumed, took in pages:
        clock.now += consumed
        auto.caller_arrived()
        clock.now += took
        auto.request_took(took)
        auto.caller_left()
        decisions.append(auto.on)
    return decisions


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        # A fast local server: requests as quick as the caller's work; never on.
        ([(0.0, 0.003), (0.004, 0.003), (0.004, 0.003), (0.004, 0.003)], [False] * 4),
        # 250 ms a page against 2 ms of work: on from the second page and stays on.
        ([(0.0, 0.25), (0.002, 0.25), (0.002, 0.25), (0.002, 0.25)], [False, True, True, True]),
        # On while slow; off once a request takes less than the caller's time over a page.
        (
            [(0.0, 0.25), (0.002, 0.25), (0.002, 0.001), (0.004, 0.001)],
            [False, True, False, False],
        ),
        # A caller slower than the network has nothing to gain.
        ([(0.0, 0.05), (0.2, 0.05), (0.2, 0.05)], [False, False, False]),
    ],
)
def test_auto_ahead_turns_on_when_requests_outlast_the_callers_work(
    pages: list[tuple[float, float]], expected: list[bool]
) -> None:
    clock = Clock()
    assert walk(AutoAhead(clock=clock), clock, pages) == expected


def test_prefetch_auto_lists_exactly_the_plain_listing(harness: Harness) -> None:
    runs = make_runs(95)
    plain, _ = harness.collect(ListingServer(runs), max_page_size=10)
    auto, _ = harness.collect(ListingServer(runs), max_page_size=10, prefetch="auto")
    assert [run.id for run in auto] == [run.id for run in plain]


def test_a_whole_listing_is_fetched_in_pages_of_1000_unless_told_otherwise() -> None:
    server = ListingServer(make_runs(30))
    client = Client(
        api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    assert len(client.list_processor_runs().to_dicts()) == 30
    assert {request.url.params["maxPageSize"] for request in server.requests} == {"1000"}
    server.requests.clear()
    assert len(client.list_processor_runs(max_page_size=7).to_dicts()) == 30
    assert {request.url.params["maxPageSize"] for request in server.requests} == {"7"}
    server.requests.clear()
    assert len(list(client.list_processor_runs())) == 30  # a plain loop: the server's default
    assert all("maxPageSize" not in request.url.params for request in server.requests)


def test_prefetch_takes_true_false_auto_or_none_only() -> None:
    with pytest.raises(ValueError, match="prefetch must be True, False, 'auto' or None"):
        Client(api_key=API_KEY).list_processor_runs(prefetch="always")  # type: ignore[arg-type]


class SlowServer(ListingServer):
    """A listing that takes 30 ms a page and notes which thread sent each request."""

    def __init__(self, runs: int) -> None:
        super().__init__(make_runs(runs))
        self.senders: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.senders.append(threading.current_thread().name)
        time.sleep(0.03)  # the network's latency, not a wait for another thread
        return super().__call__(request)


@pytest.mark.parametrize(
    ("prefetch", "ahead"),
    [(None, True), ("auto", True), (False, False), (True, True)],
)
def test_to_dicts_fetches_ahead_on_a_slow_server_unless_prefetch_is_false(
    prefetch: object, ahead: bool
) -> None:
    server = SlowServer(60)
    client = Client(
        api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    pager = client.list_processor_runs(max_page_size=10, prefetch=prefetch)  # type: ignore[arg-type]
    assert len(pager.to_dicts()) == 60
    caller = threading.current_thread().name
    assert any(sender != caller for sender in server.senders) is ahead


def test_a_loop_with_the_default_prefetch_fetches_inline_even_on_a_slow_server() -> None:
    server = SlowServer(60)
    client = Client(
        api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    assert len(list(client.list_processor_runs(max_page_size=10))) == 60
    assert set(server.senders) == {threading.current_thread().name}


@pytest.mark.parametrize(("prefetch", "ahead"), [(None, False), ("auto", True), (True, True)])
def test_an_async_to_dicts_fetches_inline_unless_asked_to_fetch_ahead(
    prefetch: object, ahead: bool
) -> None:
    """An async whole-listing call never awaits between pages, so fetching ahead could
    not overlap anything: left to itself it fetches in the caller's task."""
    runs = ListingServer(make_runs(60))
    senders: list[object] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        senders.append(asyncio.current_task())
        await asyncio.sleep(0.03)  # the network's latency
        return runs(request)

    async def main() -> tuple[int, object]:
        transport = httpx.MockTransport(handler)
        async with AsyncClient(
            api_key=API_KEY, http_client=httpx.AsyncClient(transport=transport)
        ) as client:
            pager = client.list_processor_runs(max_page_size=10, prefetch=prefetch)  # type: ignore[arg-type]
            return len(await pager.to_dicts()), asyncio.current_task()

    count, caller = asyncio.run(main())
    assert count == 60
    assert any(sender is not caller for sender in senders) is ahead
