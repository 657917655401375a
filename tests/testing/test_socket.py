"""The fake on a real loopback socket, in a thread and in its own process."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import httpx
import pytest

from extend_runs.testing import FakeExtend, Fault

pytestmark = pytest.mark.integration


def test_serve_answers_and_shuts_down() -> None:
    fake = FakeExtend(25, seed=4)
    with fake.serve() as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(base_url + "/processor_runs", headers=fake.auth_headers())
        assert response.status_code == 200
        assert [run["id"] for run in response.json()["processorRuns"]] == [
            run["id"] for run in fake.runs()[:10]
        ]
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/processor_runs")


def test_cursors_survive_percent_encoding_over_the_wire() -> None:
    fake = FakeExtend(60, seed=4)
    with (
        fake.serve() as base_url,
        httpx.Client(base_url=base_url, headers=fake.auth_headers()) as http,
    ):
        seen, token = [], None
        while True:
            params = {"maxPageSize": 7} | ({"nextPageToken": token} if token else {})
            body = http.get("/processor_runs", params=params).json()
            seen += [run["id"] for run in body["processorRuns"]]
            token = body.get("nextPageToken")
            if not token:
                break
    assert seen == [run["id"] for run in fake.runs()]


@pytest.mark.parametrize("fault", [Fault.drop_connection(), Fault.truncated_body()])
def test_dropped_connection_over_the_socket(fault: Fault) -> None:
    fake = FakeExtend(25)
    fake.fail_next(1, fault)
    with fake.serve() as base_url, httpx.Client(base_url=base_url) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/processor_runs", headers=fake.auth_headers())
        assert http.get("/processor_runs", headers=fake.auth_headers()).status_code == 200


def test_html_502_over_the_socket() -> None:
    fake = FakeExtend(5)
    fake.fail_next(1, Fault.server_error(502, html=True))
    with fake.serve() as base_url:
        response = httpx.get(base_url + "/processor_runs", headers=fake.auth_headers())
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert "<h1>502 Bad Gateway</h1>" in response.text


def test_the_official_sdk_lists_the_fakes_runs() -> None:
    from extend_ai import Extend

    fake = FakeExtend(40, seed=8)
    expected = [run["id"] for run in fake.runs(status="PROCESSED")]
    with fake.serve() as base_url, httpx.Client() as http:
        sdk = Extend(
            token=fake.api_key,
            base_url=base_url,
            extend_api_version="2025-04-21",
            httpx_client=http,
        )
        seen, token = [], None
        while True:
            page = sdk.processor_run.list(
                status="PROCESSED", max_page_size=4, next_page_token=token
            )
            seen += [run.id for run in page.processor_runs]
            token = page.next_page_token
            if not token:
                break
    assert seen == expected
    assert {request.headers["x-extend-api-version"] for request in fake.requests} == {"2025-04-21"}


def test_separate_process_prints_its_base_url() -> None:
    now = "2026-12-01T09:30:00Z"
    command = [sys.executable, "-m", "extend_runs.testing", "--runs", "30", "--seed", "2"]
    command += ["--now", now]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(
            base_url + "/processor_runs",
            params={"maxPageSize": 100},
            headers=FakeExtend().auth_headers(),
        )
        fixed = datetime.fromisoformat(now.replace("Z", "+00:00"))
        assert response.json()["processorRuns"] == FakeExtend(30, seed=2, now=fixed).runs()
        process.terminate()
        assert process.wait(10) == 0


def test_connections_accepted_on_the_fakes_socket_send_small_writes_at_once() -> None:
    """Nagle's algorithm is off on accepted connections (else ~40 ms per reused request)."""
    import asyncio
    import socket

    from extend_runs.testing._server import listening_socket

    async def accepted_nodelay() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(
            Probe, sock=listening_socket("127.0.0.1", 0)
        )
        async with server:
            port = server.sockets[0].getsockname()[1]
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                return await asyncio.wait_for(accepted, 10)
            finally:
                writer.close()

    assert asyncio.run(accepted_nodelay()) != 0
