"""Runs as DataFrames and plain dicts: dtypes, values, streaming, limit, the missing extra."""

from __future__ import annotations

import asyncio
import gc
import math
import sys
from datetime import datetime, timezone
from typing import Any

import httpx
import pandas as pd
import pytest

from extend_runs import ProcessorRunsPage, ProcessorRunSummary
from tests.conftest import Harness, PagedServer, fixture_bytes, page_json, run_json

COLUMNS = [
    "id",
    "status",
    "type",
    "processor_id",
    "processor_name",
    "processor_version_id",
    "created_at",
    "updated_at",
    "credits",
]
STRING_COLUMNS = ["id", "processor_id", "processor_name", "processor_version_id"]


def fixture_page() -> ProcessorRunsPage:
    return ProcessorRunsPage.model_validate_json(fixture_bytes("list-processor-runs-page.json"))


def run(harness: Harness, pager: Any, method: str) -> Any:
    """Call ``pager.<method>()``, awaiting it for an async pager."""
    result = getattr(pager, method)()
    return asyncio.run(result) if harness.kind == "async" else result


def assert_dtypes(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == COLUMNS
    assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["type"].dtype, pd.CategoricalDtype)
    for name in ("created_at", "updated_at"):
        assert str(frame[name].dtype) == "datetime64[ns, UTC]"
    assert frame["credits"].dtype == "float64"
    for name in STRING_COLUMNS:
        assert pd.api.types.is_string_dtype(frame[name].dtype), name


def test_page_to_pandas_has_typed_columns_and_the_page_values() -> None:
    frame = fixture_page().to_pandas()
    assert_dtypes(frame)
    assert list(frame["id"]) == [
        "dpr_wWNlqSYCDjgd5Dil4ZeB1",
        "dpr_Hs3kT8vWq1ZrN6yLm0PaX",
        "dpr_pvAuysDK3n7iSc521HVLP",
    ]
    assert list(frame["status"]) == ["PROCESSED", "FAILED", "PROCESSED"]
    assert list(frame["type"]) == ["EXTRACT", "SPLITTER", "CLASSIFY"]
    assert list(frame["status"].cat.categories) == [
        "PENDING",
        "PROCESSING",
        "PROCESSED",
        "FAILED",
        "CANCELLED",
    ]
    assert list(frame["type"].cat.categories) == ["EXTRACT", "CLASSIFY", "SPLITTER"]
    assert frame["processor_name"][1] == "Loan Packet Splitter"
    # Milliseconds survive exactly.
    assert frame["updated_at"][0] == pd.Timestamp("2025-11-18T14:03:27.482Z")
    assert frame["created_at"][1] == pd.Timestamp("2025-11-17T22:41:05Z")
    assert frame["credits"][0] == 4.5
    assert frame["credits"][1:].isna().all()


def test_empty_page_keeps_the_columns_and_dtypes() -> None:
    frame = ProcessorRunsPage(success=True, processor_runs=[]).to_pandas()
    assert len(frame) == 0
    assert_dtypes(frame)


def test_unknown_enum_values_and_missing_type_become_categories_and_nan() -> None:
    body = page_json(
        [run_json(0, status="ARCHIVED", type="REDACT"), run_json(1, type=None), run_json(2)],
        None,
    )
    del body["processorRuns"][1]["type"]
    frame = ProcessorRunsPage.model_validate(body).to_pandas()
    assert list(frame["status"].cat.categories)[-1] == "ARCHIVED"
    assert list(frame["type"].cat.categories)[-1] == "REDACT"
    assert frame["status"][0] == "ARCHIVED"
    assert pd.isna(frame["type"][1])
    assert frame["type"][2] == "EXTRACT"


def test_offset_timestamps_are_converted_to_utc() -> None:
    body = page_json([run_json(0, createdAt="2025-11-18T16:02:11.318000+02:00")], None)
    frame = ProcessorRunsPage.model_validate(body).to_pandas()
    assert frame["created_at"][0] == pd.Timestamp("2025-11-18T14:02:11.318Z")


def test_to_dicts_is_plain_snake_case_with_credits_flattened() -> None:
    first, second, _ = fixture_page().to_dicts()
    assert first == {
        "id": "dpr_wWNlqSYCDjgd5Dil4ZeB1",
        "status": "PROCESSED",
        "type": "EXTRACT",
        "processor_id": "dp_SPFYlMKq-2iAOvZaOkLin",
        "processor_name": "Invoice Extractor",
        "processor_version_id": "dpv_O9r4nDTo_R2oMDbL6C3SA",
        "created_at": datetime(2025, 11, 18, 14, 2, 11, tzinfo=timezone.utc),
        "updated_at": datetime(2025, 11, 18, 14, 3, 27, 482000, tzinfo=timezone.utc),
        "credits": 4.5,
    }
    assert type(first["status"]) is str
    assert second["credits"] is None


def test_pager_to_pandas_walks_every_page(harness: Harness) -> None:
    server = PagedServer(total=25, page_size=10)
    frame = run(harness, harness.pager(server), "to_pandas")
    assert_dtypes(frame)
    assert list(frame["id"]) == server.ids
    assert frame["credits"].tolist() == [1.5] * 25
    assert len(server.requests) == 3


def test_pager_to_pandas_honours_limit(harness: Harness) -> None:
    server = PagedServer(total=100, page_size=10)
    frame = run(harness, harness.pager(server, limit=15, max_page_size=10), "to_pandas")
    assert list(frame["id"]) == server.ids[:15]
    assert len(server.requests) == 2


def test_pager_to_dicts_matches_the_runs(harness: Harness) -> None:
    server = PagedServer(total=12, page_size=5)
    dicts = run(harness, harness.pager(server, limit=7), "to_dicts")
    assert [row["id"] for row in dicts] == server.ids[:7]
    assert dicts[0]["credits"] == 1.5 and dicts[0]["status"] == "PROCESSED"


def test_pager_to_pandas_does_not_hold_every_run_model(harness: Harness) -> None:
    page_size, pages = 50, 8
    server = PagedServer(total=page_size * pages, page_size=page_size)
    alive: list[int] = []

    def counting(request: httpx.Request) -> httpx.Response:
        gc.collect()
        alive.append(sum(isinstance(o, ProcessorRunSummary) for o in gc.get_objects()))
        return server(request)

    frame = run(harness, harness.pager(counting), "to_pandas")
    assert len(frame) == page_size * pages
    # At most the page being converted, the one just parsed and, when the slow requests
    # of this test make it fetch ahead, the one in flight are alive at any time (counted
    # above what other tests' modules keep alive before the first request).
    assert max(alive) - alive[0] <= 3 * page_size, alive


def test_without_pandas_the_error_names_the_extra(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    server = PagedServer(total=5, page_size=5)
    with pytest.raises(ImportError, match=r"pip install 'extend-runs\[pandas\]'"):
        run(harness, harness.pager(server), "to_pandas")
    with pytest.raises(ImportError, match=r"extend-runs\[pandas\]"):
        fixture_page().to_pandas()
    assert server.requests == []
    # to_dicts needs no extra.
    assert len(run(harness, harness.pager(server), "to_dicts")) == 5


def test_credits_are_nan_not_zero_when_usage_is_absent() -> None:
    body = page_json([run_json(0, usage=None), run_json(1, usage={"credits": 0.0})], None)
    del body["processorRuns"][0]["usage"]
    frame = ProcessorRunsPage.model_validate(body).to_pandas()
    assert math.isnan(frame["credits"][0])
    assert frame["credits"][1] == 0.0
