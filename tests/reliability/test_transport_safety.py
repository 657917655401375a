"""Transport safety: plain HTTP, redirects, header injection, hostile cursors, long URLs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extend_runs import (
    APIResponseValidationError,
    APIStatusError,
    BadRequestError,
    Client,
    ListProcessorRunsParams,
)
from extend_runs._constants import MAX_PAGE_TOKEN_LENGTH
from extend_runs.testing import FakeExtend
from extend_runs.testing._server import run_in_thread

from ..conftest import API_KEY

pytestmark = pytest.mark.integration

# -- plain HTTP -----------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.extend.ai",
        "HTTP://api.extend.ai",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://10.0.0.8:8080",
    ],
)
def test_the_key_is_not_sent_over_plain_http_to_a_remote_host(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="allow_insecure_http") as refused:
        Client(api_key=API_KEY, base_url=base_url)
    assert API_KEY not in str(refused.value)
    monkeypatch.setenv("EXTEND_BASE_URL", base_url)
    with pytest.raises(ValueError, match="allow_insecure_http"):
        Client(api_key=API_KEY)
    assert Client(api_key=API_KEY, base_url=base_url, allow_insecure_http=True)


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000", "http://127.9.9.9"],
)
def test_plain_http_to_loopback_is_allowed(base_url: str) -> None:
    assert Client(api_key=API_KEY, base_url=base_url).base_url == base_url


def test_insecure_http_sends_the_key_only_when_allowed(fake: FakeExtend, base_url: str) -> None:
    # "localhost" is loopback; the same server under a non-loopback name needs the opt-in.
    remote_style = base_url.replace("127.0.0.1", "127.0.0.1.nip.io")
    with pytest.raises(ValueError, match="unencrypted"):
        Client(api_key=fake.api_key, base_url=remote_style)
    assert fake.requests == []


# -- redirects --------------------------------------------------------------------


class Redirect:
    """An ASGI app answering every request with a redirect to ``location``."""

    def __init__(self, status: int, location: str) -> None:
        self.status = status
        self.location = location

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope["path"] + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        headers = [(b"location", (self.location + path).encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def elsewhere() -> Iterator[tuple[FakeExtend, str]]:
    """A second fake on another port: another origin, recording what reaches it."""
    other = FakeExtend(10)
    with run_in_thread(other.asgi_app()) as url:
        yield other, url


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed_by_default(
    status: int, elsewhere: tuple[FakeExtend, str]
) -> None:
    other, other_url = elsewhere
    with (
        run_in_thread(Redirect(status, other_url)) as url,
        Client(api_key=other.api_key, base_url=url) as client,
    ):
        with pytest.raises(APIStatusError) as raised:
            client.list_processor_runs_page()
        with pytest.raises(APIStatusError):
            list(client.list_processor_runs())
    assert type(raised.value) is APIStatusError and raised.value.status_code == status
    assert other.requests == []


def test_a_cross_origin_redirect_never_carries_the_key(elsewhere: tuple[FakeExtend, str]) -> None:
    other, other_url = elsewhere
    # Someone who opts into redirects with their own httpx client still keeps the key home.
    with (
        run_in_thread(Redirect(307, other_url)) as url,
        httpx.Client(follow_redirects=True) as http,
    ):
        client = Client(api_key=other.api_key, base_url=url, http_client=http)
        with pytest.raises(APIStatusError) as raised:
            client.list_processor_runs_page(status="FAILED")
    assert raised.value.status_code == 401
    (followed,) = other.requests
    assert followed.query == {"status": "FAILED"}
    assert "authorization" not in followed.headers
    assert other.api_key not in json.dumps(followed.headers)


# -- header injection --------------------------------------------------------------

CONTROL = ["\r\nX-Injected: 1", "\n", "\r", "\x00", "\t", "\x7f", "\x1b[31m", "é"]


@pytest.mark.parametrize("bad", CONTROL)
def test_control_characters_in_the_key_are_refused_without_showing_it(bad: str) -> None:
    key = "sk_live_SECRET" + bad + "tail"
    with pytest.raises(ValueError, match="api_key") as refused:
        Client(api_key=key)
    assert "SECRET" not in str(refused.value) and "tail" not in str(refused.value)


@pytest.mark.parametrize("bad", [c for c in CONTROL if c != "\x00"])  # no NUL in environ
def test_control_characters_in_the_key_from_the_environment_are_refused(
    bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXTEND_API_KEY", "sk_live_SECRET" + bad)
    with pytest.raises(ValueError, match="api_key") as refused:
        Client()
    assert "SECRET" not in str(refused.value)


@pytest.mark.parametrize("bad", CONTROL)
@pytest.mark.parametrize("setting", ["workspace_id", "api_version"])
def test_control_characters_in_other_headers_are_refused(setting: str, bad: str) -> None:
    with pytest.raises(ValueError, match=setting):
        Client(api_key=API_KEY, **{setting: "ws_1" + bad})  # type: ignore[arg-type]
    client = Client(api_key=API_KEY)
    with pytest.raises(ValueError, match=setting):
        client.with_options(**{setting: "ws_1" + bad})  # type: ignore[arg-type]


# -- hostile cursors ------------------------------------------------------------------

HOSTILE_TOKENS = [
    "abc&status=FAILED",
    "abc#fragment",
    "abc?maxPageSize=1",
    "a b+c%20d%26",
    "abc\r\nX-Injected: 1",
    "\x00\x01\x7f",
    "é€😀",
    "x" * MAX_PAGE_TOKEN_LENGTH,
    "😀" * MAX_PAGE_TOKEN_LENGTH,
]


@pytest.mark.parametrize("token", HOSTILE_TOKENS, ids=lambda token: repr(token[:20]))
def test_a_hostile_user_cursor_reaches_the_server_whole(
    token: str, fake: FakeExtend, base_url: str
) -> None:
    with Client(api_key=fake.api_key, base_url=base_url, max_retries=0) as client:
        with pytest.raises(BadRequestError, match="nextPageToken"):
            client.list_processor_runs_page(max_page_size=7, next_page_token=token)
        with pytest.raises(BadRequestError):
            list(client.list_processor_runs(max_page_size=7, next_page_token=token))
    for received in fake.requests:
        assert received.query_items == (("maxPageSize", "7"), ("nextPageToken", token))


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_user_cursor_reaches_the_fake_whole(token: str) -> None:
    fake = FakeExtend(5)
    with (
        Client(
            api_key=fake.api_key,
            base_url=fake.base_url,
            http_client=httpx.Client(transport=fake.transport()),
            max_retries=0,
        ) as client,
        pytest.raises(BadRequestError),
    ):
        client.list_processor_runs_page(status="FAILED", next_page_token=token)
    (received,) = fake.requests
    assert received.query_items == (("status", "FAILED"), ("nextPageToken", token))


class SwapCursor:
    """Wraps the fake's app: the first page's cursor is replaced by ``hostile``.

    A request sending ``hostile`` back is recorded as the server decoded it, then handed
    to the fake with the real cursor, so the listing goes on if, and only if, the client
    returned the hostile cursor exactly.
    """

    def __init__(self, app: Any, hostile: str) -> None:
        self.app = app
        self.hostile = hostile
        self.real: str | None = None
        self.returned: list[list[tuple[str, str]]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        items = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if ("nextPageToken", self.hostile) in items:
            self.returned.append(items)
            items = [(k, self.real if v == self.hostile else v) for k, v in items]
            scope = {**scope, "query_string": urlencode(items).encode()}
        elif any(name == "nextPageToken" for name, _ in items):
            await self.app(scope, receive, send)
            return
        messages: list[dict[str, Any]] = []

        async def keep(message: dict[str, Any]) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        start, body = messages[0], json.loads(b"".join(m.get("body", b"") for m in messages[1:]))
        if self.real is None and body.get("nextPageToken"):
            self.real, body["nextPageToken"] = body["nextPageToken"], self.hostile
        content = json.dumps(body).encode()
        headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": content})


@pytest.mark.parametrize(
    "hostile", [t for t in HOSTILE_TOKENS if t.strip("\x00\x01\x7f")], ids=lambda t: repr(t[:20])
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_hostile_server_cursor_is_sent_back_whole(hostile: str, mode: str) -> None:
    fake = FakeExtend(25, seed=3)
    app = SwapCursor(fake.asgi_app(), hostile)
    with run_in_thread(app) as url:
        runs = _list_all(mode, fake.api_key, url, max_page_size=10)
    assert runs == [run["id"] for run in fake.runs()]
    assert app.returned == [[("maxPageSize", "10"), ("nextPageToken", hostile)]]


def _list_all(mode: str, api_key: str, base_url: str, **kwargs: Any) -> list[str]:
    import asyncio

    from extend_runs import AsyncClient

    if mode == "sync":
        with Client(api_key=api_key, base_url=base_url) as client:
            return [run.id for run in client.list_processor_runs(**kwargs)]

    async def main() -> list[str]:
        async with AsyncClient(api_key=api_key, base_url=base_url) as client:
            return [run.id async for run in client.list_processor_runs(**kwargs)]

    return asyncio.run(main())


# -- URLs that cannot be sent ------------------------------------------------------------


def test_a_cursor_too_long_to_send_back_is_refused_before_any_request(fake: FakeExtend) -> None:
    too_long = "x" * (MAX_PAGE_TOKEN_LENGTH + 1)
    client = Client(api_key=API_KEY, http_client=httpx.Client(transport=fake.transport()))
    for call in (client.list_processor_runs, client.list_processor_runs_page):
        with pytest.raises(ValueError, match="next_page_token"):
            call(next_page_token=too_long)
    with pytest.raises(ValueError, match="next_page_token"):
        ListProcessorRunsParams(next_page_token=too_long)
    assert fake.requests == []


def test_a_server_cursor_too_long_to_send_back_stops_the_listing() -> None:
    too_long = "c" * (MAX_PAGE_TOKEN_LENGTH + 1)
    body = {"success": True, "processorRuns": [], "nextPageToken": too_long}
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=body)

    client = Client(
        api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(answer))
    )
    pager = client.list_processor_runs()
    with pytest.raises(APIResponseValidationError, match="cursor"):
        list(pager)
    assert len(sent) == 1 and pager.next_page_token is None


def test_filters_too_long_for_a_url_raise_value_error(fake: FakeExtend) -> None:
    client = Client(api_key=API_KEY, http_client=httpx.Client(transport=fake.transport()))
    long_text = "n" * 70_000
    with pytest.raises(ValueError, match="file_name_contains"):
        client.list_processor_runs_page(file_name_contains=long_text)
    with pytest.raises(ValueError, match="do not fit in a URL"):
        list(client.list_processor_runs(processor_id=long_text))
    assert fake.requests == []
