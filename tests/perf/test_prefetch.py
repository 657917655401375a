"""Prefetching: the same runs as a plain listing, one page ahead, errors where they belong."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any, Optional

import httpx
import pytest

from extend_runs import APIStatusError, AsyncClient, Client
from tests.conftest import API_KEY, Harness, json_response
from tests.perf.server import ListingServer, make_runs

RUNS = make_runs(120)
SORTS = list(itertools.product([None, "updatedAt", "createdAt"], [None, "asc", "desc"]))


def ids(runs: list[Any]) -> list[str]:
    return [run.id for run in runs]


@pytest.mark.parametrize(("sort_by", "sort_dir"), SORTS)
def test_prefetched_listing_equals_the_plain_one(
    harness: Any, sort_by: Optional[str], sort_dir: Optional[str]
) -> None:
    kwargs = {"sort_by": sort_by, "sort_dir": sort_dir, "max_page_size": 11}
    plain, _ = harness.collect(ListingServer(RUNS), **kwargs)
    prefetched, pager = harness.collect(ListingServer(RUNS), prefetch=True, **kwargs)
    assert ids(prefetched) == ids(plain) and len(plain) == len(RUNS)
    assert pager.next_page_token is None


def test_prefetched_pages_equal_the_plain_ones(harness: Any) -> None:
    plain = harness.pages(ListingServer(RUNS), max_page_size=50)
    prefetched = harness.pages(ListingServer(RUNS), max_page_size=50, prefetch=True)
    assert [page.next_page_token for page in prefetched] == [p.next_page_token for p in plain]
    assert [ids(page.processor_runs) for page in prefetched] == [
        ids(page.processor_runs) for page in plain
    ]


def test_a_limit_requests_no_page_past_it(harness: Any) -> None:
    server = ListingServer(RUNS)
    runs, _ = harness.collect(server, prefetch=True, limit=25, max_page_size=10)
    assert len(runs) == 25 and len(server.requests) == 3


def test_an_error_surfaces_at_its_page_with_the_cursor_to_resume(harness: Any) -> None:
    failure = json_response(400, {"code": "BAD", "message": "nope"})
    server = ListingServer(RUNS, fail={3: failure})
    pager = harness.pager(server, prefetch=True, max_page_size=10)
    received: list[Any] = []
    with pytest.raises(APIStatusError, match="nope"):
        harness.drain(pager, received)
    plain, _ = harness.collect(ListingServer(RUNS), max_page_size=10)
    assert ids(received) == ids(plain)[:20]  # every run before the failed page, no more
    assert pager.next_page_token == "p+/=:20"  # the failed page's cursor
    resumed, _ = harness.collect(
        ListingServer(RUNS), max_page_size=10, next_page_token=pager.next_page_token
    )
    assert ids(received + resumed) == ids(plain)
    assert ids(received + harness.resume(pager)) == ids(plain)  # or iterate the pager again


class Gate:
    """A handler that tells when the request for a given page has arrived."""

    def __init__(self, server: ListingServer, page: int) -> None:
        self.server = server
        self.page = page
        self.arrived = threading.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.server(request)
        if len(self.server.requests) == self.page:
            self.arrived.set()
        return response


def test_sync_prefetch_requests_the_next_page_while_the_caller_works() -> None:
    gate = Gate(ListingServer(RUNS), page=2)
    client = Client(api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(gate)))
    pager = client.list_processor_runs(prefetch=True, max_page_size=10)
    runs = iter(pager)
    next(runs)  # the caller holds the first run of page 1 and requests nothing more
    assert gate.arrived.wait(timeout=10)
    runs.close()


def test_async_prefetch_requests_the_next_page_while_the_caller_works() -> None:
    async def main() -> None:
        arrived = asyncio.Event()
        server = ListingServer(RUNS)

        async def handler(request: httpx.Request) -> httpx.Response:
            response = server(request)
            if len(server.requests) == 2:
                arrived.set()
            return response

        http_client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        pager = AsyncClient(api_key=API_KEY, http_client=http_client).list_processor_runs(
            prefetch=True, max_page_size=10
        )
        pages = pager.pages()
        await pages.__anext__()
        await asyncio.wait_for(arrived.wait(), timeout=10)
        await pages.aclose()

    asyncio.run(main())


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("extend-runs-fetch")]


def test_breaking_out_leaves_no_background_thread_behind() -> None:
    server = ListingServer(RUNS)
    client = Client(
        api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    pager = client.list_processor_runs(prefetch=True, max_page_size=10)
    for _ in pager:
        break
    # Leaving does not wait for the page in flight; the abandoned thread ends by itself.
    for thread in prefetch_threads():
        thread.join(timeout=10)
    assert prefetch_threads() == []
    # Resume-safe: the page in flight was dropped; the listing goes on after the one run
    # yielded, with the rest of page 1.
    assert pager.next_page_token == "p+/=:10"
    plain, _ = Harness("sync").collect(ListingServer(RUNS), max_page_size=10)
    assert ids(list(pager)) == ids(plain)[1:]


def test_closing_an_async_listing_cancels_the_page_in_flight() -> None:
    async def main() -> set[asyncio.Task[Any]]:
        server = ListingServer(RUNS)
        never = asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            response = server(request)
            if len(server.requests) > 1:
                await never.wait()  # page 2 hangs until cancelled
            return response

        http_client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        pager = AsyncClient(api_key=API_KEY, http_client=http_client).list_processor_runs(
            prefetch=True, max_page_size=10
        )
        pages = pager.pages()
        async for _ in pages:
            break
        await pages.aclose()
        assert pager.next_page_token == "p+/=:10"
        return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    assert asyncio.run(main()) == set()
