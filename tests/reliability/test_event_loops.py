"""An AsyncClient used from more than one ``asyncio.run()``, over a real loopback socket."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator

import httpx
import pytest

from extend_runs import AsyncClient, EventLoopClosedError, ExtendError
from extend_runs.testing import FakeExtend

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeExtend, str]]:
    fake = FakeExtend(30, seed=2)
    with fake.serve() as base_url:
        yield fake, base_url


def test_an_async_client_serves_one_asyncio_run_after_another(
    served: tuple[FakeExtend, str],
) -> None:
    fake, base_url = served
    client = AsyncClient(api_key=fake.api_key, base_url=base_url)

    async def ids(**filters: object) -> list[str]:
        return [run.id async for run in client.list_processor_runs(max_page_size=10, **filters)]

    expected = [run["id"] for run in fake.runs()]
    first = asyncio.run(ids())
    second = asyncio.run(ids())  # its pool of the first loop was closed with that loop
    gc.collect()  # an unclosed connection would warn (an error under this suite's settings)

    async def last() -> list[str]:
        try:
            return await ids(limit=5)
        finally:
            await client.aclose()

    third = asyncio.run(last())
    gc.collect()
    assert first == second == expected
    assert third == expected[:5]


def test_an_async_client_used_after_aclose_fails_as_httpx_does(
    served: tuple[FakeExtend, str],
) -> None:
    fake, base_url = served

    async def main() -> None:
        client = AsyncClient(api_key=fake.api_key, base_url=base_url)
        await client.aclose()
        await client.list_processor_runs_page()

    with pytest.raises(RuntimeError, match="client has been closed"):
        asyncio.run(main())


def test_a_handed_in_http_client_from_a_closed_loop_raises_a_typed_error(
    served: tuple[FakeExtend, str],
) -> None:
    fake, base_url = served
    http_client = httpx.AsyncClient()
    client = AsyncClient(
        api_key=fake.api_key, base_url=base_url, http_client=http_client, max_retries=0
    )

    async def first_page(client: AsyncClient) -> int:
        return len((await client.list_processor_runs_page()).processor_runs)

    assert asyncio.run(first_page(client)) == 10
    with pytest.raises(EventLoopClosedError, match="event loop that has closed") as info:
        asyncio.run(first_page(client))
    assert isinstance(info.value, ExtendError) and isinstance(info.value, RuntimeError)

    # The connection of the first loop cannot be closed any more; dropping it warns.
    del client, http_client, info
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
