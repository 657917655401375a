"""GET /processor_runs as the real API answers it: filters, sorting, pages, cursors, errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from extend_runs.testing import FakeExtend

from .conftest import get, http_client, walk


def ids(runs: list[dict[str, Any]]) -> list[str]:
    return [run["id"] for run in runs]


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["retryable"] is (code in ("RATE_LIMIT_EXCEEDED", "INTERNAL_ERROR"))
    assert body["requestId"].startswith("req_")
    assert response.headers["x-extend-request-id"] == body["requestId"]
    return body


def test_first_page_has_the_wire_shape(http: httpx.Client) -> None:
    response = get(http)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-extend-request-id"].startswith("req_")
    body = response.json()
    assert body["success"] is True
    assert len(body["processorRuns"]) == 10
    assert set(body) == {"success", "processorRuns", "nextPageToken"}


@pytest.mark.parametrize(
    ("param", "field", "pick"),
    [
        ("status", "status", "FAILED"),
        ("processorType", "type", "SPLITTER"),
        ("source", "source", "WORKFLOW_RUN"),
        ("processorId", "processorId", None),
        ("sourceId", "sourceId", None),
    ],
)
def test_each_equality_filter(
    fake: FakeExtend, http: httpx.Client, param: str, field: str, pick: str | None
) -> None:
    everything = fake.runs(internal=True)
    if pick is None:
        pick = next(run[field] for run in everything if run[field] is not None)
    expected = [run["id"] for run in everything if run[field] == pick]
    assert 0 < len(expected) < len(everything)
    assert ids(walk(http, maxPageSize=7, **{param: pick})) == expected


def test_file_name_contains_is_a_case_insensitive_substring(
    fake: FakeExtend, http: httpx.Client
) -> None:
    everything = fake.runs(internal=True)
    expected = [run["id"] for run in everything if "invoice" in run["fileName"].lower()]
    assert expected
    assert ids(walk(http, fileNameContains="INVOICE", maxPageSize=50)) == expected


def test_filters_combine(fake: FakeExtend, http: httpx.Client) -> None:
    everything = fake.runs(internal=True)
    expected = [
        run["id"]
        for run in everything
        if run["status"] == "PROCESSED" and run["type"] == "EXTRACT" and run["source"] == "API"
    ]
    assert expected
    got = walk(http, status="PROCESSED", processorType="EXTRACT", source="API", maxPageSize=100)
    assert ids(got) == expected


@pytest.mark.parametrize("sort_by", [None, "updatedAt", "createdAt"])
@pytest.mark.parametrize("sort_dir", [None, "asc", "desc"])
def test_sorting_with_id_tie_break(
    http: httpx.Client, sort_by: str | None, sort_dir: str | None
) -> None:
    runs = walk(http, sortBy=sort_by, sortDir=sort_dir, maxPageSize=1000)
    field = sort_by or "updatedAt"
    keys = [(datetime.fromisoformat(run[field].replace("Z", "+00:00")), run["id"]) for run in runs]
    assert len(runs) == 300
    assert keys == sorted(keys, reverse=(sort_dir or "desc") == "desc")


def test_sorting_breaks_ties_by_id() -> None:
    base = {
        "status": "PROCESSED",
        "processorId": "dp_1",
        "processorName": "Invoices",
        "processorVersionId": "dpv_1",
        "createdAt": "2025-11-01T10:00:00Z",
        "updatedAt": "2025-11-01T10:00:00Z",
    }
    fake = FakeExtend([base | {"id": name} for name in ("dpr_b", "dpr_c", "dpr_a")])
    with http_client(fake) as http:
        assert ids(walk(http, sortDir="asc", maxPageSize=1)) == ["dpr_a", "dpr_b", "dpr_c"]
        assert ids(walk(http, maxPageSize=1)) == ["dpr_c", "dpr_b", "dpr_a"]


def test_millisecond_timestamps_sort_after_whole_seconds() -> None:
    base = {"status": "PROCESSED", "processorId": "dp_1", "createdAt": "2025-11-01T10:00:00Z"}
    fake = FakeExtend(
        [
            base | {"id": "dpr_late", "updatedAt": "2025-11-01T10:00:05.500Z"},
            base | {"id": "dpr_early", "updatedAt": "2025-11-01T10:00:05+00:00"},
        ]
    )
    assert ids(fake.runs()) == ["dpr_late", "dpr_early"]


@pytest.mark.parametrize(("size", "count"), [(None, 10), ("1", 1), ("1000", 300), ("37", 37)])
def test_page_size(http: httpx.Client, size: str | None, count: int) -> None:
    assert len(get(http, maxPageSize=size).json()["processorRuns"]) == count


@pytest.mark.parametrize("size", ["0", "1001", "-1", "ten", "2.5", ""])
def test_page_size_out_of_bounds_is_refused(http: httpx.Client, size: str) -> None:
    body = assert_error(get(http, maxPageSize=size), 400, "INVALID_REQUEST")
    assert "maxPageSize" in body["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "failed"},
        {"status": "ARCHIVED"},
        {"processorType": "PARSE"},
        {"source": "EMAIL"},
        {"sortBy": "id"},
        {"sortDir": "DESC"},
    ],
)
def test_unknown_enum_values_are_refused(http: httpx.Client, params: dict[str, str]) -> None:
    body = assert_error(get(http, **params), 400, "INVALID_REQUEST")
    assert next(iter(params)) in body["message"]


def test_a_repeated_parameter_is_refused(http: httpx.Client) -> None:
    response = http.get("/processor_runs?status=FAILED&status=PENDING")
    assert_error(response, 400, "INVALID_REQUEST")


def test_cursors_walk_the_whole_listing_once(fake: FakeExtend, http: httpx.Client) -> None:
    first = get(http, maxPageSize=40).json()
    token = first["nextPageToken"]
    head, colon, tail = token.partition(":")
    assert colon and head.endswith("==") and tail.endswith("=")
    assert ids(walk(http, maxPageSize=40)) == ids(fake.runs())
    # The same request always gives the same cursor, and the cursor works on its own later.
    assert get(http, maxPageSize=40).json()["nextPageToken"] == token
    second = get(http, maxPageSize=40, nextPageToken=token).json()["processorRuns"]
    assert ids(second) == ids(fake.runs())[40:80]


def test_a_cursor_survives_a_change_of_page_size(fake: FakeExtend, http: httpx.Client) -> None:
    token = get(http, maxPageSize=25).json()["nextPageToken"]
    runs = get(http, maxPageSize=5, nextPageToken=token).json()["processorRuns"]
    assert ids(runs) == ids(fake.runs())[25:30]


@pytest.mark.parametrize(
    "token",
    ["garbage", "abc:def", "k6xgabAvFHpRVZI+gOZLzA==:hQMW113jOwL0F5bNaTpdzRzJzM/Nxjo9VTkY9zbw/oI="],
)
def test_malformed_or_forged_cursor_is_refused(http: httpx.Client, token: str) -> None:
    assert_error(get(http, nextPageToken=token), 400, "INVALID_REQUEST")


def test_a_tampered_cursor_is_refused(http: httpx.Client) -> None:
    token = get(http).json()["nextPageToken"]
    tampered = ("B" if token[0] == "A" else "A") + token[1:]
    assert_error(get(http, nextPageToken=tampered), 400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    "changed",
    [{"status": "FAILED"}, {"sortBy": "createdAt"}, {"sortDir": "asc"}, {"source": "API"}],
)
def test_a_cursor_used_with_other_filters_is_refused(
    http: httpx.Client, changed: dict[str, str]
) -> None:
    token = get(http).json()["nextPageToken"]
    body = assert_error(get(http, nextPageToken=token, **changed), 400, "INVALID_REQUEST")
    assert "filters" in body["message"]


def test_explicit_defaults_keep_the_cursor_valid(http: httpx.Client) -> None:
    token = get(http).json()["nextPageToken"]
    assert get(http, nextPageToken=token, sortBy="updatedAt", sortDir="desc").status_code == 200


def test_a_cursor_with_a_raw_plus_is_broken_as_on_a_real_server(http: httpx.Client) -> None:
    token = get(http, maxPageSize=3).json()["nextPageToken"]
    while "+" not in token:
        token = get(http, maxPageSize=3, nextPageToken=token).json()["nextPageToken"]
    response = http.get(f"/processor_runs?maxPageSize=3&nextPageToken={token}")
    assert_error(response, 400, "INVALID_REQUEST")


def test_empty_cursor_is_refused(http: httpx.Client) -> None:
    assert_error(get(http, nextPageToken=""), 400, "INVALID_REQUEST")


@pytest.mark.parametrize(("mode", "expected"), [("absent", ...), ("null", None), ("empty", "")])
def test_how_the_last_page_ends(mode: str, expected: object) -> None:
    fake = FakeExtend(5, last_page_token=mode)
    with http_client(fake) as http:
        body = get(http).json()
    assert len(body["processorRuns"]) == 5
    assert body.get("nextPageToken", ...) == expected


def test_an_empty_listing(http: httpx.Client) -> None:
    body = get(http, processorId="dp_nobody").json()
    assert body == {"success": True, "processorRuns": []}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sk_wrong"}, {"Authorization": "Basic sk_test_extend_fake"}],
)
def test_missing_or_wrong_key_is_401(fake: FakeExtend, headers: dict[str, str]) -> None:
    sent = {"x-extend-api-version": "2025-04-21", **headers}
    response = fake.handle("GET", "/processor_runs", "", sent)
    assert response.status_code == 401
    body = response.json()
    assert isinstance(body, dict) and body["code"] == "UNAUTHORIZED"


def test_missing_or_unknown_version_is_400(fake: FakeExtend) -> None:
    key = {"Authorization": f"Bearer {fake.api_key}"}
    for headers in (key, key | {"x-extend-api-version": "1999-01-01"}):
        with httpx.Client(transport=fake.transport(), base_url=fake.base_url, headers=headers) as c:
            body = assert_error(get(c), 400, "INVALID_REQUEST")
            assert "x-extend-api-version" in body["message"]
    newer = fake.handle("GET", "/processor_runs", "", fake.auth_headers("2026-02-09"))
    assert newer.status_code == 200


def test_other_paths_and_methods(http: httpx.Client) -> None:
    assert_error(http.get("/processor_runs/dpr_1"), 404, "NOT_FOUND")
    assert_error(http.get("/workflows"), 404, "NOT_FOUND")
    response = http.post("/processor_runs", json={})
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET"


def test_legacy_error_shape() -> None:
    fake = FakeExtend(5, error_shape="legacy")
    response = fake.handle("GET", "/processor_runs", "", {})
    assert response.status_code == 401
    body = response.json()
    assert isinstance(body, dict) and body.keys() == {"success", "error"}
    assert body["success"] is False and "API key" in body["error"]
    assert dict(response.headers)["x-extend-request-id"].startswith("req_")


def test_request_ids_are_fresh(fake: FakeExtend) -> None:
    first = dict(fake.handle("GET", "/processor_runs").headers)["x-extend-request-id"]
    second = dict(fake.handle("GET", "/processor_runs").headers)["x-extend-request-id"]
    assert first != second and len(first) == len("req_") + 20


def test_added_runs_are_served(fake: FakeExtend, http: httpx.Client) -> None:
    before = len(walk(http, maxPageSize=1000))
    fake.add_generated_runs(20, seed=99)
    assert len(walk(http, maxPageSize=1000)) == before + 20
