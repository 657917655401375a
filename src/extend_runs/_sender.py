"""The request layer under both clients: builds each request, sends it with retries, maps errors.

It sits above httpx (whose transports move the bytes). Everything that decides something
is written once in :class:`_Sender`; the sync and async senders differ only on the lines
that send and sleep.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, Protocol, TypeVar, Union

import httpx

from . import _retry
from ._constants import LOGGER_NAME
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    EventLoopClosedError,
    RateLimitError,
    make_body_error,
    make_status_error,
)
from ._pacing import Pacer
from ._retry import async_retrying, parse_retry_after, retry_delay, sync_retrying
from ._settings import ClientSettings
from ._stopping import sending

if TYPE_CHECKING:
    import asyncio

    from pydantic import ValidationError

    from ._models import ProcessorRunsPage

__all__ = [
    "AsyncSender",
    "HttpClientHolder",
    "LazyHttpClient",
    "LoopLocalHttpClient",
    "SyncSender",
]

logger = logging.getLogger(LOGGER_NAME)

_HttpClientT = TypeVar("_HttpClientT", httpx.Client, httpx.AsyncClient)
_HttpClientT_co = TypeVar("_HttpClientT_co", covariant=True)


class HttpClientHolder(Protocol[_HttpClientT_co]):
    """Whatever hands a client its httpx client: :class:`LazyHttpClient` or a per-loop one."""

    def get(self) -> _HttpClientT_co: ...

    async def aget(self) -> _HttpClientT_co: ...


class LazyHttpClient(Generic[_HttpClientT]):
    """Holds the httpx client that a client and its ``with_options`` copies share.

    The httpx client (and with it the connection pool) is built on first use: building one
    loads the TLS certificates, which costs more than importing this package, so a client
    that never sends does not pay for it, not even when it is closed.
    """

    __slots__ = ("_close", "_closed", "_factory", "_http_client", "_lock")

    def __init__(
        self,
        factory: Callable[[], _HttpClientT],
        http_client: Optional[_HttpClientT] = None,
        close: Optional[Callable[[_HttpClientT], None]] = None,
    ) -> None:
        self._factory: Callable[[], _HttpClientT] = factory
        self._http_client: Optional[_HttpClientT] = http_client
        self._close: Optional[Callable[[_HttpClientT], None]] = close
        self._closed = False
        self._lock = threading.Lock()

    def get(self) -> _HttpClientT:
        """The httpx client, built now if this is the first request.

        After :meth:`mark_closed`, one built now is closed at once (with ``close``, when
        given), so that a request sent after closing fails as httpx fails it.
        """
        http_client = self._http_client
        if http_client is None:
            with self._lock:
                http_client = self._http_client
                if http_client is None:
                    http_client = self._http_client = self._factory()
                    if self._closed and self._close is not None:
                        self._close(http_client)
        return http_client

    def mark_closed(self) -> Optional[_HttpClientT]:
        """Note that the owner closed; return the httpx client to close, if one was built."""
        with self._lock:
            self._closed = True
            return self._http_client

    async def aget(self) -> _HttpClientT:
        """:meth:`get`, for the async sender, which also serves :class:`LoopLocalHttpClient`."""
        return self.get()


class LoopLocalHttpClient:
    """The httpx clients of an :class:`AsyncClient` that builds its own: one per event loop.

    An httpx connection belongs to the event loop that opened it, so a client used from a
    second ``asyncio.run()`` needs a connection pool of its own there. Each pool is built
    on first use in its loop and closed by ``aclose()`` or, failing that, when its loop
    shuts down (``asyncio.run()`` does that last, with ``loop.shutdown_asyncgens()``).
    """

    __slots__ = ("_closed", "_factory", "_lock", "_pools")

    def __init__(self, factory: Callable[[], httpx.AsyncClient]) -> None:
        self._factory = factory
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}
        self._closed = False
        self._lock = threading.Lock()

    def _pool(self) -> _LoopPool:
        import asyncio

        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            with self._lock:
                for gone in [each for each in self._pools if each.is_closed()]:
                    del self._pools[gone]
                pool = self._pools.get(loop)
                if pool is None:
                    pool = self._pools[loop] = _LoopPool(self._factory())
        return pool

    def get(self) -> httpx.AsyncClient:
        """The running loop's httpx client, built now if this is its first request."""
        return self._pool().http_client

    async def aget(self) -> httpx.AsyncClient:
        """:meth:`get`, making sure the client is closed at the latest with its loop."""
        pool = self._pool()
        if pool.closer is None:
            pool.closer = _close_with_loop(pool.http_client)
            # Running it to its ``yield`` registers it with the loop, which closes it (and
            # so the httpx client) on shutdown.
            await pool.closer.__anext__()
            if self._closed:
                await pool.closer.aclose()  # sent after aclose(): fails as httpx fails it
        return pool.http_client

    async def aclose(self) -> None:
        """Close the httpx client of the running loop, if one was built; build none later."""
        import asyncio

        with self._lock:
            self._closed = True
            pool = self._pools.get(asyncio.get_running_loop())
        if pool is None:
            return
        if pool.closer is not None:
            await pool.closer.aclose()
        else:
            await pool.http_client.aclose()


