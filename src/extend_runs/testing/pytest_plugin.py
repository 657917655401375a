"""pytest fixtures for the fake Extend server, loaded automatically with extend-runs.

Fixtures:
    extend_fake: a ``FakeExtend`` with 250 generated runs (seed 0); arm faults on it and
        read ``extend_fake.requests`` in your test.
    extend_client: an ``extend_runs.Client`` talking to ``extend_fake`` in process, that
        retries at once (``max_retry_wait=0``): a "429, then success" test takes
        milliseconds. Retries still happen, and are still counted.
    async_extend_client: an ``extend_runs.AsyncClient`` doing the same.

Example:
    >>> def test_counts_failed_runs(extend_client, extend_fake):  # doctest: +SKIP
    ...     failed = list(extend_client.list_processor_runs(status="FAILED"))
    ...     assert len(failed) == len(extend_fake.runs(status="FAILED"))

Nothing heavy is imported until a fixture is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator, Iterator

import pytest

if TYPE_CHECKING:
    from extend_runs import AsyncClient, Client
    from extend_runs.testing import FakeExtend

FIXTURE_RUNS = 250
"""How many runs ``extend_fake`` serves."""

try:  # Under asyncio_mode=strict an async fixture must be declared through pytest-asyncio.
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio, async tests cannot run anyway
    _async_fixture = pytest.fixture  # type: ignore[assignment]


@pytest.fixture
def extend_fake() -> FakeExtend:
    """A fresh ``FakeExtend`` with 250 generated runs (seed 0)."""
    from extend_runs.testing import FakeExtend

    return FakeExtend(FIXTURE_RUNS, seed=0)


@pytest.fixture
def extend_client(extend_fake: FakeExtend) -> Iterator[Client]:
    """An ``extend_runs.Client`` wired to ``extend_fake`` in process; closed after the test."""
    import httpx

    from extend_runs import Client

    http_client = httpx.Client(transport=extend_fake.transport())
    client = Client(
        api_key=extend_fake.api_key,
        base_url=extend_fake.base_url,
        http_client=http_client,
        max_retry_wait=0,
    )
    try:
        yield client
    finally:
        client.close()
        http_client.close()


@_async_fixture
async def async_extend_client(extend_fake: FakeExtend) -> AsyncIterator[AsyncClient]:
    """An ``extend_runs.AsyncClient`` wired to ``extend_fake`` in process."""
    import httpx

    from extend_runs import AsyncClient

    http_client = httpx.AsyncClient(transport=extend_fake.async_transport())
    client = AsyncClient(
        api_key=extend_fake.api_key,
        base_url=extend_fake.base_url,
        http_client=http_client,
        max_retry_wait=0,
    )
    try:
        yield client
    finally:
        await client.aclose()
        await http_client.aclose()
