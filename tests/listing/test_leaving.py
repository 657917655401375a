"""Leaving a loop early does not wait for a page in flight, even one that trickles in.

The hostile server sends the pages after the first one byte at a time, about every
50 ms: no per-read timeout ever trips. Leaving the loop must return while such a body
is still coming (its "finished" event unset), and the request must then be abandoned:
the server sees the client go away. Nothing here is timed; the events say what
happened in which order.

A server may also hold back the headers themselves (``stall``): leaving then must not
wait for the client's timeout either, in the loop, in closing or at the program's exit.
Those tests do measure, against a bound far below the timeout they would otherwise wait.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from extend_runs import AsyncClient, Client

from .drive import CLIENT_SETTINGS, MODES
from .hostile import API_KEY, HostileServer, Query, Stall, Trickle

pytestmark = pytest.mark.integration

WAIT = 30.0
"""Seconds to wait for an event that should come at once (a generous bound, not a
measure)."""

LEAVING_MODES = ["prefetch", "status", "auto"]

STALLED_TIMEOUT = 20.0
"""The client's timeout in the tests of stalled requests: what leaving would wait."""

PROMPT = 5.0
"""Seconds within which leaving must be done, and the server see the connection close:
generous, and still far below :data:`STALLED_TIMEOUT`."""

ROOT = Path(__file__).resolve().parents[2]


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


def fetch_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("extend-runs-fetch")}


def assert_cut(stalls: list[Stall]) -> None:
    """Every stalled request's connection was closed by the client, well before its timeout."""
    assert stalls
    for stall in stalls:
        assert stall.disconnected.wait(PROMPT), "a connection waiting for headers was left open"


@pytest.mark.parametrize("connections", ["kept alive", "one per request"])
@pytest.mark.parametrize("mode", LEAVING_MODES)
def test_break_while_a_request_waits_for_its_headers_returns_and_closes_it(
    hostile: tuple[HostileServer, str], mode: str, connections: str
) -> None:
    server, base_url = hostile
    server.stall = later_pages
    server.one_request_per_connection = connections == "one per request"
    before = fetch_threads()
    with Client(api_key=API_KEY, base_url=base_url, timeout=STALLED_TIMEOUT) as client:
        pager = client.list_processor_runs(max_page_size=10, **MODES[mode])
        for _ in pager:
            assert server.stall_started.wait(WAIT)  # a later page's request is held
            leaving = time.monotonic()
            break
        assert time.monotonic() - leaving < PROMPT
        # Checked before the client is closed: closing it must not be what cuts them.
        stalls = list(server.stalls)
        assert_cut(stalls)
    # The held requests came on connections of earlier pages (some at least: partitions
    # may open more while others are busy), or each on a new one.
    reused = [stall.reused for stall in stalls]
    assert any(reused) if connections == "kept alive" else not any(reused)
    for thread in fetch_threads() - before:
        thread.join(PROMPT)
        assert not thread.is_alive(), f"{thread.name} still waits for its request"


@pytest.mark.parametrize("mode", LEAVING_MODES)
def test_async_leaving_while_a_request_waits_for_its_headers_returns_and_closes_it(
    hostile: tuple[HostileServer, str], mode: str
) -> None:
    server, base_url = hostile
    server.stall = later_pages

    async def main() -> float:
        loop = asyncio.get_running_loop()
        async with AsyncClient(
            api_key=API_KEY, base_url=base_url, timeout=STALLED_TIMEOUT
        ) as client:
            runs = client.list_processor_runs(max_page_size=10, **MODES[mode]).__aiter__()
            async for _ in runs:
                assert await loop.run_in_executor(None, server.stall_started.wait, WAIT)
                break
            leaving = time.monotonic()
            await runs.aclose()  # type: ignore[attr-defined]
            took = time.monotonic() - leaving
            for stall in list(server.stalls):
                assert await loop.run_in_executor(None, stall.disconnected.wait, PROMPT)
            return took

    assert asyncio.run(main()) < PROMPT
    assert_cut(list(server.stalls))


@pytest.mark.parametrize("mode", LEAVING_MODES)
def test_a_program_that_leaves_while_a_request_waits_for_its_headers_exits_at_once(
    hostile: tuple[HostileServer, str], mode: str
) -> None:
    server, base_url = hostile
    server.stall = later_pages
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    program = [sys.executable, "-m", "tests.listing.leave_and_exit"]
    with subprocess.Popen(
        [*program, base_url, API_KEY, mode, str(STALLED_TIMEOUT)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stdin is not None
        try:
            assert process.stdout.readline() == "first\n"
            assert server.stall_started.wait(WAIT)
            process.stdin.write("\n")
            process.stdin.flush()
            leaving = time.monotonic()
            out, err = process.communicate(timeout=STALLED_TIMEOUT * 2)
        finally:
            if process.poll() is None:
                process.kill()
        took = time.monotonic() - leaving
    assert process.returncode == 0, err
    assert out == "left\n"
    assert took < PROMPT, f"the program took {took:.1f} s to exit"
    assert_cut(list(server.stalls))


@pytest.mark.parametrize("mode", LEAVING_MODES)
def test_a_request_cut_by_leaving_is_not_retried_nor_logged_as_a_retry(
    hostile: tuple[HostileServer, str], mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, base_url = hostile
    server.stall = later_pages
    before = fetch_threads()
    with (
        caplog.at_level("INFO", logger="extend_runs"),
        Client(api_key=API_KEY, base_url=base_url, timeout=STALLED_TIMEOUT) as client,
    ):
        for _ in client.list_processor_runs(max_page_size=10, **MODES[mode]):
            assert server.stall_started.wait(WAIT)
            break
        assert_cut(list(server.stalls))
        for thread in fetch_threads() - before:
            thread.join(PROMPT)
    assert not [record for record in caplog.records if "retrying" in record.getMessage()]
