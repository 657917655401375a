"""Load over a real socket: many async listings at once, and threads sharing one Client.

``test_load.py`` asserts on these; ``report.py`` prints their figures into the docs.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Union

import httpx

from extend_runs import AsyncClient, Client
from extend_runs.testing import FakeExtend

LOAD_RUNS = 200
"""Runs the load fake serves."""

ASYNC_LISTINGS = 50
THREADS = 8
LISTINGS_PER_THREAD = 5

_STATUSES = (None, "FAILED", "PROCESSED", "PENDING", "CANCELLED")
_SORTS = ("updatedAt", "createdAt")
_DIRS = ("desc", "asc")


def listing(number: int) -> dict[str, Any]:
    """The filters, sort and page size of listing ``number``: each one a little different."""
    return {
        "status": _STATUSES[number % len(_STATUSES)],
        "sort_by": _SORTS[number % 2],
        "sort_dir": _DIRS[(number // 2) % 2],
        "max_page_size": 20 + number % 13,
    }


def expected(fake: FakeExtend, number: int) -> list[str]:
    """The ids listing ``number`` should yield, in order."""
    filters = {k: v for k, v in listing(number).items() if k != "max_page_size"}
    return [run["id"] for run in fake.runs(**filters)]


@dataclass
class PoolState:
    """The httpcore pool under a client: what is open, busy and waiting."""

    connections: int
    active: int
    idle: int
    waiting: int

    @classmethod
    def of(cls, client: Union[Client, AsyncClient]) -> PoolState:
        http: Union[httpx.Client, httpx.AsyncClient] = client._http_client
        pool = http._transport._pool  # type: ignore[union-attr]
        connections = list(pool.connections)
        idle = sum(1 for c in connections if c.is_idle())
        closed = sum(1 for c in connections if c.is_closed())
        return cls(len(connections), len(connections) - idle - closed, idle, len(pool._requests))


@dataclass
class LoadResult:
    """What one load run did."""

    listings: int
    correct: int
    runs: int
    requests: int
    seconds: float
    peak_bytes: int
    pool: PoolState


def _traced(run: Any) -> tuple[Any, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = run()
        return result, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def async_load(fake: FakeExtend, base_url: str, listings: int = ASYNC_LISTINGS) -> LoadResult:
    """``listings`` listings at once on one ``AsyncClient``."""
    fake.clear_requests()

    async def main() -> tuple[list[list[str]], PoolState]:
        async with AsyncClient(api_key=fake.api_key, base_url=base_url) as client:

            async def one(number: int) -> list[str]:
                pager = client.list_processor_runs(**listing(number))
                return [run.id async for run in pager]

            results = await asyncio.gather(*(one(n) for n in range(listings)))
            return results, PoolState.of(client)

    (results, pool), seconds, peak = _traced(lambda: asyncio.run(main()))
    return _result(fake, results, seconds, peak, pool)


def thread_load(
    fake: FakeExtend,
    base_url: str,
    threads: int = THREADS,
    per_thread: int = LISTINGS_PER_THREAD,
) -> LoadResult:
    """``threads`` threads, each running ``per_thread`` listings, all on one ``Client``."""
    fake.clear_requests()

    def main() -> tuple[list[list[str]], PoolState]:
        with Client(api_key=fake.api_key, base_url=base_url) as client:

            def one(number: int) -> list[str]:
                return [run.id for run in client.list_processor_runs(**listing(number))]

            with ThreadPoolExecutor(threads) as executor:
                results = list(executor.map(one, range(threads * per_thread)))
            return results, PoolState.of(client)

    (results, pool), seconds, peak = _traced(main)
    return _result(fake, results, seconds, peak, pool)


def _result(
    fake: FakeExtend, results: list[list[str]], seconds: float, peak: int, pool: PoolState
) -> LoadResult:
    correct = sum(1 for n, ids in enumerate(results) if ids == expected(fake, n))
    return LoadResult(
        listings=len(results),
        correct=correct,
        runs=sum(len(ids) for ids in results),
        requests=len(fake.requests),
        seconds=seconds,
        peak_bytes=peak,
        pool=pool,
    )


def new_load_fake() -> FakeExtend:
    return FakeExtend(LOAD_RUNS, seed=11)
