"""Error mapping: status classes, every body shape, unreadable bodies, bad 2xx bodies."""

from __future__ import annotations

import httpx
import pytest

from extend_runs import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

from ..conftest import API_KEY, Harness, fixture_bytes, json_response, page_json, run_json


def fail_with(response: httpx.Response, harness: Harness) -> APIStatusError:
    def handler(request: httpx.Request) -> httpx.Response:
        return response

    with pytest.raises(APIStatusError) as caught:
        harness.one_page(handler, client_kwargs={"max_retries": 0})
    return caught.value


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (599, InternalServerError),
        (402, APIStatusError),
        (409, APIStatusError),
        (422, APIStatusError),
        (301, APIStatusError),
    ],
)
def test_each_status_raises_its_class(
    harness: Harness, status: int, error_class: type[APIStatusError]
) -> None:
    error = fail_with(json_response(status, {"code": "X", "message": "m"}), harness)
    assert type(error) is error_class
    assert error.status_code == status


def test_current_body_fills_every_attribute(harness: Harness) -> None:
    response = httpx.Response(401, content=fixture_bytes("error-401.json"))
    error = fail_with(response, harness)
    assert isinstance(error, AuthenticationError)
    assert error.code == "UNAUTHORIZED"
    assert error.message == "The API key is missing, malformed or invalid."
    assert error.retryable is False
    assert error.request_id == "req_T2nVb8KqZ4xLw7RcP1sM"
    assert error.response is response
    assert str(error) == (
        "401 UNAUTHORIZED: The API key is missing, malformed or invalid. "
        "(request_id=req_T2nVb8KqZ4xLw7RcP1sM)"
    )


def test_doc_url_is_kept(harness: Harness) -> None:
    body = {"code": "INVALID_REQUEST", "message": "bad", "retryable": False, "docUrl": "https://d"}
    assert fail_with(json_response(400, body), harness).doc_url == "https://d"


def test_legacy_body_fills_the_message(harness: Harness) -> None:
    error = fail_with(json_response(401, {"success": False, "error": "Invalid API key"}), harness)
    assert error.message == "Invalid API key"
    assert error.code is None
    assert "401: Invalid API key" in str(error)


def test_nested_error_body_fills_code_and_message(harness: Harness) -> None:
    body = {"error": {"code": "INVALID_REQUEST", "message": "maxPageSize too big"}}
    error = fail_with(json_response(400, body), harness)
    assert (error.code, error.message) == ("INVALID_REQUEST", "maxPageSize too big")


def test_request_id_falls_back_to_the_header(harness: Harness) -> None:
    response = json_response(404, {"message": "no"}, **{"x-extend-request-id": "req_hdr"})
    assert fail_with(response, harness).request_id == "req_hdr"


def test_an_html_page_still_gives_a_readable_message(harness: Harness) -> None:
    html = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    error = fail_with(httpx.Response(502, content=html), harness)
    assert error.message == "502 Bad Gateway"
    assert str(error) == "502: 502 Bad Gateway"


def test_html_without_a_title_is_stripped_and_shortened(harness: Harness) -> None:
    html = ("<div>" + "oops " * 200 + "</div>").encode()
    error = fail_with(httpx.Response(500, content=html), harness)
    assert "<" not in error.message and len(error.message) <= 300
    assert error.message.startswith("oops oops")


def test_an_empty_body_falls_back_to_the_reason_phrase(harness: Harness) -> None:
    assert fail_with(httpx.Response(503), harness).message == "Service Unavailable"


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{", b"\xff\xfe"])
def test_odd_bodies_never_raise_anything_but_the_status_error(
    harness: Harness, body: bytes
) -> None:
    error = fail_with(httpx.Response(400, content=body), harness)
    assert isinstance(error, BadRequestError) and error.message


def test_a_key_echoed_by_the_server_is_redacted(harness: Harness) -> None:
    body = {"code": "UNAUTHORIZED", "message": f"bad key {API_KEY}"}
    error = fail_with(json_response(401, body), harness)
    assert API_KEY not in str(error) and API_KEY not in repr(error)
    assert "[redacted]" in error.message


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b"<html>not json</html>", r"an HTML page \('not json'\)"),
        (b"not json", "Invalid JSON"),
        (b'{"success": true}', "processorRuns"),
        (b'{"success": true, "processorRuns": {}}', "processorRuns"),
        (b'{"success": true, "processorRuns": [{"id": "dpr_1"}]}', "processorRuns.0.status"),
        (b'{"success": true, "processorRuns": [], "nextPageToken": 5}', "nextPageToken"),
    ],
)
def test_a_2xx_that_is_not_a_page_raises_a_validation_error(
    harness: Harness, body: bytes, mentions: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with pytest.raises(APIResponseValidationError, match=mentions) as caught:
        harness.collect(handler)
    assert caught.value.response is not None and caught.value.response.status_code == 200


def test_a_run_missing_a_required_field_is_a_validation_error(harness: Harness) -> None:
    bad = run_json(2)
    del bad["processorName"]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page_json([run_json(1), bad], None))

    with pytest.raises(APIResponseValidationError, match="processorName"):
        harness.collect(handler)


def test_timeouts_and_connection_failures_are_typed(harness: Harness) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(APITimeoutError, match="timed out") as timed_out:
        harness.one_page(timeout, client_kwargs={"max_retries": 0})
    assert isinstance(timed_out.value.__cause__, httpx.ReadTimeout)
    with pytest.raises(APIConnectionError, match="connection refused") as failed:
        harness.one_page(refused, client_kwargs={"max_retries": 0})
    assert not isinstance(failed.value, APITimeoutError)
    assert failed.value.request is not None
