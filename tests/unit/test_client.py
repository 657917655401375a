"""Client settings, headers, lifetime and secrets."""

from __future__ import annotations

import asyncio
import platform
import re
import sys

import httpx
import pytest

import extend_runs
from extend_runs import AsyncClient, Client, ExtendError

from ..conftest import API_KEY, Harness, page_json


def capture(harness: Harness, **client_kwargs: object) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=page_json([], None))

    harness.one_page(handler, client_kwargs=dict(client_kwargs))
    (request,) = seen
    return request


def test_every_request_carries_the_contract_headers(harness: Harness) -> None:
    request = capture(harness)
    python = ".".join(platform.python_version_tuple()[:2])
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["x-extend-api-version"] == "2025-04-21"
    assert request.headers["user-agent"] == f"extend-runs/{extend_runs.__version__} python/{python}"
    assert request.headers["accept"] == "application/json"
    assert "x-extend-workspace-id" not in request.headers
    assert request.url == "https://api.extend.ai/processor_runs"
    assert request.method == "GET"


def test_workspace_and_version_headers_when_given(harness: Harness) -> None:
    request = capture(harness, workspace_id="ws_123", api_version="2024-12-23")
    assert request.headers["x-extend-workspace-id"] == "ws_123"
    assert request.headers["x-extend-api-version"] == "2024-12-23"


def test_timeout_is_applied_to_each_request(harness: Harness) -> None:
    request = capture(harness, timeout=7.5)
    assert request.extensions["timeout"] == httpx.Timeout(7.5).as_dict()


def test_a_handed_in_http_client_keeps_its_own_timeout() -> None:
    mine = httpx.Client(timeout=httpx.Timeout(3.0, connect=1.0))
    assert Client(api_key=API_KEY, http_client=mine).timeout == httpx.Timeout(3.0, connect=1.0)
    assert Client(api_key=API_KEY).timeout == httpx.Timeout(60.0)


def test_api_key_and_base_url_come_from_the_environment_at_construction(
    monkeypatch: pytest.MonkeyPatch, harness: Harness
) -> None:
    monkeypatch.setenv("EXTEND_API_KEY", "sk_from_env")
    monkeypatch.setenv("EXTEND_BASE_URL", "https://api.eu1.extend.ai/")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=page_json([], None))

    kwargs = harness.client_kwargs(handler)
    del kwargs["api_key"]
    client_class = Client if harness.kind == "sync" else AsyncClient
    client = client_class(**kwargs)
    assert client.base_url == "https://api.eu1.extend.ai"
    if isinstance(client, Client):
        client.list_processor_runs_page()
    else:
        asyncio.run(client.list_processor_runs_page())
    assert seen[0].headers["authorization"] == "Bearer sk_from_env"
    assert seen[0].url == "https://api.eu1.extend.ai/processor_runs"


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_missing_api_key_names_the_environment_variable(client_class: type[Client]) -> None:
    with pytest.raises(ExtendError, match="EXTEND_API_KEY"):
        client_class()
    with pytest.raises(ExtendError, match="EXTEND_API_KEY"):
        client_class(api_key="")


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"api_key": "sk\r\nX-Evil: 1"}, "api_key"),
        ({"workspace_id": "ws\n1"}, "workspace_id"),
        ({"api_version": "2025-04-21\r\n"}, "api_version"),
        ({"api_version": ""}, "api_version"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
        ({"timeout": "30"}, "timeout must be a positive number of seconds"),
        ({"timeout": (5.0, 5.0)}, "timeout must be a positive number of seconds"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"base_url": "ftp://api.extend.ai"}, "base_url"),
        ({"base_url": "api.extend.ai"}, "base_url"),
    ],
)
def test_bad_settings_are_rejected_before_any_request(
    kwargs: dict[str, object], named: str
) -> None:
    arguments: dict[str, object] = {"api_key": API_KEY, **kwargs}
    with pytest.raises(ValueError, match=named) as caught:
        Client(**arguments)  # type: ignore[arg-type]
    assert "sk\r\n" not in str(caught.value)


def test_plain_http_is_refused_except_to_loopback() -> None:
    with pytest.raises(ValueError, match="allow_insecure_http"):
        Client(api_key=API_KEY, base_url="http://api.extend.ai")
    for host in ("http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"):
        assert Client(api_key=API_KEY, base_url=host).base_url == host
    insecure = Client(api_key=API_KEY, base_url="http://proxy.internal", allow_insecure_http=True)
    assert insecure.base_url == "http://proxy.internal"


def test_repr_shows_settings_but_never_the_key() -> None:
    client = Client(api_key=API_KEY, workspace_id="ws_1")
    text = repr(client)
    assert "ws_1" in text and "https://api.extend.ai" in text
    assert API_KEY not in text
    assert API_KEY not in repr(client._settings)
    assert API_KEY not in repr(client.with_options(max_retries=0))


def test_with_options_changes_settings_and_shares_the_pool() -> None:
    client = Client(api_key=API_KEY)
    patient = client.with_options(
        timeout=300.0, max_retries=5, api_version="2024-12-23", workspace_id="ws_9"
    )
    assert isinstance(patient, Client)
    assert (patient.max_retries, patient.api_version, patient.workspace_id) == (
        5,
        "2024-12-23",
        "ws_9",
    )
    assert patient.timeout == httpx.Timeout(300.0)
    assert (client.max_retries, client.api_version, client.workspace_id) == (2, "2025-04-21", None)
    assert patient._http_client is client._http_client
    patient.close()
    assert not client._http_client.is_closed
    client.close()
    assert client._http_client.is_closed
    with pytest.raises(ValueError, match="max_retries"):
        client.with_options(max_retries=-2)


