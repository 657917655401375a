"""Load: 50 async listings at once, and 8 threads on one sync Client, over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from extend_runs.testing import FakeExtend
from extend_runs.testing._server import run_in_thread

from .load import (
    ASYNC_LISTINGS,
    LISTINGS_PER_THREAD,
    THREADS,
    LoadResult,
    async_load,
    new_load_fake,
    thread_load,
)

pytestmark = pytest.mark.integration

PEAK_BOUND = 64 * 1024 * 1024
"""Bytes: a generous ceiling on what the load may allocate at once (server included)."""


@pytest.fixture(scope="module")
def load_server() -> Iterator[tuple[FakeExtend, str]]:
    fake = new_load_fake()
    with run_in_thread(fake.asgi_app()) as url:
        yield fake, url


def _check(result: LoadResult, listings: int) -> None:
    print(
        f"\n{result.listings} listings, {result.runs} runs, {result.requests} requests in "
        f"{result.seconds:.2f} s; tracemalloc peak {result.peak_bytes / 2**20:.1f} MiB; "
        f"pool after: {result.pool}"
    )
    assert result.listings == listings
    assert result.correct == listings  # every listing has exactly its runs, in order
    assert result.pool.active == 0 and result.pool.waiting == 0  # nothing leaked or stuck
    assert 1 <= result.pool.connections <= listings
    assert result.peak_bytes < PEAK_BOUND


def test_fifty_async_listings_at_once(load_server: tuple[FakeExtend, str]) -> None:
    result = async_load(*load_server)
    _check(result, ASYNC_LISTINGS)
    assert result.pool.idle >= 1  # connections went back to the pool for reuse


def test_eight_threads_share_one_sync_client(load_server: tuple[FakeExtend, str]) -> None:
    result = thread_load(*load_server)
    _check(result, THREADS * LISTINGS_PER_THREAD)
    # Threads reuse pooled connections instead of opening one per listing.
    assert result.pool.connections <= THREADS
