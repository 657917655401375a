"""The pytest fixtures, and the SDK's own client against the fake."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from extend_runs import (
    APIResponseValidationError,
    AsyncClient,
    AuthenticationError,
    Client,
    InternalServerError,
    RateLimitError,
)
from extend_runs.testing import FakeExtend, Fault


def test_extend_fake_fixture(extend_fake: FakeExtend) -> None:
    assert len(extend_fake) == 250
    same = FakeExtend(250, seed=0, now=extend_fake.now())
    assert [run["id"] for run in extend_fake.runs()] == [run["id"] for run in same.runs()]
    newest = datetime.fromisoformat(extend_fake.runs(sort_by="createdAt")[0]["createdAt"][:-1])
    assert datetime.now(timezone.utc) - newest.replace(tzinfo=timezone.utc) < timedelta(minutes=5)


def test_extend_client_lists_every_run(extend_client: Client, extend_fake: FakeExtend) -> None:
    failed = [run.id for run in extend_client.list_processor_runs(status="FAILED", max_page_size=7)]
    assert failed == [run["id"] for run in extend_fake.runs(status="FAILED")]
    assert len(extend_fake.requests) == -(-len(failed) // 7)


async def test_async_extend_client_lists_every_run(
    async_extend_client: AsyncClient, extend_fake: FakeExtend
) -> None:
    seen = [run.id async for run in async_extend_client.list_processor_runs(sort_dir="asc")]
    assert seen == [run["id"] for run in extend_fake.runs(sort_dir="asc")]


def test_the_client_retries_through_faults(
    extend_client: Client, extend_fake: FakeExtend, waits: list[float]
) -> None:
    extend_fake.fail_next(1, Fault.rate_limited(retry_after=2), when=lambda r: r.page == 2)
    extend_fake.fail_next(1, Fault.drop_connection(), when=lambda r: r.page == 3)
    runs = list(extend_client.list_processor_runs(max_page_size=100))
    assert [run.id for run in runs] == [run["id"] for run in extend_fake.runs()]
    assert waits == [0.0, 0.0]  # two retries, each at once (the fixture's max_retry_wait=0)


def test_the_client_reports_what_the_fake_breaks(
    extend_client: Client, extend_fake: FakeExtend, waits: list[float]
) -> None:
    extend_fake.inject(Fault.server_error(502, html=True), times=3)
    with pytest.raises(InternalServerError):
        extend_client.list_processor_runs_page()
    extend_fake.fail_next(1, Fault.repeat_cursor(), when=lambda r: r.page == 2)
    with pytest.raises(APIResponseValidationError):
        list(extend_client.list_processor_runs())
    with pytest.raises(AuthenticationError):
        Client(
            api_key="sk_wrong",
            base_url=extend_fake.base_url,
            http_client=extend_client_http(extend_fake),
        ).list_processor_runs_page()


def extend_client_http(fake: FakeExtend) -> httpx.Client:
    return httpx.Client(transport=fake.transport())


def test_the_plugin_in_a_users_project(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        "def count_failed(client):\n"
        "    return sum(1 for _ in client.list_processor_runs(status='FAILED'))\n"
        "\n"
        "def test_count_failed(extend_client, extend_fake):\n"
        "    assert count_failed(extend_client) == len(extend_fake.runs(status='FAILED'))\n"
        "\n"
        "async def test_async(async_extend_client):\n"
        "    page = await async_extend_client.list_processor_runs_page(max_page_size=3)\n"
        "    assert len(page.processor_runs) == 3\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "asyncio_mode=auto"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "2 passed" in result.stdout, result.stdout + result.stderr


def test_the_fixture_client_retries_a_429_at_once(
    extend_client: Client, extend_fake: FakeExtend
) -> None:
    extend_fake.fail_next(2, Fault.rate_limited(retry_after=1))
    started = time.perf_counter()
    page = extend_client.list_processor_runs_page(max_page_size=5)
    assert time.perf_counter() - started < 0.5  # not the 2 s the server asked for
    assert len(page.processor_runs) == 5 and len(extend_fake.requests) == 3
    assert extend_client.max_retry_wait == 0


async def test_the_async_fixture_client_retries_a_503_at_once(
    async_extend_client: AsyncClient, extend_fake: FakeExtend
) -> None:
    extend_fake.fail_next(2, Fault.server_error(503))
    started = time.perf_counter()
    page = await async_extend_client.list_processor_runs_page(max_page_size=5)
    assert time.perf_counter() - started < 0.5  # not 0.5 s + 1 s of backoff
    assert len(page.processor_runs) == 5 and len(extend_fake.requests) == 3


def test_a_client_of_your_own_retries_at_once_with_max_retry_wait_zero() -> None:
    fake = FakeExtend(20, seed=3)
    fake.fail_next(2, Fault.rate_limited(retry_after=1))
    fake.fail_next(1, Fault.server_error(502, html=True))
    with fake.serve() as url, Client(api_key=fake.api_key, base_url=url, max_retries=3) as client:
        instant = client.with_options(max_retry_wait=0)
        started = time.perf_counter()
        assert len(list(instant.list_processor_runs())) == 20
        assert time.perf_counter() - started < 0.5
        assert client.max_retry_wait is None  # the original keeps its waits
    with pytest.raises(ValueError, match="max_retry_wait"):
        Client(api_key="sk_test", max_retry_wait=-1)
    # A Retry-After beyond the 60 s the client waits is still not retried, cap or not.
    fake.fail_next(1, Fault.rate_limited(retry_after=120))
    with fake.serve() as url:
        client = Client(api_key=fake.api_key, base_url=url, max_retry_wait=0)
        with client, pytest.raises(RateLimitError):
            client.list_processor_runs_page()
