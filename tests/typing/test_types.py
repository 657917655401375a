"""What a type checker sees: checked by ``mypy --strict`` and pyright (strict), and run.

``assert_type`` fails type checking when an inferred type changes. Each deliberate type
error carries both checkers' ignore comments; both report an ignore that is no longer
needed (mypy's ``warn_unused_ignores``, pyright's ``reportUnnecessaryTypeIgnoreComment``),
so if a wrong value ever became acceptable to the type checkers, these checks would fail.
At run time the same wrong values raise ``ValueError`` before any request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Optional, Union

import httpx
import pytest
from typing_extensions import assert_type

from extend_runs import (
    AsyncClient,
    AsyncProcessorRunPager,
    Client,
    ListProcessorRunsParams,
    ProcessorRunPager,
    ProcessorRunSource,
    ProcessorRunsPage,
    ProcessorRunStatus,
    ProcessorRunSummary,
    ProcessorType,
    SortBy,
    SortDir,
)
from extend_runs.testing import FakeExtend


def _client(fake: FakeExtend) -> Client:
    return Client(
        api_key=fake.api_key,
        base_url=fake.base_url,
        http_client=httpx.Client(transport=fake.transport()),
    )


def _async_client(fake: FakeExtend) -> AsyncClient:
    return AsyncClient(
        api_key=fake.api_key,
        base_url=fake.base_url,
        http_client=httpx.AsyncClient(transport=fake.async_transport()),
    )


def test_sync_pager_yields_run_summaries() -> None:
    client = _client(FakeExtend(12, seed=1))
    pager = client.list_processor_runs(max_page_size=5)
    assert_type(pager, ProcessorRunPager)
    assert_type(iter(pager), Iterator[ProcessorRunSummary])
    for run in pager:
        assert_type(run, ProcessorRunSummary)
        assert_type(run.id, str)
        assert_type(run.status, Union[ProcessorRunStatus, str])
        assert_type(run.type, Optional[Union[ProcessorType, str]])
        assert_type(run.usage.credits if run.usage else None, Optional[float])
    assert_type(pager.next_page_token, Optional[str])
    pages = client.list_processor_runs(max_page_size=5).pages()
    assert_type(pages, Iterator[ProcessorRunsPage])
    assert [len(page.processor_runs) for page in pages] == [5, 5, 2]
    page = client.list_processor_runs_page(max_page_size=5)
    assert_type(page, ProcessorRunsPage)
    assert_type(page.processor_runs, list[ProcessorRunSummary])
    assert_type(client.with_options(max_retries=0), Client)


def test_async_pager_yields_run_summaries() -> None:
    async def main() -> list[ProcessorRunSummary]:
        client = _async_client(FakeExtend(12, seed=1))
        pager = client.list_processor_runs(max_page_size=5)
        assert_type(pager, AsyncProcessorRunPager)
        assert_type(pager.__aiter__(), AsyncIterator[ProcessorRunSummary])
        assert_type(pager.pages(), AsyncIterator[ProcessorRunsPage])
        runs = [run async for run in pager]
        page = await client.list_processor_runs_page(max_page_size=5)
        assert_type(page, ProcessorRunsPage)
        assert_type(client.with_options(timeout=5.0), AsyncClient)
        await client.aclose()
        return runs

    assert len(asyncio.run(main())) == 12


def test_filters_accept_enum_members_and_their_strings() -> None:
    client = _client(FakeExtend(40, seed=2))
    by_member = client.list_processor_runs(
        status=ProcessorRunStatus.PROCESSED,
        processor_type=ProcessorType.EXTRACT,
        source=ProcessorRunSource.API,
        sort_by=SortBy.CREATED_AT,
        sort_dir=SortDir.ASC,
    )
    by_string = client.list_processor_runs(
        status="PROCESSED",
        processor_type="EXTRACT",
        source="API",
        sort_by="createdAt",
        sort_dir="asc",
    )
    assert [run.id for run in by_member] == [run.id for run in by_string]
    assert by_member.params == by_string.params
    params = ListProcessorRunsParams(status="FAILED", sort_dir=SortDir.DESC)
    assert params.to_query() == {"status": "FAILED", "sortDir": "desc"}


def test_a_wrong_literal_is_a_type_error_and_a_value_error() -> None:
    client = _client(FakeExtend(5))
    with pytest.raises(ValueError, match="status"):
        client.list_processor_runs(status="failed")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="sort_by"):
        client.list_processor_runs_page(sort_by="created_at")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="processor_type"):
        ListProcessorRunsParams(processor_type="EXTRACTOR")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="max_page_size"):
        client.list_processor_runs(max_page_size="100")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
