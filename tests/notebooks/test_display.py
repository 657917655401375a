"""Reprs and notebook HTML of runs, pages and pagers: readable, bounded, escaped, offline."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from itertools import islice

import httpx
import pytest

from extend_runs import AsyncClient, Client, ProcessorRunsPage
from extend_runs.testing import FakeExtend
from tests.conftest import page_json, run_json

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def fake() -> FakeExtend:
    return FakeExtend(120, seed=3)


@pytest.fixture
def client(fake: FakeExtend) -> Iterator[Client]:
    http_client = httpx.Client(transport=fake.transport())
    with Client(api_key=fake.api_key, base_url=fake.base_url, http_client=http_client) as client:
        yield client


def hostile_page(count: int = 1, token: str | None = "tok<&>") -> ProcessorRunsPage:
    runs = [
        run_json(i, id=f"dpr_{i}{HOSTILE}", processorName=HOSTILE, status="NEW<b>")
        for i in range(count)
    ]
    return ProcessorRunsPage.model_validate(page_json(runs, token))


def test_run_repr_is_one_readable_line() -> None:
    run = ProcessorRunsPage.model_validate(page_json([run_json(7)], None)).processor_runs[0]
    assert repr(run) == (
        "ProcessorRunSummary(id='dpr_000007', status='PROCESSED', type='EXTRACT', "
        "processor_name='Invoice Extractor', processor_id='dp_invoices', "
        "created_at='2025-11-18T14:02:11+00:00', updated_at='2025-11-18T14:03:27.482000+00:00', "
        "credits=1.5)"
    )
    assert str(run) == repr(run)


def test_page_repr_summarizes_instead_of_listing_every_run() -> None:
    runs = [run_json(i, status="FAILED" if i % 4 == 0 else "PROCESSED") for i in range(1000)]
    page = ProcessorRunsPage.model_validate(page_json(runs, "next"))
    text = repr(page)
    assert text == (
        "ProcessorRunsPage(runs=1000, by_status={'PROCESSED': 750, 'FAILED': 250}, "
        "ids=['dpr_000000', 'dpr_000001', 'dpr_000002'] +997 more, next_page_token='next')"
    )
    assert str(page) == text  # print(page) summarizes too


def test_page_html_shows_counts_first_rows_and_a_note_for_the_rest() -> None:
    runs = [run_json(i, status="FAILED" if i < 3 else "PROCESSED") for i in range(25)]
    html = ProcessorRunsPage.model_validate(page_json(runs, "c2"))._repr_html_()
    assert "25 runs" in html and "more pages: yes" in html and "c2" in html
    assert "PROCESSED&nbsp;<strong>22</strong>" in html
    assert "FAILED&nbsp;<strong>3</strong>" in html
    assert html.count("<tr>") == 1 + 10  # the header and the first ten runs
    assert "dpr_000009" in html and "dpr_000010" not in html
    assert "15 more runs" in html
    last = ProcessorRunsPage.model_validate(page_json(runs[:2], None))._repr_html_()
    assert "last page" in last and "more runs" not in last


def test_html_escapes_everything_from_the_server() -> None:
    page = hostile_page()
    for html in (page._repr_html_(), page.processor_runs[0]._repr_html_()):
        assert "<script>" not in html and "<b>" not in html
        assert "&lt;script&gt;" in html
    assert "tok&lt;&amp;&gt;" in page._repr_html_()


def test_pager_display_before_fetching_sends_nothing(fake: FakeExtend, client: Client) -> None:
    pager = client.list_processor_runs(status="FAILED", file_name_contains=HOSTILE, limit=5)
    html = pager._repr_html_()
    text = repr(pager)
    assert fake.requests == []
    assert "not fetched yet" in html
    assert "status=<code>&#x27;FAILED&#x27;</code>" in html and "limit=<code>5</code>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert text.startswith("ProcessorRunPager(params={'status': 'FAILED'")


def test_pager_display_after_iteration_shows_what_was_fetched(
    fake: FakeExtend, client: Client
) -> None:
    pager = client.list_processor_runs(max_page_size=40)
    first = list(islice(pager, 3))
    sent = len(fake.requests)
    html = pager._repr_html_()
    text = repr(pager)
    assert len(fake.requests) == sent == 1
    assert "40 runs fetched in 1 page;" in html and "more pages to fetch" in html
    assert pager.next_page_token is not None and pager.next_page_token[:10] in html
    assert first[0].id in html
    assert html.count("<tr>") == 1 + 10  # a bounded preview, not the 40 runs
    assert "runs_fetched=40, pages_fetched=1" in text and "done=False" in text
    expected = fake.runs()[:40]
    for status in {run["status"] for run in expected}:
        count = sum(run["status"] == status for run in expected)
        assert f"{status}&nbsp;<strong>{count}</strong>" in html


def test_pager_display_when_complete(fake: FakeExtend, client: Client) -> None:
    pager = client.list_processor_runs(status="FAILED", max_page_size=5)
    count = sum(1 for _ in pager)
    sent = len(fake.requests)
    html = pager._repr_html_()
    assert len(fake.requests) == sent
    assert f"{count} runs fetched" in html and "listing complete" in html
    assert re.search(r"done=True", repr(pager))
    assert f"FAILED&nbsp;<strong>{count}</strong>" in html


def test_async_pager_display_sends_nothing(fake: FakeExtend) -> None:
    async def main() -> tuple[str, str, int]:
        http_client = httpx.AsyncClient(transport=fake.async_transport())
        async with AsyncClient(
            api_key=fake.api_key, base_url=fake.base_url, http_client=http_client
        ) as client:
            pager = client.list_processor_runs(limit=12, max_page_size=5)
            before = pager._repr_html_()
            rows = [run async for run in pager]
            return before, pager._repr_html_(), len(rows)

    before, after, rows = asyncio.run(main())
    assert "AsyncProcessorRunPager</strong>: not fetched yet" in before
    assert rows == 12 and "12 runs fetched in 3 pages; listing complete" in after
    assert len(fake.requests) == 3


def test_html_times_are_shown_in_utc() -> None:
    body = page_json([run_json(0, createdAt="2025-11-18T16:02:11.318000+02:00")], None)
    html = ProcessorRunsPage.model_validate(body)._repr_html_()
    assert "<th>created_at (UTC)</th>" in html
    assert "<td>2025-11-18 14:02:11</td>" in html and "<td>1.5</td>" in html
