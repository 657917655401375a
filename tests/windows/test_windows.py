"""Time windows: exactly the runs of a brute-force filter, and no page past the window."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import httpx
import pytest

from extend_runs import AsyncClient, Client, ProcessorRunSummary
from extend_runs.testing import FakeExtend, generate_runs

START = datetime(2025, 11, 1, tzinfo=timezone.utc)
PAGE = 50


@pytest.fixture(scope="module")
def fake() -> FakeExtend:
    return FakeExtend(generate_runs(1200, seed=4, start=START, end=START + timedelta(days=60)))


def client(fake: FakeExtend, **settings: Any) -> Client:
    http_client = httpx.Client(transport=fake.transport())
    return Client(api_key=fake.api_key, base_url=fake.base_url, http_client=http_client, **settings)


def everything(fake: FakeExtend, field: str) -> list[ProcessorRunSummary]:
    return list(client(fake).list_processor_runs(sort_by=field, max_page_size=1000))


BOUNDS = [(50, None), (None, 10), (20, 27)]


def window_kwargs(prefix: str, since: Optional[int], before: Optional[int]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if since is not None:
        kwargs[f"{prefix}_since"] = START + timedelta(days=since)
    if before is not None:  # as a string, to cover both forms
        kwargs[f"{prefix}_before"] = (START + timedelta(days=before)).isoformat()
    return kwargs


def expected_pages(ordered: list[ProcessorRunSummary], inside: list[bool]) -> int:
    """Pages a windowed listing must read: up to the one holding the far edge's first run out."""
    last_needed = len(ordered) - 1
    first_in = inside.index(True) if any(inside) else len(ordered)
    past = next((i for i in range(first_in, len(ordered)) if not inside[i]), None)
    if past is not None:
        last_needed = past
    return last_needed // PAGE + 1


@pytest.mark.parametrize("prefix", ["created", "updated"])
@pytest.mark.parametrize("sort_dir", ["desc", "asc"])
@pytest.mark.parametrize(("since", "before"), BOUNDS)
@pytest.mark.parametrize("mode", [{}, {"prefetch": True}, {"partition_by": "status"}])
def test_a_window_lists_exactly_its_runs_and_reads_no_page_past_it(
    fake: FakeExtend,
    prefix: str,
    sort_dir: str,
    since: Optional[int],
    before: Optional[int],
    mode: dict[str, Any],
) -> None:
    field = f"{prefix}_at"
    wire = "createdAt" if prefix == "created" else "updatedAt"
    ordered = everything(fake, wire)
    if sort_dir == "asc":
        ordered.reverse()
    low = None if since is None else START + timedelta(days=since)
    high = None if before is None else START + timedelta(days=before)
    inside = [
        (low is None or getattr(run, field) >= low) and (high is None or getattr(run, field) < high)
        for run in ordered
    ]
    wanted = [run for run, keep in zip(ordered, inside) if keep]
    sent = len(fake.requests)
    got = list(
        client(fake).list_processor_runs(
            sort_dir=sort_dir, max_page_size=PAGE, **mode, **window_kwargs(prefix, since, before)
        )
    )
    assert sorted(run.id for run in got) == sorted(run.id for run in wanted)
    assert [getattr(run, field) for run in got] == [getattr(run, field) for run in wanted]
    if not mode:
        assert len(fake.requests) - sent == expected_pages(ordered, inside)


