"""Stopping early: a ``break``, a cancelled task or an interrupt leaves the pool healthy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import httpx
import pytest

from extend_runs import AsyncClient, Client, ProcessorRunSummary, _retry
from extend_runs.testing import FakeExtend, Fault

from .load import PoolState
from .matrix import RUNS

pytestmark = pytest.mark.integration

SLOW = 0.3
"""Seconds the fake takes over the page a test cancels."""


def _recording(client: Client | AsyncClient) -> list[httpx.Response]:
    """Keep every response the client receives."""
    responses: list[httpx.Response] = []
    if isinstance(client, Client):
        client._http_client.event_hooks = {"response": [responses.append]}
    else:

        async def keep(response: httpx.Response) -> None:
            responses.append(response)

        client._http_client.event_hooks = {"response": [keep]}
    return responses


def test_breaking_out_of_a_for_loop_returns_the_connection(fake: FakeExtend, base_url: str) -> None:
    with Client(api_key=fake.api_key, base_url=base_url) as client:
        responses = _recording(client)
        for number, _ in enumerate(client.list_processor_runs(max_page_size=10)):
            if number == 15:  # in the middle of the second page
                break
        assert [r.is_closed for r in responses] == [True, True]
        assert PoolState.of(client) == PoolState(connections=1, active=0, idle=1, waiting=0)
        reused = client._http_client._transport._pool.connections[0]  # type: ignore[attr-defined]
        for page in client.list_processor_runs(max_page_size=10).pages():
            assert page.processor_runs
            break
        assert client._http_client._transport._pool.connections == [reused]  # type: ignore[attr-defined]
    assert len(fake.requests) == 3


async def test_breaking_out_of_an_async_for_loop_returns_the_connection(
    fake: FakeExtend, base_url: str
) -> None:
    async with AsyncClient(api_key=fake.api_key, base_url=base_url) as client:
        responses = _recording(client)
        pager = client.list_processor_runs(max_page_size=10)
        async for run in pager:
            if run.id == fake.runs()[15]["id"]:
                break
        assert [r.is_closed for r in responses] == [True, True]
        assert PoolState.of(client) == PoolState(connections=1, active=0, idle=1, waiting=0)
        # The pager resumes with the first run not yet yielded.
        rest = [run.id async for run in pager]
        assert rest == [run["id"] for run in fake.runs()[16:]]
        assert PoolState.of(client) == PoolState(connections=1, active=0, idle=1, waiting=0)


async def _until(fake: FakeExtend, seen: int) -> None:
    """Wait until the fake has received ``seen`` requests (polling, with a deadline)."""
    deadline = time.monotonic() + 10
    while len(fake.requests) < seen:
        assert time.monotonic() < deadline, "the request never reached the fake"
        await asyncio.sleep(0.002)


async def test_cancelling_a_task_mid_page_closes_the_response_and_frees_the_pool(
    fake: FakeExtend, base_url: str
) -> None:
    fake.inject(Fault.delay(SLOW), when=lambda request: request.page == 3)
    async with AsyncClient(api_key=fake.api_key, base_url=base_url) as client:
        responses = _recording(client)
        seen: list[str] = []

        async def listing() -> None:
            async for run in client.list_processor_runs(max_page_size=10):
                seen.append(run.id)

        task = asyncio.create_task(listing())
        await _until(fake, 3)  # the third page is asked for, and the fake is sitting on it
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(seen) == 20 and all(r.is_closed for r in responses)
        state = PoolState.of(client)
        assert state.active == 0 and state.waiting == 0
        # Not retried: a cancellation is not a failure to try again.
        assert [r.page for r in fake.requests] == [1, 2, 3]
        # The pool serves the next listing as if nothing had happened.
        assert len([run async for run in client.list_processor_runs(max_page_size=50)]) == RUNS
        assert PoolState.of(client).active == 0


async def test_cancelling_a_task_during_a_retry_wait_sends_nothing_more(
    fake: FakeExtend, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.inject(Fault.server_error(503), when=lambda request: request.page == 2)
    waiting = asyncio.Event()
    real_sleep = _retry.async_sleep

    async def sleep_and_tell(seconds: float) -> None:
        waiting.set()
        await real_sleep(seconds)

    monkeypatch.setattr(_retry, "async_sleep", sleep_and_tell)
    async with AsyncClient(api_key=fake.api_key, base_url=base_url) as client:

        async def listing() -> list[str]:
            return [run.id async for run in client.list_processor_runs(max_page_size=10)]

        task = asyncio.create_task(listing())
        await waiting.wait()  # the 503 has arrived; the client now waits about 0.5 s
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert [r.status_code for r in fake.requests] == [200, 503]
        assert PoolState.of(client).active == 0


def test_an_interrupt_mid_page_closes_the_response(fake: FakeExtend, base_url: str) -> None:
    # Ctrl-C while a page's body is still to be read, in the sync client.
    def interrupt(response: httpx.Response) -> None:
        if "nextPageToken" in response.request.url.params:
            raise KeyboardInterrupt

    with Client(api_key=fake.api_key, base_url=base_url) as client:
        client._http_client.event_hooks = {"response": [interrupt]}
        pager = client.list_processor_runs(max_page_size=10)
        seen: list[str] = []
        with pytest.raises(KeyboardInterrupt):
            _drain(pager, seen)
        assert len(seen) == 10 and len(fake.requests) == 2  # not retried
        assert PoolState.of(client).active == 0
        client._http_client.event_hooks = {"response": []}
        assert [run.id for run in pager] == [run["id"] for run in fake.runs()[10:]]


def _drain(pager: Iterable[ProcessorRunSummary], into: list[str]) -> None:
    for run in pager:
        into.append(run.id)
