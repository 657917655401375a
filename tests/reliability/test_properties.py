"""Property-based tests: parameters to the wire and back, any input, any server answer."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extend_runs import (
    APIResponseValidationError,
    APIStatusError,
    AsyncClient,
    Client,
    InternalServerError,
    ListProcessorRunsParams,
    ProcessorRunSource,
    ProcessorRunsPage,
    ProcessorRunStatus,
    ProcessorType,
    SortBy,
    SortDir,
)
from extend_runs._exceptions import status_error_class
from extend_runs.testing import FakeExtend

from ..conftest import API_KEY

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _enum(members: Any) -> st.SearchStrategy[Any]:
    """A member of an enum, or its exact string value, or nothing."""
    return st.none() | st.sampled_from(list(members)) | st.sampled_from([m.value for m in members])


VALID_PARAMS = st.builds(
    ListProcessorRunsParams,
    status=_enum(ProcessorRunStatus),
    processor_id=st.none() | st.text(min_size=1, max_size=40),
    processor_type=_enum(ProcessorType),
    source_id=st.none() | st.text(min_size=1, max_size=40),
    source=_enum(ProcessorRunSource),
    file_name_contains=st.none() | st.text(max_size=40),
    sort_by=_enum(SortBy),
    sort_dir=_enum(SortDir),
    max_page_size=st.none() | st.integers(1, 1000),
    next_page_token=st.none() | st.text(min_size=1, max_size=80),
)


def _wire(query: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in query.items()}


@SETTINGS
@given(VALID_PARAMS)
def test_params_round_trip_through_the_url(params: ListProcessorRunsParams) -> None:
    query = params.to_query()
    assert ListProcessorRunsParams.model_validate(query) == params
    url = httpx.Request("GET", "https://api.extend.ai/processor_runs", params=query).url
    # What a server decodes from the URL is exactly what was meant, key for key.
    assert dict(parse_qsl(url.query.decode("ascii"), keep_blank_values=True)) == _wire(query)
    assert all(value is not None for value in query.values())


@SETTINGS
@given(VALID_PARAMS)
def test_the_fake_receives_exactly_the_params(params: ListProcessorRunsParams) -> None:
    fake = FakeExtend(5)
    with Client(
        api_key=fake.api_key,
        base_url=fake.base_url,
        http_client=httpx.Client(transport=fake.transport()),
        max_retries=0,
    ) as client:
        refused: APIStatusError | None = None
        try:
            client.list_processor_runs_page(params=params)
        except APIStatusError as error:
            refused = error
    if refused is not None:
        # Only a made-up cursor is refused: it was not one the fake handed out.
        assert refused.status_code == 400 and params.next_page_token is not None
    (received,) = fake.requests
    assert received.query == _wire(params.to_query())
    assert received.next_page_token == params.next_page_token


ANYTHING = (
    st.none()
    | st.text(max_size=20)
    | st.integers(-5, 2000)
    | st.booleans()
    | st.floats(allow_nan=True)
    | st.sampled_from(["FAILED", "failed", "createdAt", "CREATEDAT", "asc", "ASC", "API", ""])
    | st.lists(st.text(max_size=3), max_size=2)
)
FIELDS = (
    "status",
    "processor_id",
    "processor_type",
    "source_id",
    "source",
    "file_name_contains",
    "sort_by",
    "sort_dir",
    "max_page_size",
)


@SETTINGS
@given(st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, ANYTHING)))
def test_any_parameter_is_refused_locally_or_accepted_by_the_fake(
    kwargs: dict[str, Any],
) -> None:
    fake = FakeExtend(5)
    with Client(
        api_key=fake.api_key,
        base_url=fake.base_url,
        http_client=httpx.Client(transport=fake.transport()),
        max_retries=0,
    ) as client:
        outcome: ProcessorRunsPage | ValueError
        try:
            outcome = client.list_processor_runs_page(**kwargs)
        except ValueError as error:
            outcome = error
    if isinstance(outcome, ValueError):
        assert fake.requests == []
        assert any(name in str(outcome) for name in FIELDS)
        return
    assert isinstance(outcome, ProcessorRunsPage)
    assert [request.status_code for request in fake.requests] == [200]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
FIELD_VALUES: st.SearchStrategy[Any] = (
    JSON | st.just("2025-11-18T14:02:11Z") | st.just([]) | st.just({"credits": 1})
)
RUN_LIKE = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        [
            "id",
            "status",
            "processorId",
            "processorName",
            "processorVersionId",
            "createdAt",
            "updatedAt",
            "type",
            "usage",
        ],
        FIELD_VALUES,
    ),
)
PAGE_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "success": FIELD_VALUES,
        "processorRuns": st.lists(RUN_LIKE, max_size=3) | FIELD_VALUES,
        "nextPageToken": FIELD_VALUES,
        "code": FIELD_VALUES,
        "message": FIELD_VALUES,
        "error": FIELD_VALUES | st.fixed_dictionaries({}, optional={"message": FIELD_VALUES}),
        "retryable": FIELD_VALUES,
        "requestId": FIELD_VALUES,
    },
)
BODIES = (
    st.binary(max_size=200)
    | st.text(max_size=200).map(str.encode)
    | JSON.map(lambda value: json.dumps(value).encode())
    | PAGE_LIKE.map(lambda value: json.dumps(value).encode())
)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "retry-after": HEADER_TEXT | st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "1e400"]),
        "retry-after-ms": HEADER_TEXT,
        "content-type": st.sampled_from(["application/json", "text/html", "x/y; charset=nope"]),
        "x-extend-request-id": HEADER_TEXT,
    },
)
STATUSES = st.sampled_from([200, 201, 204, 299]) | st.integers(300, 599)


def _check(status: int, outcome: object) -> None:
    """A server answer surfaces as a page or as one of the documented errors, never else."""
    if isinstance(outcome, ProcessorRunsPage):
        assert 200 <= status < 300
    elif 200 <= status < 300:
        assert type(outcome) is APIResponseValidationError
    else:
        assert type(outcome) is status_error_class(status)
        assert outcome.status_code == status
    if isinstance(outcome, Exception):
        assert str(outcome) and repr(outcome)


@SETTINGS
@given(STATUSES, BODIES, HEADERS)
def test_any_server_answer_surfaces_as_a_page_or_a_documented_error(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    transport = httpx.MockTransport(answer)
    with Client(
        api_key=API_KEY, http_client=httpx.Client(transport=transport), max_retries=0
    ) as client:
        outcome: object
        try:
            outcome = client.list_processor_runs_page()
        except (APIStatusError, APIResponseValidationError) as error:
            outcome = error
        _check(status, outcome)
        # The pager too: it also reads the cursor, which may be anything.
        try:
            for page in client.list_processor_runs(limit=5).pages():
                _check(status, page)
        except (APIStatusError, APIResponseValidationError) as error:
            _check(status, error)


@settings(max_examples=20, deadline=None)
@given(STATUSES, BODIES, HEADERS)
def test_any_server_answer_surfaces_the_same_way_in_the_async_client(
    status: int, body: bytes, headers: dict[str, str]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    async def main() -> object:
        async with AsyncClient(
            api_key=API_KEY,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
            max_retries=0,
        ) as client:
            try:
                return await client.list_processor_runs_page()
            except (APIStatusError, APIResponseValidationError) as error:
                return error

    _check(status, asyncio.run(main()))


def _error_for(status: int, body: bytes) -> APIStatusError:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))
    client = Client(api_key=API_KEY, http_client=httpx.Client(transport=transport), max_retries=0)
    with pytest.raises(APIStatusError) as caught:
        client.list_processor_runs_page()
    return caught.value


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000],
    ids=["nested arrays", "nested objects"],
)
def test_a_deeply_nested_error_body_is_a_status_error(body: bytes) -> None:
    error = _error_for(500, body)
    assert type(error) is InternalServerError
    assert error.message.startswith(body[:10].decode())


def test_a_huge_html_error_page_is_summarised_from_its_start() -> None:
    # Every "<title>" opens a title that never closes, and every "<" a tag that never
    # ends: read whole, such a page costs the regular expressions quadratic time.
    hostile = b"<title>" * 30_000 + b"<" * 200_000
    assert type(_error_for(502, hostile)) is InternalServerError
    late_title = b"x" * 5000 + b"<title>Bad Gateway</title>"
    assert "Bad Gateway" not in _error_for(502, late_title).message
    assert _error_for(502, b"<title>Bad Gateway</title>" + b"x" * 5000).message == "Bad Gateway"
