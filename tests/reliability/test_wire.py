"""What users see when talking to a real server goes wrong, over a loopback socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest

from extend_runs import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncClient,
    Client,
    ProcessorRunsPage,
)
from extend_runs.testing import FakeExtend, Fault


@pytest.fixture
def fake() -> FakeExtend:
    return FakeExtend(30, seed=0)


@pytest.fixture
def base_url(fake: FakeExtend) -> Iterator[str]:
    with fake.serve() as url:
        yield url


def first_page(kind: str, **client_kwargs: object) -> object:
    """Fetch one page with ``Client`` or ``AsyncClient``; return the page."""
    if kind == "sync":
        with Client(**client_kwargs) as client:  # type: ignore[arg-type]
            return client.list_processor_runs_page()

    async def main() -> object:
        async with AsyncClient(**client_kwargs) as client:  # type: ignore[arg-type]
            return await client.list_processor_runs_page()

    return asyncio.run(main())


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_connection_error_names_the_host_it_could_not_reach(kind: str) -> None:
    port = closed_port()
    with pytest.raises(APIConnectionError) as refused:
        first_page(kind, api_key="sk_test", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    assert str(refused.value).startswith(f"Connection error: could not reach 127.0.0.1:{port} (")

    # A typo in the host: ".invalid" never resolves, so this fails in DNS, offline or not.
    with pytest.raises(APIConnectionError) as unknown:
        first_page(kind, api_key="sk_test", base_url="https://api.extend.invalid", max_retries=0)
    assert "could not reach api.extend.invalid (" in str(unknown.value)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_timeout_names_the_host(kind: str, fake: FakeExtend, base_url: str) -> None:
    fake.inject(Fault.delay(0.5))
    where = base_url.removeprefix("http://")
    with pytest.raises(APITimeoutError, match=f"timed out talking to {where} "):
        first_page(kind, api_key=fake.api_key, base_url=base_url, max_retries=0, timeout=0.1)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_2xx_html_page_says_html_and_gives_its_title(
    kind: str, fake: FakeExtend, base_url: str
) -> None:
    fake.inject(Fault.html_page(200, title="Sign in to Contoso SSO"))
    with pytest.raises(APIResponseValidationError) as caught:
        first_page(kind, api_key=fake.api_key, base_url=base_url)
    message = str(caught.value)
    assert message.startswith(
        "The server's 200 response is an HTML page ('Sign in to Contoso SSO')"
    )
    assert "login portal or a proxy" in message
    assert len(fake.requests) == 1  # not retried: the same request gets the same page


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_200_saying_success_false_is_an_error_not_an_empty_last_page(kind: str) -> None:
    legacy = FakeExtend(30, seed=0, error_shape="legacy")
    legacy.inject(Fault.http_error(200, message="Workspace is suspended."))
    with legacy.serve() as url, pytest.raises(APIResponseValidationError) as caught:
        first_page(kind, api_key=legacy.api_key, base_url=url)
    assert str(caught.value) == (
        "The server's 200 response reports a failure (success: false): Workspace is suspended."
    )


def test_a_200_with_an_empty_page_and_success_false_is_an_error_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"success": False, "processorRuns": [], "code": "DISABLED", "message": "Off."}
        return httpx.Response(200, json=body)

    http_client = httpx.Client(transport=httpx.MockTransport(handler))
    client = Client(api_key="sk_test", http_client=http_client)
    with pytest.raises(APIResponseValidationError, match=r"\(success: false\) DISABLED: Off\.$"):
        list(client.list_processor_runs())


def test_with_options_switches_key_and_base_url_validated_like_the_constructor() -> None:
    us, eu = FakeExtend(12, seed=1, api_key="sk_us_key_1"), FakeExtend(7, seed=2, api_key="sk_eu_2")
    with us.serve() as us_url, eu.serve() as eu_url:
        client = Client(api_key="sk_us_key_1", base_url=us_url, max_requests_per_second=50.0)
        with client:
            other = client.with_options(api_key="sk_eu_2", base_url=eu_url + "/")
            assert other.base_url == eu_url and client.base_url == us_url
            assert len(list(other.list_processor_runs())) == 7
            assert len(list(client.list_processor_runs())) == 12
            assert eu.requests[0].headers["authorization"] == "Bearer sk_eu_2"
            assert len(eu.requests) == 1 and len(us.requests) == 2  # 10 runs a page
            # The pacing budget stays shared while the rate is left out, as documented.
            assert other._settings.pacer is client._settings.pacer

    with pytest.raises(ValueError, match="allow_insecure_http"):
        client.with_options(base_url="http://api.example.com")
    insecure = client.with_options(base_url="http://proxy.internal", allow_insecure_http=True)
    assert insecure.base_url == "http://proxy.internal"
    assert insecure.with_options(max_retries=0).base_url == "http://proxy.internal"
    with pytest.raises(ValueError, match="allow_insecure_http"):
        insecure.with_options(allow_insecure_http=False)  # its http:// URL is no longer allowed
    for bad in ("ftp://x", "api.extend.ai", ""):
        with pytest.raises(ValueError, match="base_url"):
            client.with_options(base_url=bad)
    with pytest.raises(ValueError, match="api_key") as caught:
        client.with_options(api_key="sk_new\r\nX-Evil: 1")
    assert "sk_new" not in str(caught.value)
    with pytest.raises(ValueError, match="api_key"):
        client.with_options(api_key="")
    assert "sk_eu_2" not in repr(client.with_options(api_key="sk_eu_2"))


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_each_page_carries_its_request_id_and_headers_outside_its_fields(
    kind: str, fake: FakeExtend, base_url: str
) -> None:
    settings = {"api_key": fake.api_key, "base_url": base_url}
    page = first_page(kind, **settings)
    assert isinstance(page, ProcessorRunsPage)
    assert page.request_id is not None and page.request_id.startswith("req_")
    assert page.headers["X-Extend-Request-Id"] == page.request_id
    assert page.headers["content-type"] == "application/json"
    assert set(page.model_dump()) == {"success", "processor_runs", "next_page_token"}
    assert "request_id" not in page.model_dump_json()

    if kind == "sync":
        with Client(**settings) as client:  # type: ignore[arg-type]
            pages = list(client.list_processor_runs(max_page_size=10).pages())
    else:

        async def main() -> list[ProcessorRunsPage]:
            async with AsyncClient(**settings) as client:  # type: ignore[arg-type]
                return [each async for each in client.list_processor_runs(max_page_size=10).pages()]

        pages = asyncio.run(main())
    ids = [each.request_id for each in pages]
    assert len(pages) == 3 and None not in ids and len(set(ids)) == 3


def test_a_page_built_by_hand_has_no_request_id() -> None:
    page = ProcessorRunsPage.model_validate({"success": True, "processorRuns": []})
    assert page.request_id is None and dict(page.headers) == {}


def _page_sizes(fake: FakeExtend) -> list[object]:
    sizes = [request.query.get("maxPageSize") for request in fake.requests]
    fake.clear_requests()
    return sizes


def test_whole_listing_consumers_ask_for_1000_a_page_and_a_loop_keeps_the_default(
    fake: FakeExtend, base_url: str
) -> None:
    pytest.importorskip("pandas")
    with Client(api_key=fake.api_key, base_url=base_url) as client:
        assert len(client.list_processor_runs().to_pandas()) == 30
        assert _page_sizes(fake) == ["1000"]
        assert len(client.list_processor_runs().to_dicts()) == 30
        assert _page_sizes(fake) == ["1000"]
        assert len(client.list_processor_runs(max_page_size=12).to_dicts()) == 30
        assert _page_sizes(fake) == ["12", "12", "12"]
        assert len(list(client.list_processor_runs())) == 30  # the server's 10 a page
        assert _page_sizes(fake) == [None, None, None]
        assert len(list(client.list_processor_runs().pages())) == 3
        assert _page_sizes(fake) == [None, None, None]

    async def main() -> None:
        async with AsyncClient(api_key=fake.api_key, base_url=base_url) as client:
            assert len(await client.list_processor_runs().to_pandas()) == 30
            assert _page_sizes(fake) == ["1000"]
            assert len(await client.list_processor_runs().to_dicts()) == 30
            assert _page_sizes(fake) == ["1000"]
            assert len([run async for run in client.list_processor_runs()]) == 30
            assert _page_sizes(fake) == [None, None, None]

    asyncio.run(main())
