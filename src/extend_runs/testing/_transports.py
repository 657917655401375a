"""The fake in process: httpx transports that hand each request to the handler."""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator, Callable, Iterator

import httpx

from ._handler import FakeResponse

Handle = Callable[[str, str, bytes, "list[tuple[str, str]]", bytes], FakeResponse]


class _CutStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that stops part way, as when the server closes the connection mid-body."""

    def __init__(self, data: bytes, request: httpx.Request) -> None:
        self._data = data
        self._request = request

    def _error(self) -> httpx.RemoteProtocolError:
        return httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=self._request
        )

    def __iter__(self) -> Iterator[bytes]:
        yield self._data
        raise self._error()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data
        raise self._error()


def _call(handle: Handle, request: httpx.Request) -> FakeResponse:
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
    ]
    return handle(request.method, request.url.path, request.url.query, headers, request.content)


def _to_httpx(answer: FakeResponse, request: httpx.Request) -> httpx.Response:
    if answer.drop:
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    if answer.send_bytes is not None:
        stream = _CutStream(answer.body[: answer.send_bytes], request)
        return httpx.Response(
            answer.status_code, headers=list(answer.headers), stream=stream, request=request
        )
    return httpx.Response(
        answer.status_code, headers=list(answer.headers), content=answer.body, request=request
    )


def sync_transport(handle: Handle) -> httpx.BaseTransport:
    """A transport for ``httpx.Client`` that answers from ``handle`` (sleeping on delays)."""

    def respond(request: httpx.Request) -> httpx.Response:
        answer = _call(handle, request)
        if answer.delay:
            time.sleep(answer.delay)
        return _to_httpx(answer, request)

    return httpx.MockTransport(respond)


def async_transport(handle: Handle) -> httpx.AsyncBaseTransport:
    """A transport for ``httpx.AsyncClient`` that answers from ``handle``."""

    async def respond(request: httpx.Request) -> httpx.Response:
        answer = _call(handle, request)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return _to_httpx(answer, request)

    return httpx.MockTransport(respond)
