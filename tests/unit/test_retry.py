"""Retries: which failures, how long to wait, how many times."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import httpx
import pytest

from extend_runs import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)
from extend_runs._retry import backoff_delay, parse_retry_after

from ..conftest import API_KEY, Harness, PagedServer, json_response, page_json

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "20", "retry-after": "9"}, 0.02),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "Thu, 01 Jan 2026 12:00:05 GMT"}, 5.0),
        ({"retry-after": "Thu, 01 Jan 2026 11:59:00 GMT"}, 0.0),
        ({"retry-after": "-4"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "tomorrow"}, None),
        ({"retry-after": "3600"}, 3600.0),
    ],
)
def test_retry_after_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers), now=lambda: NOW) == seconds


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    assert [backoff_delay(n, jitter=lambda: 0.0) for n in (1, 2, 3, 4, 5, 9)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
    ]
    assert backoff_delay(1, jitter=lambda: 1.0) == 0.375
    assert 0.375 <= backoff_delay(1) <= 0.5


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_then_succeed(
    harness: Harness, waits: list[float], status: int
) -> None:
    server = PagedServer(
        total=3, page_size=10, faults={1: json_response(status, {}), 2: json_response(status, {})}
    )
    runs, _ = harness.collect(server)
    assert len(runs) == 3 and len(server.requests) == 3
    assert len(waits) == 2 and 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_final_statuses_are_never_retried(
    harness: Harness, waits: list[float], status: int
) -> None:
    server = PagedServer(total=3, page_size=10, faults={1: json_response(status, {})})
    with pytest.raises(APIStatusError):
        harness.collect(server)
    assert len(server.requests) == 1 and waits == []


def test_a_storm_beyond_max_retries_raises_the_last_error(
    harness: Harness, waits: list[float]
) -> None:
    storm = {
        n: json_response(503, {"code": "INTERNAL_ERROR", "message": f"try {n}"})
        for n in range(1, 9)
    }
    server = PagedServer(total=3, page_size=10, faults=storm)
    with pytest.raises(InternalServerError, match="try 4"):
        harness.collect(server, client_kwargs={"max_retries": 3})
    assert len(server.requests) == 4 and len(waits) == 3


def test_max_retries_zero_disables_retries(harness: Harness, waits: list[float]) -> None:
    server = PagedServer(total=3, page_size=10, faults={1: json_response(500, {})})
    with pytest.raises(InternalServerError):
        harness.collect(server, client_kwargs={"max_retries": 0})
    assert len(server.requests) == 1 and waits == []


def test_retry_after_is_honoured(harness: Harness, waits: list[float]) -> None:
    server = PagedServer(
        total=3,
        page_size=10,
        faults={
            1: json_response(429, {}, **{"retry-after": "2"}),
            2: json_response(503, {}, **{"retry-after-ms": "250"}),
        },
    )
    runs, _ = harness.collect(server)
    assert len(runs) == 3 and waits == [2.0, 0.25]


def test_a_retry_after_beyond_the_cap_raises_at_once(harness: Harness, waits: list[float]) -> None:
    server = PagedServer(
        total=3, page_size=10, faults={1: json_response(429, {}, **{"retry-after": "3600"})}
    )
    with pytest.raises(RateLimitError) as caught:
        harness.collect(server)
    assert caught.value.retry_after == 3600.0
    assert len(server.requests) == 1 and waits == []


def test_connection_errors_and_timeouts_are_retried(harness: Harness, waits: list[float]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.RemoteProtocolError("peer closed connection", request=request)
        if len(calls) == 2:
            raise httpx.ReadTimeout("read timed out", request=request)
        return httpx.Response(200, json=page_json([], None))

    harness.collect(handler)
    assert len(calls) == 3 and len(waits) == 2


@pytest.mark.parametrize(
    ("error", "raised"),
    [(httpx.ConnectError, APIConnectionError), (httpx.PoolTimeout, APITimeoutError)],
)
def test_connection_failures_beyond_max_retries_raise_typed_errors(
    harness: Harness, waits: list[float], error: type[httpx.TransportError], raised: type[Exception]
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise error("nope", request=request)

    with pytest.raises(raised):
        harness.collect(handler, client_kwargs={"max_retries": 2})
    assert len(calls) == 3


def test_each_attempt_is_logged_at_debug_without_the_key(
    harness: Harness, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    server = PagedServer(
        total=3, page_size=10, faults={1: json_response(503, {"message": API_KEY})}
    )
    with caplog.at_level(logging.DEBUG):
        harness.collect(server, status="FAILED")
    mine = [record for record in caplog.records if record.name == "extend_runs"]
    messages = [record.getMessage() for record in mine]
    assert any(
        "GET https://api.extend.ai/processor_runs?status=FAILED -> 503 (attempt 1," in message
        for message in messages
    )
    assert any("-> 200 (attempt 2," in message and " ms)" in message for message in messages)
    assert any(message.startswith("retrying in") for message in messages)
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in repr(record.args)
