"""Running the ASGI app under uvicorn in a background thread, on a port the OS picks."""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

STARTUP_TIMEOUT = 10.0
"""Seconds to wait for the server to accept connections before giving up."""

SHUTDOWN_TIMEOUT = 10.0
"""Seconds to wait for the server thread to finish after asking it to exit."""


class _QuietDroppedConnections(logging.Filter):
    """Keeps uvicorn from logging a traceback for each connection a fault drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "ConnectionDropped"


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``/``port``, for uvicorn to listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Named IPPROTO_TCP, not left as 0: asyncio turns Nagle's algorithm off only on the
    # connections of sockets that say they are TCP; with it on, each request after the
    # first on a kept-alive connection waits about 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def run_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields the base URL."""
    try:
        import uvicorn
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "FakeExtend.serve() needs uvicorn: pip install 'extend-runs[testing]'"
        ) from error

    sock = listening_socket(host, port)
    family, bound_port = sock.family, sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        http="h11",
        loop="asyncio",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    quiet = _QuietDroppedConnections()
    error_logger = logging.getLogger("uvicorn.error")
    error_logger.addFilter(quiet)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="extend-fake", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Extend server did not start")
            time.sleep(0.005)
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        yield f"http://{shown}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT)
        error_logger.removeFilter(quiet)
        sock.close()
