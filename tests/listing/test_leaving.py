"""Leaving a loop early does not wait for a page in flight, even one that trickles in.

The hostile server sends the pages after the first one byte at a time, about every
50 ms: no per-read timeout ever trips. Leaving the loop must return while such a body
is still coming (its "finished" event unset), and the request must then be abandoned:
the server sees the client go away. Nothing here is timed; the events say what
happened in which order.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from extend_runs import AsyncClient, Client

from .drive import CLIENT_SETTINGS, MODES
from .hostile import API_KEY, HostileServer, Query, Trickle

pytestmark = pytest.mark.integration

WAIT = 30.0
"""Seconds to wait for an event that should come at once (a generous bound, not a
measure)."""

LEAVING_MODES = ["prefetch", "status", "auto"]


def later_pages(query: Query) -> bool:
    return "nextPageToken" in query


def unfinished(server: HostileServer) -> list[bool]:
    """For each body trickled so far: whether it is still incomplete."""
    return [not trickle.finished.is_set() for trickle in server.trickles]


def assert_abandoned(trickles: list[Trickle]) -> None:
    assert trickles
    for trickle in trickles:
        assert trickle.disconnected.wait(WAIT), "the request in flight was never abandoned"
        assert not trickle.finished.is_set()


@pytest.mark.parametrize("mode", LEAVING_MODES)
def test_break_returns_while_a_page_trickles_in_and_abandons_it(
    hostile: tuple[HostileServer, str], mode: str
) -> None:
    server, base_url = hostile
    server.trickle = later_pages
    settings = CLIENT_SETTINGS.get(mode, {})
    with Client(api_key=API_KEY, base_url=base_url, timeout=2.0, **settings) as client:
        pager = client.list_processor_runs(max_page_size=10, **MODES[mode])
        for _ in pager:
            assert server.trickle_started.wait(WAIT)  # a later page is on its way
            break
        still_coming = unfinished(server)
        # Checked before the client is closed: closing it would cut the connection anyway.
        assert still_coming and all(still_coming)
        assert_abandoned(server.trickles)


@pytest.mark.parametrize("mode", LEAVING_MODES)
def test_async_break_returns_while_a_page_trickles_in_and_abandons_it(
    hostile: tuple[HostileServer, str], mode: str
) -> None:
    server, base_url = hostile
    server.trickle = later_pages

    async def main() -> list[bool]:
        loop = asyncio.get_running_loop()

        def wait_for(event: Any) -> Any:
            return loop.run_in_executor(None, event.wait, WAIT)

        settings = CLIENT_SETTINGS.get(mode, {})
        async with AsyncClient(
            api_key=API_KEY, base_url=base_url, timeout=2.0, **settings
        ) as client:
            pager = client.list_processor_runs(max_page_size=10, **MODES[mode])
            async for _ in pager:
                assert await wait_for(server.trickle_started)
                break
            still_coming = unfinished(server)
            assert server.trickles
            for trickle in server.trickles:
                assert await wait_for(trickle.disconnected), "never abandoned"
            return still_coming

    still_coming = asyncio.run(main())
    assert still_coming and all(still_coming)
    assert_abandoned(server.trickles)
