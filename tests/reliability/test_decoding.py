"""A response whose body cannot be decoded, over a real loopback socket."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from extend_runs import APIConnectionError, AsyncClient, Client, ExtendError

from ..conftest import API_KEY

pytestmark = pytest.mark.integration


class _BadGzip(BaseHTTPRequestHandler):
    """Says its body is gzip; sends plain JSON."""

    requests = 0

    def do_GET(self) -> None:
        type(self).requests += 1
        body = b'{"success": true, "processorRuns": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def bad_gzip_url() -> Iterator[str]:
    _BadGzip.requests = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadGzip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_undecodable_body_is_retried_then_raises_a_connection_error(
    bad_gzip_url: str, waits: list[float], kind: str
) -> None:
    def fetch_one_page() -> None:
        if kind == "sync":
            with Client(api_key=API_KEY, base_url=bad_gzip_url, max_retries=2) as client:
                client.list_processor_runs_page()
            return

        async def main() -> None:
            async with AsyncClient(api_key=API_KEY, base_url=bad_gzip_url, max_retries=2) as c:
                await c.list_processor_runs_page()

        asyncio.run(main())

    with pytest.raises(APIConnectionError, match="response body could not be decoded") as info:
        fetch_one_page()
    assert isinstance(info.value, ExtendError)
    assert _BadGzip.requests == 3  # the first try and two retries
    assert len(waits) == 2
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value)
