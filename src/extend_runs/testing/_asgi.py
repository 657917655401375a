"""The fake on a socket: a minimal ASGI app that hands each request to the handler."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, MutableMapping

from ._handler import FakeResponse

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Handle = Callable[[str, str, bytes, "list[tuple[str, str]]", bytes], FakeResponse]


class ConnectionDropped(Exception):
    """Raised inside the app so the server closes the connection mid-response."""


class FakeExtendApp:
    """An ASGI 3 application serving the fake endpoint."""

    def __init__(self, handle: Handle) -> None:
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = [
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        ]
        body = await _read_body(receive)
        answer = self._handle(scope["method"], scope["path"], scope["query_string"], headers, body)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        start: Dict[str, Any] = {
            "type": "http.response.start",
            "status": answer.status_code,
            "headers": [(name.encode(), value.encode()) for name, value in answer.headers],
        }
        await send(start)
        if answer.drop:
            # The headers promised a body; closing now leaves the client with none.
            raise ConnectionDropped("connection dropped on purpose by a fault")
        if answer.send_bytes is not None:
            chunk = answer.body[: answer.send_bytes]
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            raise ConnectionDropped("body truncated on purpose by a fault")
        await send({"type": "http.response.body", "body": answer.body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
