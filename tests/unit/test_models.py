"""Models: parsing the wire format, forward compatibility, parameter validation."""

from __future__ import annotations

from datetime import datetime, timezone

import pydantic
import pytest

from extend_runs import (
    ListProcessorRunsParams,
    ProcessorRunSource,
    ProcessorRunsPage,
    ProcessorRunStatus,
    ProcessorRunSummary,
    ProcessorType,
    SortBy,
    SortDir,
)

from ..conftest import fixture_bytes, run_json


def test_fixture_page_parses_into_typed_runs() -> None:
    page = ProcessorRunsPage.model_validate_json(fixture_bytes("list-processor-runs-page.json"))
    first, failed, old = page.processor_runs
    assert page.success is True
    assert page.next_page_token == (
        "k6xgabAvFHpRVZI+gOZLzA==:hQMW113jOwL0F5bNaTpdzRzJzM/Nxjo9VTkY9zbw/oI="
    )
    assert first.status is ProcessorRunStatus.PROCESSED
    assert first.type is ProcessorType.EXTRACT
    assert first.usage is not None and first.usage.credits == 4.5
    assert failed.usage is None and old.usage is None
    assert first.updated_at == datetime(2025, 11, 18, 14, 3, 27, 482000, tzinfo=timezone.utc)
    assert first.processor_version_id == "dpv_O9r4nDTo_R2oMDbL6C3SA"


@pytest.mark.parametrize(
    "stamp",
    ["2025-05-12T21:22:37.318000+00:00", "2025-05-12T21:22:37.318Z", "2025-05-12T21:22:37Z"],
)
def test_both_timestamp_styles_give_aware_utc_datetimes(stamp: str) -> None:
    run = ProcessorRunSummary.model_validate(run_json(1, createdAt=stamp, updatedAt=stamp))
    assert run.created_at.tzinfo is not None
    assert run.created_at.utcoffset() is not None
    assert run.created_at.replace(microsecond=0) == datetime(
        2025, 5, 12, 21, 22, 37, tzinfo=timezone.utc
    )


def test_naive_timestamp_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"created_at|createdAt"):
        ProcessorRunSummary.model_validate(run_json(1, createdAt="2025-05-12T21:22:37"))


def test_values_newer_than_the_sdk_are_kept_as_strings() -> None:
    run = ProcessorRunSummary.model_validate(
        run_json(1, status="ARCHIVED", type="OCR", failureReason="x", object="run")
    )
    assert run.status == "ARCHIVED"
    assert not isinstance(run.status, ProcessorRunStatus)
    assert run.type == "OCR"
    assert run.model_extra == {"failureReason": "x", "object": "run"}


def test_optional_fields_default_to_none() -> None:
    body = run_json(1)
    del body["type"], body["usage"]
    run = ProcessorRunSummary.model_validate(body)
    assert run.type is None and run.usage is None


@pytest.mark.parametrize("missing", ["id", "status", "processorId", "createdAt", "updatedAt"])
def test_required_fields_are_required(missing: str) -> None:
    body = run_json(1)
    del body[missing]
    with pytest.raises(pydantic.ValidationError):
        ProcessorRunSummary.model_validate(body)


def test_ids_are_opaque() -> None:
    run = ProcessorRunSummary.model_validate(
        run_json(1, id="exr_" + "x" * 250, processorId="cl_123", processorVersionId="v")
    )
    assert run.id.startswith("exr_") and run.processor_id == "cl_123"