@pytest.mark.parametrize("prefix", ["created", "updated"])
@pytest.mark.parametrize("sort_dir", ["desc", "asc"])
@pytest.mark.parametrize(("since", "before"), BOUNDS)
def test_a_window_on_an_auto_listing_that_splits_resumes_exactly(
    fake: FakeExtend, prefix: str, sort_dir: str, since: Optional[int], before: Optional[int]
) -> None:
    # A budget so large that every status with a second page is split: the window's edges
    # and the cuts' edges narrow the same pages.
    field = f"{prefix}_at"
    low = None if since is None else START + timedelta(days=since)
    high = None if before is None else START + timedelta(days=before)
    wanted = [
        run
        for run in everything(fake, "createdAt" if prefix == "created" else "updatedAt")
        if (low is None or getattr(run, field) >= low)
        and (high is None or getattr(run, field) < high)
    ]
    options: dict[str, Any] = {
        "sort_dir": sort_dir,
        "max_page_size": 20,
        "partition_by": "auto",
        "max_concurrency": 64,
        **window_kwargs(prefix, since, before),
    }
    fast = client(fake, max_requests_per_second=1e9)
    pager = fast.list_processor_runs(**options)
    first = list(itertools.islice(pager, 45))
    rest = list(fast.list_processor_runs(resume_from=pager.checkpoint, **options))
    got = first + rest
    assert sorted(run.id for run in got) == sorted(run.id for run in wanted)
    keys = [getattr(run, field) for run in got]
    assert keys == sorted(keys, reverse=sort_dir == "desc")


def test_an_async_window_and_its_checkpoint(fake: FakeExtend) -> None:
    since = START + timedelta(days=40)
    plain = [run.id for run in client(fake).list_processor_runs(created_since=since)]

    async def main() -> list[str]:
        http_client = httpx.AsyncClient(transport=fake.async_transport())
        async with AsyncClient(
            api_key=fake.api_key, base_url=fake.base_url, http_client=http_client
        ) as async_client:
            pager = async_client.list_processor_runs(created_since=since, max_page_size=PAGE)
            first = []
            async for run in pager:
                first.append(run.id)
                if len(first) == 73:
                    break
            resumed = async_client.list_processor_runs(
                created_since=since, max_page_size=7, resume_from=pager.checkpoint
            )
            return first + [run.id async for run in resumed]

    assert asyncio.run(main()) == plain


def test_a_window_combines_with_filters_and_limit(fake: FakeExtend) -> None:
    since = "2025-12-01T00:00:00Z"
    failed = [run for run in client(fake).list_processor_runs(status="FAILED", updated_since=since)]
    assert failed and all(run.status == "FAILED" for run in failed)
    limited = list(client(fake).list_processor_runs(status="FAILED", updated_since=since, limit=3))
    assert [run.id for run in limited] == [run.id for run in failed[:3]]
    pager = client(fake).list_processor_runs(status="FAILED", updated_since=since, limit=3)
    list(itertools.islice(pager, 2))
    other = client(fake).list_processor_runs(status="FAILED", updated_since="2025-12-02T00:00:00Z")
    with pytest.raises(ValueError, match="different listing"):
        client(fake).list_processor_runs(
            status="FAILED", updated_since="2025-12-02T00:00:00Z", resume_from=pager.checkpoint
        )
    assert other.checkpoint != pager.checkpoint


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"created_since": datetime(2026, 1, 1)}, "created_since must say its timezone"),
        ({"updated_before": "2026-01-01T00:00:00"}, "updated_before must say its timezone"),
        ({"created_since": "yesterday"}, "created_since must be an ISO-8601 time"),
        ({"created_since": 5}, "created_since must be a timezone-aware datetime"),
        (
            {"created_since": "2026-01-02T00:00:00Z", "created_before": "2026-01-01T00:00:00Z"},
            "created_since must be earlier than created_before",
        ),
        (
            {"created_since": "2026-01-01T00:00:00Z", "updated_before": "2026-01-02T00:00:00Z"},
            "one time window",
        ),
        (
            {"created_since": "2026-01-01T00:00:00Z", "sort_by": "updatedAt"},
            "sort_by='updatedAt' names the other field",
        ),
    ],
)
def test_bad_windows_are_refused_before_any_request(
    fake: FakeExtend, kwargs: dict[str, Any], message: str
) -> None:
    sent = len(fake.requests)
    with pytest.raises(ValueError, match=message):
        client(fake).list_processor_runs(**kwargs)
    assert len(fake.requests) == sent
