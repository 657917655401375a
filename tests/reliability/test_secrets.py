"""The API key never shows: not in a repr, a DEBUG log record, an error or a traceback."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import httpx
import pytest

from extend_runs import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ExtendError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from extend_runs.testing import FakeExtend, Fault
from extend_runs.testing._server import run_in_thread

from .matrix import READ_TIMEOUT, SLOW_ANSWER

pytestmark = pytest.mark.integration

SECRET = "sk_live_Qx7TOPSECRETvalue9"
"""The key of every client here: the fake accepts it, so only faults make errors."""


@pytest.fixture(scope="module")
def secret_server() -> Iterator[tuple[FakeExtend, str]]:
    fake = FakeExtend(30, seed=5, api_key=SECRET)
    with run_in_thread(fake.asgi_app()) as url:
        yield fake, url


@pytest.fixture
def secret_fake(secret_server: tuple[FakeExtend, str]) -> FakeExtend:
    secret_server[0].clear_faults()
    secret_server[0].clear_requests()
    return secret_server[0]


@pytest.fixture
def url(secret_server: tuple[FakeExtend, str]) -> str:
    return secret_server[1]


def _renderings(error: BaseException) -> str:
    """Every way an error is commonly shown: str, repr, tracebacks with and without locals."""
    parts = [str(error), repr(error)]
    parts += traceback.format_exception(type(error), error, error.__traceback__)
    exception = traceback.TracebackException.from_exception(error, capture_locals=True)
    parts += exception.format()
    if isinstance(error, APIError) and error.request is not None:
        parts += [repr(error.request), repr(error.request.headers), str(error.request.url)]
    if isinstance(error, (APIStatusError, APIResponseValidationError)):
        parts += [repr(error.response)]
    return "\n".join(parts)


def _raise(client: Client) -> ExtendError:
    """The error of one listing (no key among this frame's locals)."""
    with pytest.raises(ExtendError) as raised:
        list(client.list_processor_runs(max_page_size=10))
    return raised.value


# Each fault, armed for every attempt, and the error it surfaces as.
FAULTS: list[tuple[Callable[[], Fault], type[ExtendError]]] = [
    (lambda: Fault.rate_limited(retry_after=0), RateLimitError),
    (lambda: Fault.server_error(502, html=True), InternalServerError),
    (lambda: Fault.server_error(500), InternalServerError),
    (lambda: Fault.http_error(400, code="INVALID_REQUEST"), BadRequestError),
    (lambda: Fault.http_error(401, code="UNAUTHORIZED"), AuthenticationError),
    (lambda: Fault.http_error(403, code="FORBIDDEN"), PermissionDeniedError),
    (lambda: Fault.http_error(404, code="NOT_FOUND"), NotFoundError),
    (lambda: Fault.http_error(409, code="CONFLICT", retryable=True), APIStatusError),
    (Fault.drop_connection, APIConnectionError),
    (Fault.truncated_body, APIConnectionError),
    (lambda: Fault.delay(SLOW_ANSWER), APITimeoutError),
    (Fault.malformed_json, APIResponseValidationError),
    (Fault.wrong_types, APIResponseValidationError),
]


@pytest.mark.parametrize(("fault", "error_type"), FAULTS, ids=lambda v: getattr(v, "__name__", ""))
def test_no_error_shows_the_key(
    fault: Callable[[], Fault],
    error_type: type[ExtendError],
    secret_fake: FakeExtend,
    url: str,
    waits: list[float],
) -> None:
    secret_fake.inject(fault(), times=None)
    timeout = httpx.Timeout(10.0, read=READ_TIMEOUT)
    with Client(api_key=SECRET, base_url=url, timeout=timeout) as client:
        error = _raise(client)
    assert type(error) is error_type
    shown = _renderings(error)
    assert SECRET not in shown
    assert "Bearer" not in shown
    if isinstance(error, APIConnectionError):
        assert isinstance(error.__cause__, httpx.TransportError)  # the cause was rendered too


def test_a_wrong_key_is_not_shown_either(secret_fake: FakeExtend, url: str) -> None:
    with Client(api_key="sk_live_WRONGkey123", base_url=url) as client:
        error = _raise(client)
    assert type(error) is AuthenticationError
    assert "WRONGkey" not in _renderings(error)


def test_a_refused_connection_does_not_show_the_key(waits: list[float]) -> None:
    with run_in_thread(FakeExtend(1).asgi_app()) as gone:
        pass  # the port is closed now
    with Client(api_key=SECRET, base_url=gone) as client:
        error = _raise(client)
    assert type(error) is APIConnectionError and SECRET not in _renderings(error)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, b'{"code": "UNAUTHORIZED", "message": "Key %s is revoked"}'),
        (400, b'{"success": false, "error": "bad key %s"}'),
        (502, b"<html><title>Bad key %s</title></html>"),
        (500, b"%s"),
    ],
)
def test_a_key_echoed_by_the_server_is_blanked_out(status: int, body: bytes) -> None:
    echoed = body.replace(b"%s", SECRET.encode())
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=echoed))
    client = Client(api_key=SECRET, http_client=httpx.Client(transport=transport), max_retries=0)
    error = _raise(client)
    assert isinstance(error, APIStatusError) and "[redacted]" in error.message
    assert SECRET not in _renderings(error)