class _LoopPool:
    __slots__ = ("closer", "http_client")

    def __init__(self, http_client: httpx.AsyncClient) -> None:
        self.http_client = http_client
        self.closer: Optional[AsyncGenerator[None, None]] = None


async def _close_with_loop(http_client: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await http_client.aclose()


class _Sender:
    """Request building, response checking and page parsing, shared by both drivers."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings

    def build_request(
        self, http_client: Union[httpx.Client, httpx.AsyncClient], path: str, query: dict[str, Any]
    ) -> httpx.Request:
        try:
            return http_client.build_request(
                "GET",
                self.settings.base_url + path,
                params=query,
                headers=self.settings.headers(),
                timeout=self.settings.timeout,
            )
        except httpx.InvalidURL as error:
            # Only the query can be at fault (the base URL was checked): it is too long.
            raise ValueError(
                f"the listing's parameters do not fit in a URL ({error}); shorten "
                "file_name_contains, processor_id or source_id"
            ) from None

    def pacers(self, gate: Optional[Pacer]) -> tuple[Pacer, ...]:
        """Whom to ask, in order, before each attempt: the listing's gate, then the client."""
        return tuple(pacer for pacer in (gate, self.settings.pacer) if pacer is not None)

    def check_response(
        self,
        request: httpx.Request,
        response: httpx.Response,
        attempt: int,
        started: float,
        gate: Optional[Pacer] = None,
    ) -> httpx.Response:
        """Log the attempt; raise the typed error for a non-2xx status.

        A 429 also pauses ``gate``, so every request sharing it backs off together.
        """
        _log_attempt(request, attempt, started, response.status_code)
        if response.is_success:
            return response
        error = make_status_error(
            response,
            secret=self.settings.api_key,
            retry_after=parse_retry_after(response.headers),
        )
        if gate is not None and isinstance(error, RateLimitError):
            gate.pause(retry_delay(error, attempt, self.settings.max_retry_wait))
        raise error

    def connection_error(
        self,
        error: Union[httpx.TransportError, httpx.DecodingError],
        request: httpx.Request,
        attempt: int,
        started: float,
    ) -> APIConnectionError:
        """The typed error for a request that got no complete, readable response."""
        _log_attempt(request, attempt, started, type(error).__name__)
        detail = str(error) or type(error).__name__
        # httpx's own text ("Name or service not known") does not say which host, and a
        # typo in base_url is the usual cause, so every message names it.
        where = _host_of(request.url)
        if isinstance(error, httpx.TimeoutException):
            return APITimeoutError(
                f"Request timed out talking to {where} ({detail}).",
                request=request,
                secret=self.settings.api_key,
            )
        if isinstance(error, httpx.DecodingError):
            # A body mangled on the way (a proxy, a truncated gzip stream) may come through
            # on the next try, so it is retried like a dropped connection.
            return APIConnectionError(
                f"The response body could not be decoded ({where}: {detail}).",
                request=request,
                secret=self.settings.api_key,
            )
        return APIConnectionError(
            f"Connection error: could not reach {where} ({detail}).",
            request=request,
            secret=self.settings.api_key,
        )

    def parse_page(
        self, response: httpx.Response, waited: Optional[float] = None
    ) -> ProcessorRunsPage:
        """Parse a page straight from the response bytes; ``waited``: the seconds it took
        to get them.

        Raises:
            APIResponseValidationError: the body is not a page of runs (an HTML page, a
                body saying ``"success": false``, missing or mistyped fields).
        """
        # Imported here so that ``import extend_runs`` and building a client stay free of
        # pydantic; after the first page this is a dictionary lookup.
        from pydantic import ValidationError

        from ._models import ProcessorRunsPage, received

        try:
            page = received(
                ProcessorRunsPage.model_validate_json(response.content),
                response.headers,
                waited,
            )
        except ValidationError as error:
            raise make_body_error(
                response, secret=self.settings.api_key, problems=_summarize(error)
            ) from None
        if not page.success:
            # Not an empty last page: the server says the request failed.
            raise make_body_error(
                response, secret=self.settings.api_key, problems="success is false"
            )
        if _holds_secret(page.next_page_token, self.settings.api_key):
            # A cursor is written into checkpoints, resume hints and error messages, so one
            # that echoes the key would spread it; better to stop here. The page is dropped
            # first so that a traceback rendered with its locals does not show it either.
            del page
            raise APIResponseValidationError(
                "The server returned a cursor that contains the API key; stopping so that the "
                "key does not end up in checkpoints, logs or error messages.",
                response=response,
            )
        return page


_MIN_SECRET_IN_CURSOR = 8
"""Characters: a key shorter than this (only ever a placeholder) is not looked for in cursors."""


def _holds_secret(token: Optional[str], secret: str) -> bool:
    return token is not None and len(secret) >= _MIN_SECRET_IN_CURSOR and secret in token


def _host_of(url: httpx.URL) -> str:
    """The host and, when not the scheme's default, the port: ``api.extend.ai``."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return host if url.port is None else f"{host}:{url.port}"


def _summarize(error: ValidationError) -> str:
    problems = error.errors(include_url=False, include_input=False)
    text = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
        for problem in problems[:3]
    )
    if len(problems) > 3:
        text += f"; and {len(problems) - 3} more"
    return text


def _log_attempt(request: httpx.Request, attempt: int, started: float, outcome: object) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %s (attempt %d, %.1f ms)",
            request.method,
            request.url,
            outcome,
            attempt,
            (time.perf_counter() - started) * 1000,
        )


class SyncSender(_Sender):
    """Sends requests with an :class:`httpx.Client`, retrying per the policy."""

    def __init__(self, settings: ClientSettings, http: HttpClientHolder[httpx.Client]) -> None:
        super().__init__(settings)
        self.http = http

    def get_page(
        self,
        query: dict[str, Any],
        gate: Optional[Pacer] = None,
    ) -> ProcessorRunsPage:
        """GET one page of processor runs, with retries, paced by ``gate`` and the client."""
        started = time.perf_counter()
        request = self.build_request(self.http.get(), "/processor_runs", query)
        pacers = self.pacers(gate)
        for attempt in sync_retrying(self.settings.max_retries, self.settings.max_retry_wait):
            with attempt:
                for pacer in pacers:
                    delay = pacer.reserve()
                    if delay > 0:
                        _retry.sleep(delay)
                response = self._send_once(request, attempt.retry_state.attempt_number, gate)
        return self.parse_page(response, time.perf_counter() - started)

    def _send_once(
        self, request: httpx.Request, attempt: int, gate: Optional[Pacer]
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            # A listing closing while this thread waits for the headers or reads a slow
            # body shuts the connection down (see _stopping.sending) instead of waiting
            # it out; the body is streamed so that its read is part of the attempt.
            with sending(request):
                response = self.http.get().send(request, stream=True)
                try:
                    response.read()
                finally:
                    response.close()
        except (httpx.TransportError, httpx.DecodingError) as error:
            raise self.connection_error(error, request, attempt, started) from error
        return self.check_response(request, response, attempt, started, gate)


class AsyncSender(_Sender):
    """Sends requests with an :class:`httpx.AsyncClient`, retrying per the same policy."""

    def __init__(
        self,
        settings: ClientSettings,
        http: HttpClientHolder[httpx.AsyncClient],
    ) -> None:
        super().__init__(settings)
        self.http = http

    async def get_page(
        self,
        query: dict[str, Any],
        gate: Optional[Pacer] = None,
    ) -> ProcessorRunsPage:
        """GET one page of processor runs, with retries, paced by ``gate`` and the client."""
        started = time.perf_counter()
        http_client = await self.http.aget()
        request = self.build_request(http_client, "/processor_runs", query)
        pacers = self.pacers(gate)
        async for attempt in async_retrying(
            self.settings.max_retries, self.settings.max_retry_wait
        ):
            with attempt:
                for pacer in pacers:
                    delay = pacer.reserve()
                    if delay > 0:
                        await _retry.async_sleep(delay)
                response = await self._send_once(
                    http_client, request, attempt.retry_state.attempt_number, gate
                )
        return self.parse_page(response, time.perf_counter() - started)

    async def _send_once(
        self,
        http_client: httpx.AsyncClient,
        request: httpx.Request,
        attempt: int,
        gate: Optional[Pacer],
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await http_client.send(request)
        except (httpx.TransportError, httpx.DecodingError) as error:
            raise self.connection_error(error, request, attempt, started) from error
        except RuntimeError as error:
            # What asyncio raises when httpx reuses a connection of a loop that has ended.
            if "Event loop is closed" not in str(error):
                raise
            raise EventLoopClosedError(
                "The http_client given to AsyncClient holds connections of an event loop "
                "that has closed (an earlier asyncio.run()), and httpx cannot reuse them. "
                "Create the httpx.AsyncClient inside the asyncio.run() that uses it, or leave "
                "http_client out: AsyncClient then opens a connection pool per event loop."
            ) from error
        return self.check_response(request, response, attempt, started, gate)