def test_params_to_query_uses_camel_case_and_leaves_out_none() -> None:
    params = ListProcessorRunsParams(
        status=ProcessorRunStatus.FAILED,
        processor_id="dp_1",
        processor_type="SPLITTER",
        source_id="workflow_run_123",
        source=ProcessorRunSource.WORKFLOW_RUN,
        file_name_contains="invoice",
        sort_by=SortBy.CREATED_AT,
        sort_dir="asc",
        max_page_size=1000,
        next_page_token="a+b/c=:d",
    )
    assert params.to_query() == {
        "status": "FAILED",
        "processorId": "dp_1",
        "processorType": "SPLITTER",
        "sourceId": "workflow_run_123",
        "source": "WORKFLOW_RUN",
        "fileNameContains": "invoice",
        "sortBy": "createdAt",
        "sortDir": "asc",
        "maxPageSize": 1000,
        "nextPageToken": "a+b/c=:d",
    }
    assert ListProcessorRunsParams().to_query() == {}


def test_enum_members_and_strings_are_interchangeable() -> None:
    assert ListProcessorRunsParams(status="FAILED") == ListProcessorRunsParams(
        status=ProcessorRunStatus.FAILED
    )
    assert ListProcessorRunsParams(sort_dir="desc").sort_dir is SortDir.DESC


@pytest.mark.parametrize(
    ("kwargs", "named", "allowed"),
    [
        ({"status": "failed"}, "status", "'FAILED'"),
        ({"processor_type": "extract"}, "processor_type", "'EXTRACT'"),
        ({"source": "api"}, "source", "'API'"),
        ({"sort_by": "created_at"}, "sort_by", "'createdAt'"),
        ({"sort_dir": "DESC"}, "sort_dir", "'desc'"),
        ({"max_page_size": 0}, "max_page_size", "from 1 to 1000"),
        ({"max_page_size": 1001}, "max_page_size", "from 1 to 1000"),
        ({"max_page_size": True}, "max_page_size", "whole number"),
        ({"max_page_size": "10"}, "max_page_size", "whole number"),
        ({"next_page_token": ""}, "next_page_token", "non-empty string"),
        ({"next_page_token": "x" * 5000}, "next_page_token", "at most 4096"),
        ({"processor_id": ""}, "processor_id", "non-empty string"),
        ({"source_id": ""}, "source_id", "non-empty string"),
        ({"file_name_contains": 3}, "file_name_contains", "a string"),
        ({"statuses": "FAILED"}, "statuses", "not a listing parameter"),
        ({"maxPageSize": 0}, "max_page_size", "from 1 to 1000"),
    ],
)
def test_invalid_params_name_the_parameter_and_what_is_allowed(
    kwargs: dict[str, object], named: str, allowed: str
) -> None:
    with pytest.raises(ValueError, match=named) as caught:
        ListProcessorRunsParams(**kwargs)  # type: ignore[arg-type]
    assert allowed in str(caught.value)


def test_invalid_params_are_explained_in_our_words_not_pydantics() -> None:
    with pytest.raises(ValueError, match=r"^status must be one of") as caught:
        ListProcessorRunsParams(status="failed", max_page_size=0)  # type: ignore[arg-type]
    error = caught.value
    assert isinstance(error, pydantic.ValidationError)  # code catching that still works
    assert str(error) == (
        "status must be one of 'PENDING', 'PROCESSING', 'PROCESSED', 'FAILED', 'CANCELLED', "
        "got 'failed' (values are case-sensitive: did you mean 'FAILED'?); "
        "max_page_size must be a whole number from 1 to 1000 (runs per request), got 0"
    )
    for text in (str(error), repr(error)):
        for pydantic_phrase in ("pydantic.dev", "Input should", "validation error", "type="):
            assert pydantic_phrase not in text
    assert [problem["loc"] for problem in error.errors()] == [("status",), ("max_page_size",)]


def test_params_are_immutable() -> None:
    params = ListProcessorRunsParams(status="FAILED")
    with pytest.raises(pydantic.ValidationError):
        params.status = ProcessorRunStatus.PENDING  # type: ignore[misc]


def test_enums_are_strings_with_plain_str() -> None:
    assert str(ProcessorRunStatus.FAILED) == "FAILED"
    assert f"{SortBy.UPDATED_AT}" == "updatedAt"
    assert isinstance(ProcessorType.CLASSIFY, str)
