"""Faults on demand, the rate limit and the request record, in process."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from typing import Any

import httpx
import pytest

from extend_runs.testing import FakeExtend, Fault

from .conftest import get


def test_rate_limited_with_retry_after_seconds(fake: FakeExtend, http: httpx.Client) -> None:
    rule = fake.fail_next(2, Fault.rate_limited(retry_after=3))
    for _ in range(2):
        response = get(http)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "3"
        body = response.json()
        assert body["code"] == "RATE_LIMIT_EXCEEDED" and body["retryable"] is True
    assert get(http).status_code == 200
    assert (rule.remaining, rule.hits) == (0, 2)


def test_rate_limited_with_http_date_and_milliseconds(fake: FakeExtend, http: httpx.Client) -> None:
    fake.fail_next(1, Fault.rate_limited(retry_after=30, http_date=True, retry_after_ms=1500))
    response = get(http)
    assert response.headers["retry-after-ms"] == "1500"
    moment = email.utils.parsedate_to_datetime(response.headers["retry-after"])
    assert 20 < moment.timestamp() - time.time() <= 31


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_as_json(fake: FakeExtend, http: httpx.Client, status: int) -> None:
    fake.fail_next(1, Fault.server_error(status))
    response = get(http)
    assert response.status_code == status
    assert response.json()["code"] == "INTERNAL_ERROR"
    assert response.json()["retryable"] is True


def test_server_error_as_html(fake: FakeExtend, http: httpx.Client) -> None:
    fake.fail_next(1, Fault.server_error(502, html=True))
    response = get(http)
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert "502 Bad Gateway" in response.text


@pytest.mark.parametrize(("status", "code"), [(408, "REQUEST_TIMEOUT"), (409, "CONFLICT")])
def test_other_statuses(fake: FakeExtend, http: httpx.Client, status: int, code: str) -> None:
    fake.fail_next(1, Fault.http_error(status, code=code, retryable=True))
    response = get(http)
    assert response.status_code == status and response.json()["code"] == code


def test_malformed_json(fake: FakeExtend, http: httpx.Client) -> None:
    fake.fail_next(1, Fault.malformed_json())
    response = get(http)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_missing_runs_and_wrong_types(fake: FakeExtend, http: httpx.Client) -> None:
    fake.fail_next(1, Fault.missing_runs())
    fake.fail_next(1, Fault.wrong_types())
    assert "processorRuns" not in get(http).json()
    body = get(http).json()
    assert not isinstance(body["processorRuns"], list)
    assert not isinstance(body["nextPageToken"], str)


@pytest.mark.parametrize("fault", [Fault.drop_connection(), Fault.truncated_body()])
def test_connection_faults_raise_like_a_socket(
    fake: FakeExtend, http: httpx.Client, fault: Fault
) -> None:
    fake.fail_next(1, fault)
    with pytest.raises(httpx.RemoteProtocolError):
        get(http)
    assert get(http).status_code == 200
    assert fake.requests[0].status_code is None


async def test_connection_faults_in_the_async_transport(fake: FakeExtend) -> None:
    fake.fail_next(1, Fault.drop_connection())
    fake.fail_next(1, Fault.truncated_body())
    async with httpx.AsyncClient(
        transport=fake.async_transport(), base_url=fake.base_url, headers=fake.auth_headers()
    ) as http:
        for _ in range(2):
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/processor_runs")
        assert (await http.get("/processor_runs")).status_code == 200


def test_delay_is_slept_in_the_sync_transport(fake: FakeExtend, http: httpx.Client) -> None:
    fake.fail_next(2, Fault.delay(0.05))
    assert fake.handle("GET", "/processor_runs", "", fake.auth_headers()).delay == 0.05
    started = time.monotonic()
    assert get(http).status_code == 200
    assert time.monotonic() - started >= 0.05


async def test_delay_times_out_an_async_client(fake: FakeExtend) -> None:
    fake.fail_next(1, Fault.delay(5))
    async with httpx.AsyncClient(
        transport=fake.async_transport(), base_url=fake.base_url, headers=fake.auth_headers()
    ) as http:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(http.get("/processor_runs"), 0.05)


def test_global_latency_applies_to_every_response() -> None:
    fake = FakeExtend(5, latency=0.02)
    assert fake.handle("GET", "/processor_runs", "", fake.auth_headers()).delay == 0.02
    assert fake.handle("GET", "/elsewhere").delay == 0.02


def test_repeat_cursor_hands_back_the_requested_cursor(
    fake: FakeExtend, http: httpx.Client
) -> None:
    fake.fail_next(1, Fault.repeat_cursor(), when=lambda request: request.page == 2)
    token = get(http).json()["nextPageToken"]
    second = get(http, nextPageToken=token).json()
    assert second["nextPageToken"] == token
    assert len(second["processorRuns"]) == 10


def test_faults_pick_requests_by_page_and_cursor(fake: FakeExtend, http: httpx.Client) -> None:
    fake.inject(Fault.server_error(503), when=lambda request: request.page == 3)
    first = get(http, maxPageSize=5).json()["nextPageToken"]
    second = get(http, maxPageSize=5, nextPageToken=first).json()["nextPageToken"]
    assert get(http, maxPageSize=5, nextPageToken=second).status_code == 503
    assert get(http, maxPageSize=5, nextPageToken=second).status_code == 200
    fake.inject(Fault.server_error(500), when=lambda request: request.next_page_token == first)
    assert get(http, maxPageSize=5).status_code == 200
    assert get(http, maxPageSize=5, nextPageToken=first).status_code == 500


def test_a_standing_fault_and_clearing(fake: FakeExtend, http: httpx.Client) -> None:
    fake.inject(Fault.server_error(500), times=None)
    assert [get(http).status_code for _ in range(3)] == [500, 500, 500]
    fake.clear_faults()
    assert get(http).status_code == 200


def test_faults_do_not_touch_other_paths(fake: FakeExtend, http: httpx.Client) -> None:
    fake.fail_next(1, Fault.server_error(500))
    assert http.get("/other").status_code == 404
    assert get(http).status_code == 500


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_over_a_sliding_second() -> None:
    clock = Clock()
    fake = FakeExtend(30, rate_limit=3, clock=clock)
    headers = fake.auth_headers()

    def status() -> tuple[int, Any]:
        answer = fake.handle("GET", "/processor_runs", "", headers)
        return answer.status_code, dict(answer.headers).get("retry-after")

    assert [status()[0] for _ in range(3)] == [200, 200, 200]
    code, retry_after = status()
    assert (code, retry_after) == (429, "1")
    body = fake.handle("GET", "/processor_runs", "", headers).json()
    assert isinstance(body, dict) and body["code"] == "RATE_LIMIT_EXCEEDED" and body["retryable"]
    clock.now += 0.5
    assert status()[0] == 429
    clock.now += 0.5
    assert [status()[0] for _ in range(4)] == [200, 200, 200, 429]


def test_rejected_keys_do_not_use_the_rate_budget() -> None:
    fake = FakeExtend(5, rate_limit=1, clock=Clock())
    assert fake.handle("GET", "/processor_runs", "", {}).status_code == 401
    assert fake.handle("GET", "/processor_runs", "", fake.auth_headers()).status_code == 200


def test_requests_are_recorded(fake: FakeExtend, http: httpx.Client) -> None:
    token = get(http, status="FAILED", maxPageSize=3).json()["nextPageToken"]
    get(http, status="FAILED", maxPageSize=3, nextPageToken=token)
    http.get("/processor_runs?status=FAILED&status=PENDING")
    first, second, third = fake.requests
    assert (first.number, first.method, first.path) == (1, "GET", "/processor_runs")
    assert first.query == {"status": "FAILED", "maxPageSize": "3"}
    assert first.headers["authorization"] == f"Bearer {fake.api_key}"
    assert first.headers["x-extend-api-version"] == "2025-04-21"
    assert (first.page, first.next_page_token, first.status_code) == (1, None, 200)
    assert (second.page, second.next_page_token) == (2, token)
    assert third.query_items == (("status", "FAILED"), ("status", "PENDING"))
    assert third.status_code == 400
    fake.clear_requests()
    assert fake.requests == []


def test_recording_is_thread_safe(fake: FakeExtend) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def call(_: int) -> int:
        return fake.handle("GET", "/processor_runs", "", fake.auth_headers()).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(call, range(200))) == {200}
    numbers = sorted(request.number for request in fake.requests)
    assert numbers == list(range(1, 201))
