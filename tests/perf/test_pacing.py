"""Client-side pacing: one spacing of request starts shared by threads, tasks and copies."""

from __future__ import annotations

import asyncio
import math
import threading
from functools import partial
from typing import Any

import httpx
import pytest

from extend_runs import AsyncClient, Client, _retry, _settings
from extend_runs._pacing import Pacer
from tests.conftest import API_KEY, PagedServer


class FakeClock:
    """Monotonic seconds that move only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reservations_are_spaced_by_the_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(4, clock=clock)
    assert [pacer.reserve() for _ in range(3)] == [0.0, 0.25, 0.5]
    clock.now += 10
    assert pacer.reserve() == 0.0


def test_a_pause_holds_back_every_later_start() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    assert pacer.reserve() == 0.0
    pacer.pause(2.0)
    pacer.pause(0.5)  # a shorter pause does not cut the longer one short
    assert pacer.reserve() == 2.0
    clock.now += 2.5
    assert pacer.reserve() == 0.0


def test_threads_share_one_schedule() -> None:
    pacer = Pacer(10, clock=FakeClock())
    delays: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        for _ in range(25):
            delay = pacer.reserve()
            with lock:
                delays.append(delay)

    threads = [threading.Thread(target=book) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(delay, 6) for delay in delays) == [round(i * 0.1, 6) for i in range(200)]


@pytest.mark.parametrize("rate", [0, -1, math.nan, math.inf, True, "10"])
def test_a_bad_rate_is_refused_before_any_request(rate: Any) -> None:
    with pytest.raises(ValueError, match="max_requests_per_second"):
        Client(api_key=API_KEY, max_requests_per_second=rate)
    with pytest.raises(ValueError, match="max_requests_per_second"):
        Client(api_key=API_KEY).with_options(max_requests_per_second=rate)


@pytest.fixture
def paced(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeClock, list[float]]:
    """Pacers on a fake clock; every wait is recorded and moves the clock forward."""
    clock = FakeClock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        clock.now += seconds

    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    monkeypatch.setattr(_settings, "Pacer", partial(Pacer, clock=clock))
    monkeypatch.setattr(_retry, "sleep", sleep)
    monkeypatch.setattr(_retry, "async_sleep", async_sleep)
    return clock, waits


def test_the_client_spaces_its_requests(harness: Any, paced: tuple[FakeClock, list[float]]) -> None:
    _, waits = paced
    server = PagedServer(total=8, page_size=2)
    runs, _ = harness.collect(server, client_kwargs={"max_requests_per_second": 5})
    assert len(runs) == 8
    assert waits == [0.2, 0.2, 0.2]  # four requests, the first one at once


def test_the_async_client_waits_without_blocking_the_loop(
    paced: tuple[FakeClock, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def blocking_sleep(seconds: float) -> None:
        raise AssertionError("the async client must not block its event loop")

    monkeypatch.setattr(_retry, "sleep", blocking_sleep)
    server = PagedServer(total=4, page_size=2)
    transport = httpx.MockTransport(server)

    async def main() -> int:
        client = AsyncClient(
            api_key=API_KEY,
            http_client=httpx.AsyncClient(transport=transport),
            max_requests_per_second=2,
        )
        return len([run async for run in client.list_processor_runs()])

    assert asyncio.run(main()) == 4
    assert paced[1] == [0.5]


def test_copies_share_the_budget_unless_given_their_own(
    paced: tuple[FakeClock, list[float]],
) -> None:
    _, waits = paced
    server = PagedServer(total=2, page_size=2)
    client = Client(
        api_key=API_KEY,
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
        max_requests_per_second=10,
    )
    shared = client.with_options(timeout=5.0)
    own = client.with_options(max_requests_per_second=1)
    unpaced = client.with_options(max_requests_per_second=None)
    assert (shared.max_requests_per_second, own.max_requests_per_second) == (10, 1)
    assert unpaced.max_requests_per_second is None
    for each in (client, shared, unpaced, own, client, own):
        each.list_processor_runs_page()
    # client and shared book one schedule (0.1 s apart); own keeps its own (1 s apart).
    assert waits == [0.1, 0.1, 0.9]
    assert "max_requests_per_second=10.0" in repr(client) and API_KEY not in repr(client)
