"""Shared test helpers: sleep recording and a sync/async harness over MockTransport."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from extend_runs import AsyncClient, Client, ProcessorRunsPage, ProcessorRunSummary, _retry

FIXTURES = Path(__file__).parent / "fixtures"
API_KEY = "sk_test_Zr8bq1WnP4secretKEY"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture_bytes(name: str) -> bytes:
    """One of the example payloads of the real API kept in ``tests/fixtures``."""
    return (FIXTURES / name).read_bytes()


def run_json(index: int, **overrides: Any) -> dict[str, Any]:
    """One run summary in wire form."""
    run = {
        "id": f"dpr_{index:06d}",
        "status": "PROCESSED",
        "processorId": "dp_invoices",
        "processorName": "Invoice Extractor",
        "processorVersionId": "dpv_1",
        "type": "EXTRACT",
        "createdAt": "2025-11-18T14:02:11Z",
        "updatedAt": "2025-11-18T14:03:27.482Z",
        "usage": {"credits": 1.5},
    }
    run.update(overrides)
    return run


def page_json(runs: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "processorRuns": runs}
    if token is not None:
        body["nextPageToken"] = token
    return body


class PagedServer:
    """A MockTransport handler serving ``pages`` of runs, chained by cursors ``c1, c2, ...``.

    ``faults`` maps a request number (1-based) to a response served instead, once.
    """

    def __init__(self, total: int, page_size: int, faults: dict[int, httpx.Response] | None = None):
        runs = [run_json(i) for i in range(total)]
        self.pages = [runs[i : i + page_size] for i in range(0, total, page_size)] or [[]]
        self.faults = dict(faults or {})
        self.requests: list[httpx.Request] = []

    def token(self, index: int) -> str:
        return f"c{index}+/=:{index}"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self.faults.pop(len(self.requests), None)
        if fault is not None:
            return fault
        token = request.url.params.get("nextPageToken")
        index = 0 if token is None else int(token.rsplit(":", 1)[1])
        has_more = index + 1 < len(self.pages)
        return httpx.Response(
            200, json=page_json(self.pages[index], self.token(index + 1) if has_more else None)
        )

    @property
    def ids(self) -> list[str]:
        return [run["id"] for page in self.pages for run in page]


class Harness:
    """Drives the same scenario through ``Client`` or ``AsyncClient``."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def client_kwargs(self, handler: Handler, **kwargs: Any) -> dict[str, Any]:
        transport = httpx.MockTransport(handler)
        http_client: httpx.Client | httpx.AsyncClient = (
            httpx.Client(transport=transport)
            if self.kind == "sync"
            else httpx.AsyncClient(transport=transport)
        )
        return {"api_key": API_KEY, "http_client": http_client, **kwargs}

    def collect(
        self, handler: Handler, client_kwargs: dict[str, Any] | None = None, **list_kwargs: Any
    ) -> tuple[list[ProcessorRunSummary], Any]:
        """Iterate a listing to the end; return its runs and the pager."""
        kwargs = self.client_kwargs(handler, **(client_kwargs or {}))
        if self.kind == "sync":
            pager = Client(**kwargs).list_processor_runs(**list_kwargs)
            return list(pager), pager

        async def main() -> tuple[list[ProcessorRunSummary], Any]:
            pager = AsyncClient(**kwargs).list_processor_runs(**list_kwargs)
            return [run async for run in pager], pager

        return asyncio.run(main())

    def pager(self, handler: Handler, **list_kwargs: Any) -> Any:
        """A pager that has not sent anything yet."""
        client_class = Client if self.kind == "sync" else AsyncClient
        return client_class(**self.client_kwargs(handler)).list_processor_runs(**list_kwargs)

    def drain(self, pager: Any, into: list[ProcessorRunSummary]) -> None:
        """Iterate a pager, appending each run to ``into`` as it arrives; errors propagate."""
        if self.kind == "sync":
            for run in pager:
                into.append(run)
            return

        async def main() -> None:
            async for run in pager:
                into.append(run)

        asyncio.run(main())

    def take(self, pager: Any, count: int) -> list[ProcessorRunSummary]:
        """Iterate a pager for ``count`` runs, then leave the loop (``break``)."""
        runs: list[ProcessorRunSummary] = []
        if self.kind == "sync":
            for run in pager:
                runs.append(run)
                if len(runs) == count:
                    break
            return runs

        async def main() -> None:
            async for run in pager:
                runs.append(run)
                if len(runs) == count:
                    break

        asyncio.run(main())
        return runs

    def resume(self, pager: Any) -> list[ProcessorRunSummary]:
        """Iterate an existing pager again (to resume after an error)."""
        runs: list[ProcessorRunSummary] = []
        self.drain(pager, runs)
        return runs

    def pages(self, handler: Handler, **list_kwargs: Any) -> list[ProcessorRunsPage]:
        kwargs = self.client_kwargs(handler)
        if self.kind == "sync":
            return list(Client(**kwargs).list_processor_runs(**list_kwargs).pages())

        async def main() -> list[ProcessorRunsPage]:
            pager = AsyncClient(**kwargs).list_processor_runs(**list_kwargs)
            return [page async for page in pager.pages()]

        return asyncio.run(main())

    def one_page(
        self, handler: Handler, client_kwargs: dict[str, Any] | None = None, **kwargs: Any
    ) -> ProcessorRunsPage:
        ckwargs = self.client_kwargs(handler, **(client_kwargs or {}))
        if self.kind == "sync":
            return Client(**ckwargs).list_processor_runs_page(**kwargs)

        async def main() -> ProcessorRunsPage:
            return await AsyncClient(**ckwargs).list_processor_runs_page(**kwargs)

        return asyncio.run(main())


@pytest.fixture(params=["sync", "async"])
def harness(request: pytest.FixtureRequest) -> Harness:
    """The same test, once through ``Client`` and once through ``AsyncClient``."""
    return Harness(request.param)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the client's retry waits instead of sleeping through them."""
    recorded: list[float] = []

    async def async_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_retry, "sleep", recorded.append)
    monkeypatch.setattr(_retry, "async_sleep", async_sleep)
    return recorded


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's real Extend settings."""
    monkeypatch.delenv("EXTEND_API_KEY", raising=False)
    monkeypatch.delenv("EXTEND_BASE_URL", raising=False)


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)