def test_with_options_can_clear_the_workspace() -> None:
    client = Client(api_key=API_KEY, workspace_id="ws_1")
    assert client.with_options(workspace_id=None).workspace_id is None
    assert client.with_options().workspace_id == "ws_1"


def test_client_closes_only_the_pool_it_created() -> None:
    mine = httpx.Client()
    with Client(api_key=API_KEY, http_client=mine):
        pass
    assert not mine.is_closed
    with Client(api_key=API_KEY) as client:
        pass
    assert client._http_client.is_closed


def test_async_client_closes_only_the_pool_it_created() -> None:
    async def main() -> tuple[bool, bool]:
        mine = httpx.AsyncClient()
        async with AsyncClient(api_key=API_KEY, http_client=mine):
            pass
        async with AsyncClient(api_key=API_KEY) as client:
            assert not client._http_client.is_closed  # the pool exists, so there is one to close
        closed = mine.is_closed
        await mine.aclose()
        return closed, client._http_client.is_closed

    assert asyncio.run(main()) == (False, True)


def test_own_pool_does_not_follow_redirects() -> None:
    assert Client(api_key=API_KEY)._http_client.follow_redirects is False


def test_closing_a_client_that_never_sent_builds_no_http_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    for cls in (httpx.Client, httpx.AsyncClient):
        original = cls.__init__

        def counting_init(
            self: object, *args: object, _original=original, **kwargs: object
        ) -> None:
            built.append(type(self).__name__)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting_init)

    with Client(api_key=API_KEY) as client:
        client.with_options(max_retries=0).close()

    async def main() -> None:
        async with AsyncClient(api_key=API_KEY):
            pass

    asyncio.run(main())
    assert built == []


def test_a_sync_client_used_after_close_fails_as_httpx_does() -> None:
    client = Client(api_key=API_KEY)
    client.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        client.list_processor_runs_page()


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize(
    ("call", "kwargs", "expected"),
    [
        ("list_processor_runs", {"status": "failed"}, "did you mean 'FAILED'"),
        ("list_processor_runs", {"processor_type": "OCR"}, "'EXTRACT', 'CLASSIFY', 'SPLITTER'"),
        ("list_processor_runs", {"source": "api"}, "did you mean 'API'"),
        ("list_processor_runs", {"sort_by": "created"}, "'updatedAt', 'createdAt'"),
        ("list_processor_runs", {"sort_dir": "DESC"}, "did you mean 'desc'"),
        ("list_processor_runs", {"max_page_size": 5000}, "from 1 to 1000"),
        ("list_processor_runs", {"next_page_token": ""}, "non-empty string"),
        ("list_processor_runs_page", {"status": "done"}, "status must be one of"),
        ("list_processor_runs_page", {"processor_id": ""}, "processor_id must be a non-empty"),
        ("watch_processor_runs", {"source": "cli"}, "source must be one of"),
        ("watch_processor_runs", {"max_page_size": 0}, "max_page_size must be a whole number"),
    ],
)
def test_a_bad_argument_names_the_parameter_and_allowed_values_in_plain_words(
    client_class: type[Client], call: str, kwargs: dict[str, object], expected: str
) -> None:
    client = client_class(api_key=API_KEY)
    with pytest.raises(ValueError, match=expected) as caught:
        getattr(client, call)(**kwargs)
    assert "pydantic" not in str(caught.value) and "Input should" not in str(caught.value)
    assert "pydantic" not in repr(caught.value)


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize(
    "call",
    ["list_processor_runs", "list_processor_runs_page", "watch_processor_runs", "with_options"],
)
def test_an_unknown_keyword_names_the_public_method_not_a_private_base(
    client_class: type[Client], call: str
) -> None:
    client = client_class(api_key=API_KEY)
    # Python 3.9 names only the function in these messages; later versions add its class.
    named = f"{client_class.__name__}.{call}" if sys.version_info >= (3, 10) else call
    expected = f"{named}() got an unexpected keyword argument 'statuses'"
    with pytest.raises(TypeError) as caught:
        getattr(client, call)(statuses="FAILED")
    assert str(caught.value).startswith(expected)  # 3.13 may add "Did you mean 'status'?"
    assert "_BaseClient" not in str(caught.value)
    with pytest.raises(TypeError, match=rf"^{re.escape(named)}\(\) takes 1 "):
        getattr(client, call)("FAILED")
    method = getattr(client_class, call)
    assert method.__qualname__ == f"{client_class.__name__}.{call}"
    assert method.__doc__ and method.__doc__.strip()


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_an_unknown_constructor_keyword_names_the_client_not_a_private_base(
    client_class: type[Client],
) -> None:
    named = f"{client_class.__name__}.__init__" if sys.version_info >= (3, 10) else "__init__"
    with pytest.raises(TypeError) as caught:
        client_class(api_key=API_KEY, max_retry=3)  # type: ignore[call-arg]
    assert str(caught.value).startswith(f"{named}() got an unexpected keyword argument 'max_retry'")
    assert "_BaseClient" not in str(caught.value)
    with pytest.raises(TypeError, match=rf"^{re.escape(named)}\(\) takes 1 "):
        client_class(API_KEY)  # type: ignore[misc]