def test_reprs_never_show_the_key(url: str) -> None:
    client = Client(api_key=SECRET, base_url=url, workspace_id="ws_1")
    async_client = AsyncClient(api_key=SECRET, base_url=url)
    pager = client.list_processor_runs(status="FAILED")
    request = client._sender.build_request(client._http_client, "/processor_runs", {})
    shown = [
        repr(client),
        repr(client.with_options(max_retries=5)),
        repr(async_client),
        repr(client._settings),
        str(client._settings),
        repr(pager),
        repr(async_client.list_processor_runs()),
        repr(request),
        repr(request.headers),
    ]
    assert all(SECRET not in text for text in shown)
    assert request.headers["authorization"] == f"Bearer {SECRET}"  # it is sent, just not shown
    client.close()
    asyncio.run(async_client.aclose())


@pytest.fixture
def every_record() -> Iterator[list[logging.LogRecord]]:
    """Every log record of every logger at DEBUG: ours, httpx's and httpcore's included."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _rendered(record: logging.LogRecord) -> str:
    text = [record.getMessage(), repr(record.args), repr(record.__dict__)]
    if record.exc_info:
        text.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(text)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_debug_logs_never_show_the_key(
    mode: str,
    secret_fake: FakeExtend,
    url: str,
    every_record: list[logging.LogRecord],
    waits: list[float],
) -> None:
    # A listing that meets a 503, a dropped connection and a timeout, then ends in a 401.
    secret_fake.fail_next(1, Fault.server_error(503), when=lambda r: r.page == 2)
    secret_fake.fail_next(1, Fault.drop_connection(), when=lambda r: r.page == 3)
    secret_fake.fail_next(1, Fault.delay(SLOW_ANSWER), when=lambda r: r.page == 3)
    timeout = httpx.Timeout(10.0, read=READ_TIMEOUT)

    async def listing(**settings: Any) -> list[str]:
        async with AsyncClient(timeout=timeout, base_url=url, **settings) as client:
            return [run.id async for run in client.list_processor_runs(max_page_size=10)]

    if mode == "sync":
        with Client(api_key=SECRET, base_url=url, timeout=timeout) as client:
            assert len(list(client.list_processor_runs(max_page_size=10))) == 30
        wrong = Client(api_key="sk_live_WRONGkey123", base_url=url)
        with wrong, pytest.raises(AuthenticationError):
            list(wrong.with_options(timeout=5.0).list_processor_runs())
    else:
        assert len(asyncio.run(listing(api_key=SECRET))) == 30
    loggers = {record.name.split(".")[0] for record in every_record}
    assert {"extend_runs", "httpx", "httpcore"} <= loggers
    assert not [r for r in every_record if SECRET in _rendered(r) or "WRONGkey" in _rendered(r)]


def test_a_key_echoed_in_any_field_of_an_error_is_redacted(
    secret_fake: FakeExtend, url: str
) -> None:
    echo = {"x-extend-request-id": f"req_{SECRET}"}
    secret_fake.inject(
        Fault.http_error(403, code=f"KEY_{SECRET}", message=f"no {SECRET}", headers=echo)
    )
    with Client(api_key=SECRET, base_url=url) as client:
        error = _raise(client)
    assert isinstance(error, PermissionDeniedError)
    assert error.code == "KEY_[redacted]" and error.message == "no [redacted]"
    assert SECRET not in _renderings(error)


def test_a_key_echoed_in_the_request_id_header_is_redacted() -> None:
    headers = {"x-extend-request-id": f"req_{SECRET}"}
    transport = httpx.MockTransport(lambda request: httpx.Response(404, headers=headers))
    client = Client(api_key=SECRET, http_client=httpx.Client(transport=transport))
    error = _raise(client)
    assert isinstance(error, NotFoundError) and error.request_id == "req_[redacted]"
    assert SECRET not in _renderings(error)


@pytest.mark.parametrize("field", ["code", "requestId", "docUrl", "message"])
def test_a_key_echoed_in_a_body_field_is_redacted(field: str) -> None:
    body = {"code": "X", "message": "m", "requestId": "req_1", "docUrl": "https://d", field: SECRET}
    transport = httpx.MockTransport(lambda request: httpx.Response(400, json=body))
    client = Client(api_key=SECRET, http_client=httpx.Client(transport=transport))
    error = _raise(client)
    assert isinstance(error, BadRequestError)
    assert (error.code, error.request_id, error.doc_url, error.message).count("[redacted]") == 1
    assert SECRET not in _renderings(error)


@pytest.mark.parametrize("twice", [False, True])
def test_a_cursor_echoing_the_key_stops_the_listing_without_showing_it(twice: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = f"cur_{SECRET}" if twice or "nextPageToken" not in request.url.params else None
        return httpx.Response(
            200, json={"success": True, "processorRuns": [], "nextPageToken": token}
        )

    client = Client(
        api_key=SECRET, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    error = _raise(client)
    assert isinstance(error, APIResponseValidationError)
    assert "cursor that contains the API key" in str(error)
    assert SECRET not in _renderings(error)


def test_a_status_error_built_by_hand_redacts_what_it_is_given() -> None:
    response = httpx.Response(401, request=httpx.Request("GET", "https://api.extend.ai/x"))
    error = AuthenticationError(
        f"bad {SECRET}", response=response, code=SECRET, request_id=SECRET, secret=SECRET
    )
    assert SECRET not in str(error) + repr(error)
    assert APIResponseValidationError(f"cursor {SECRET!r}", secret=SECRET).message == (
        "cursor '[redacted]'"
    )


class _Echoing(BaseHTTPRequestHandler):
    """A server that echoes the caller's key back: in a 403's fields and header, or in a
    cursor it hands out again and again."""

    def do_GET(self) -> None:  # the name http.server calls
        key = self.headers["Authorization"].removeprefix("Bearer ")
        if self.path.startswith("/fields"):
            status, headers = 403, {"x-extend-request-id": f"req_{key}"}
            body = {"code": f"KEY_{key}", "message": f"no {key}", "requestId": f"req_{key}",
                    "docUrl": f"https://docs.example/{key}"}  # fmt: skip
        else:
            status, headers = 200, {}
            body = {"success": True, "processorRuns": [], "nextPageToken": f"cur_{key}"}
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def echoing_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echoing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("key", [SECRET, "sk_7ab"])  # a long key, and one too short to refuse
def test_an_echoed_key_is_redacted_over_a_real_socket(echoing_url: str, key: str) -> None:
    with Client(api_key=key, base_url=f"{echoing_url}/fields", max_retries=0) as client:
        error = _raise(client)
    assert isinstance(error, PermissionDeniedError)
    assert (error.code, error.message) == ("KEY_[redacted]", "no [redacted]")
    assert (error.request_id, error.doc_url) == (
        "req_[redacted]",
        "https://docs.example/[redacted]",
    )
    assert key not in _renderings(error)

    # The cursor comes back on every page: the listing stops, and its message quotes the
    # cursor with the key redacted, whether or not the key is long enough to be refused.
    with Client(api_key=key, base_url=echoing_url) as client:
        error = _raise(client)
    assert isinstance(error, APIResponseValidationError)
    assert key not in str(error) + repr(error)
    if len(key) >= 8:
        assert key not in _renderings(error)  # refused at once: not even in the pager's repr
    else:
        assert "the cursor 'cur_[redacted]' a second time" in str(error)
