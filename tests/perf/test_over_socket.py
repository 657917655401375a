"""Prefetched and partitioned listings against the fake Extend server on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from extend_runs import AsyncClient, Client
from extend_runs.testing import FakeExtend, generate_runs

pytestmark = pytest.mark.integration

VARIANTS = [
    {"prefetch": True},
    {"partition_by": "status"},
    {"partition_by": "source", "sort_by": "createdAt", "sort_dir": "asc"},
]


@pytest.fixture(scope="module")
def fake_url() -> Iterator[tuple[FakeExtend, str]]:
    # 2000 runs created within 20 minutes: many share a second, so the merge meets ties
    # (which it may hand out in any order).
    start = datetime(2025, 11, 3, 9, 0, tzinfo=timezone.utc)
    runs = generate_runs(2000, seed=0, start=start, end=start + timedelta(minutes=20))
    fake = FakeExtend(runs=runs, seed=0)
    with fake.serve() as url:
        yield fake, url


def test_the_fixture_has_runs_that_share_a_second(fake_url: tuple[FakeExtend, str]) -> None:
    created = [run["createdAt"] for run in fake_url[0].runs()]
    assert len(set(created)) < len(created) * 0.7


@pytest.mark.parametrize("variant", VARIANTS)
def test_sync_listing_matches_the_plain_one(
    fake_url: tuple[FakeExtend, str], variant: dict[str, Any]
) -> None:
    fake, url = fake_url
    sort = {key: variant[key] for key in ("sort_by", "sort_dir") if key in variant}
    with Client(api_key=fake.api_key, base_url=url) as client:
        plain = list(client.list_processor_runs(max_page_size=250, **sort))
        fast = list(client.list_processor_runs(max_page_size=250, **variant))
    assert_same_listing(fast, plain, variant.get("sort_by"))


@pytest.mark.parametrize("variant", VARIANTS)
def test_async_listing_matches_the_plain_one(
    fake_url: tuple[FakeExtend, str], variant: dict[str, Any]
) -> None:
    fake, url = fake_url
    sort = {key: variant[key] for key in ("sort_by", "sort_dir") if key in variant}

    async def main() -> tuple[list[str], list[str]]:
        async with AsyncClient(api_key=fake.api_key, base_url=url) as client:
            plain = [r async for r in client.list_processor_runs(max_page_size=250, **sort)]
            pager = client.list_processor_runs(max_page_size=250, **variant)
            return plain, [run async for run in pager]

    plain, fast = asyncio.run(main())
    assert_same_listing(fast, plain, variant.get("sort_by"))


def assert_same_listing(fast: list[Any], plain: list[Any], sort_by: Any) -> None:
    """The same 2000 runs with the same sequence of timestamps (ties in any order)."""
    field = "created_at" if sort_by == "createdAt" else "updated_at"
    assert len(plain) == 2000
    assert sorted(run.id for run in fast) == sorted(run.id for run in plain)
    assert [getattr(run, field) for run in fast] == [getattr(run, field) for run in plain]
