"""A body that cannot be decoded is a connection error, retried; an ``AsyncClient``
outlives the event loop it first ran on."""

from __future__ import annotations

import asyncio

import pytest

from extend_runs import APIConnectionError, AsyncClient, Client, ExtendError

from .drive import Driver
from .hostile import API_KEY, HostileServer

pytestmark = pytest.mark.integration


def first_page(driver: Driver, base_url: str, max_retries: int) -> None:
    if driver.is_async:

        async def main() -> None:
            async with AsyncClient(
                api_key=API_KEY, base_url=base_url, max_retries=max_retries
            ) as client:
                await client.list_processor_runs_page()

        asyncio.run(main())
    else:
        with Client(api_key=API_KEY, base_url=base_url, max_retries=max_retries) as client:
            client.list_processor_runs_page()


def test_an_undecodable_body_is_retried_then_a_connection_error(
    hostile: tuple[HostileServer, str], driver: Driver, waits: list[float]
) -> None:
    server, base_url = hostile
    server.bad_encoding = 100  # every request
    with pytest.raises(APIConnectionError) as caught:
        first_page(driver, base_url, max_retries=2)
    assert isinstance(caught.value, ExtendError)
    assert len(server.requests) == 3  # the first try and two retries
    assert len(waits) == 2


def test_an_undecodable_body_once_is_retried_and_the_listing_completes(
    hostile: tuple[HostileServer, str], driver: Driver, waits: list[float]
) -> None:
    server, base_url = hostile
    server.bad_encoding = 1
    if driver.is_async:

        async def main() -> list[str]:
            async with AsyncClient(api_key=API_KEY, base_url=base_url) as client:
                return [run.id async for run in client.list_processor_runs(max_page_size=500)]

        got = asyncio.run(main())
    else:
        with Client(api_key=API_KEY, base_url=base_url) as client:
            got = [run.id for run in client.list_processor_runs(max_page_size=500)]
    assert got == [run["id"] for run in server.expected()]
    assert len(server.requests) == 4  # three pages, one of them twice


def test_an_async_client_works_from_two_successive_event_loops(
    hostile: tuple[HostileServer, str],
) -> None:
    server, base_url = hostile
    client = AsyncClient(api_key=API_KEY, base_url=base_url)

    async def listing() -> list[str]:
        return [run.id async for run in client.list_processor_runs(max_page_size=400, limit=900)]

    first = asyncio.run(listing())
    second = asyncio.run(listing())
    expected = [run["id"] for run in server.expected()][:900]
    assert first == expected
    assert second == expected
    asyncio.run(client.aclose())
