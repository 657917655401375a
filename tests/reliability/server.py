"""Serving an ASGI app (the fake, or a hostile wrapper around it) on a loopback socket.

``FakeExtend.serve()`` binds its own socket without ``IPPROTO_TCP``, so asyncio does not
turn Nagle's algorithm off on the connections it accepts, and every request after the
first on a kept-alive connection waits about 40 ms for a delayed ACK. These tests reuse
connections on purpose (pool checks, load), so they let uvicorn bind the socket itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from extend_runs.testing._server import _QuietDroppedConnections

STARTUP_TIMEOUT = 10.0


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a port the OS picks) until the block ends; yield its URL."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", http="h11", log_level="warning"
    )
    server = uvicorn.Server(config)
    quiet, error_log = _QuietDroppedConnections(), logging.getLogger("uvicorn.error")
    error_log.addFilter(quiet)  # connections the fake drops on purpose are no news
    thread = threading.Thread(target=server.run, name="reliability-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:  # waiting for startup, not for behaviour under test
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        error_log.removeFilter(quiet)
