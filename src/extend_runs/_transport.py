"""The one transport layer under both clients: settings, requests, attempts, errors.

Everything that decides something is written once in :class:`_Transport`; the sync and
async drivers differ only on the lines that send and sleep.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import platform
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Generic, Optional, TypeVar, Union

import httpx

from . import _retry
from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    LOGGER_NAME,
)
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ExtendError,
    RateLimitError,
    make_status_error,
)
from ._pacing import Pacer
from ._retry import async_retrying, parse_retry_after, retry_delay, sync_retrying
from ._types import NOT_GIVEN, NotGiven, TimeoutTypes
from ._version import __version__

if TYPE_CHECKING:
    from pydantic import ValidationError

    from ._models import ProcessorRunsPage

logger = logging.getLogger(LOGGER_NAME)

_PYTHON = ".".join(platform.python_version_tuple()[:2])
USER_AGENT = f"extend-runs/{__version__} python/{_PYTHON}"
"""The ``User-Agent`` header of every request."""


@dataclass(frozen=True)
class ClientSettings:
    """A client's resolved settings. The key is kept out of ``repr``."""

    api_key: str
    base_url: str
    api_version: str
    workspace_id: Optional[str]
    timeout: httpx.Timeout
    max_retries: int
    pacer: Optional[Pacer] = None
    """Spaces this client's requests (and its copies'), or ``None`` for no pacing."""

    def __repr__(self) -> str:
        return (
            f"ClientSettings(base_url={self.base_url!r}, api_version={self.api_version!r}, "
            f"workspace_id={self.workspace_id!r}, max_retries={self.max_retries}, "
            f"max_requests_per_second={self.max_requests_per_second!r})"
        )

    @property
    def max_requests_per_second(self) -> Optional[float]:
        """The pacing rate, or ``None`` when requests are not paced."""
        return None if self.pacer is None else self.pacer.rate

    def headers(self) -> dict[str, str]:
        """The headers every request carries."""
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "x-extend-api-version": self.api_version,
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
        if self.workspace_id is not None:
            headers["x-extend-workspace-id"] = self.workspace_id
        return headers

    def with_changes(
        self,
        *,
        timeout: Union[TimeoutTypes, NotGiven, None] = NOT_GIVEN,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        api_version: Union[str, NotGiven] = NOT_GIVEN,
        workspace_id: Union[str, NotGiven, None] = NOT_GIVEN,
        max_requests_per_second: Union[float, NotGiven, None] = NOT_GIVEN,
    ) -> ClientSettings:
        """A copy with the given settings replaced and validated.

        A copy that keeps the pacing rate keeps the same :class:`Pacer`, so the original
        and its copies share one request budget.
        """
        changes: dict[str, Any] = {}
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = _timeout(timeout)
        if not isinstance(max_retries, NotGiven):
            changes["max_retries"] = _max_retries(max_retries)
        if not isinstance(api_version, NotGiven):
            changes["api_version"] = _header_value("api_version", api_version)
        if not isinstance(workspace_id, NotGiven):
            changes["workspace_id"] = (
                None if workspace_id is None else _header_value("workspace_id", workspace_id)
            )
        if not isinstance(max_requests_per_second, NotGiven):
            changes["pacer"] = _pacer(max_requests_per_second)
        return replace(self, **changes)


def resolve_settings(
    *,
    api_key: Optional[str],
    base_url: Optional[str],
    api_version: str,
    workspace_id: Optional[str],
    timeout: Union[TimeoutTypes, NotGiven, None],
    max_retries: int,
    http_client: Optional[Union[httpx.Client, httpx.AsyncClient]],
    allow_insecure_http: bool,
    max_requests_per_second: Optional[float] = None,
) -> ClientSettings:
    """Fill in defaults from the environment and validate every setting, before any request."""
    key = api_key if api_key is not None else os.environ.get(ENV_API_KEY)
    if not key:
        raise ExtendError(
            f"No API key: pass api_key=... or set the {ENV_API_KEY} environment variable."
        )
    if isinstance(timeout, NotGiven):
        timeout = http_client.timeout if http_client is not None else DEFAULT_TIMEOUT
    return ClientSettings(
        api_key=_header_value("api_key", key, show=False),
        base_url=_base_url(
            base_url or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL, allow_insecure_http
        ),
        api_version=_header_value("api_version", api_version),
        workspace_id=None if workspace_id is None else _header_value("workspace_id", workspace_id),
        timeout=_timeout(timeout),
        max_retries=_max_retries(max_retries),
        pacer=_pacer(max_requests_per_second),
    )


def _pacer(rate: Optional[float]) -> Optional[Pacer]:
    return None if rate is None else Pacer(rate)


def _header_value(name: str, value: str, *, show: bool = True) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value) or not value.isascii():
        shown = f" (got {value!r})" if show else ""
        raise ValueError(
            f"{name} must be printable ASCII with no control characters such as CR or LF{shown}"
        )
    return value


def _base_url(value: str, allow_insecure_http: bool) -> str:
    url = httpx.URL(value)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an http:// or https:// URL, got {value!r}")
    if url.scheme == "http" and not allow_insecure_http and not _is_loopback(url.host):
        raise ValueError(
            f"base_url {value!r} would send the API key unencrypted; use https://, a loopback "
            "host, or pass allow_insecure_http=True"
        )
    return value.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _timeout(value: Union[TimeoutTypes, None]) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if value is not None and (isinstance(value, bool) or not value > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {value!r}")
    return httpx.Timeout(value)


def _max_retries(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_retries must be a whole number >= 0, got {value!r}")
    return value


_HttpClientT = TypeVar("_HttpClientT", httpx.Client, httpx.AsyncClient)


class Pool(Generic[_HttpClientT]):
    """The connection pool a client and its ``with_options`` copies share, built on first use.

    Building an httpx client loads the TLS certificates, which costs more than importing
    this package, so a client that never sends does not pay for it.
    """

    __slots__ = ("_factory", "_http_client", "_lock")

    def __init__(
        self,
        factory: Callable[[], _HttpClientT],
        http_client: Optional[_HttpClientT] = None,
    ) -> None:
        self._factory: Callable[[], _HttpClientT] = factory
        self._http_client: Optional[_HttpClientT] = http_client
        self._lock = threading.Lock()

    def get(self) -> _HttpClientT:
        """The httpx client, built now if this is the first request."""
        http_client = self._http_client
        if http_client is None:
            with self._lock:
                http_client = self._http_client
                if http_client is None:
                    http_client = self._http_client = self._factory()
        return http_client


class _Transport:
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
            gate.pause(retry_delay(error, attempt))
        raise error

    def connection_error(
        self, error: httpx.TransportError, request: httpx.Request, attempt: int, started: float
    ) -> APIConnectionError:
        """The typed error for a request that got no complete response."""
        _log_attempt(request, attempt, started, type(error).__name__)
        detail = str(error).replace(self.settings.api_key, "[redacted]") or type(error).__name__
        if isinstance(error, httpx.TimeoutException):
            return APITimeoutError(f"Request timed out ({detail}).", request=request)
        return APIConnectionError(f"Connection error ({detail}).", request=request)

    @staticmethod
    def parse_page(response: httpx.Response) -> ProcessorRunsPage:
        """Parse a page straight from the response bytes."""
        # Imported here so that ``import extend_runs`` and building a client stay free of
        # pydantic; after the first page this is a dictionary lookup.
        from pydantic import ValidationError

        from ._models import ProcessorRunsPage

        try:
            return ProcessorRunsPage.model_validate_json(response.content)
        except ValidationError as error:
            raise APIResponseValidationError(
                f"The server's {response.status_code} response is not a page of processor runs: "
                f"{_summarize(error)}",
                response=response,
            ) from None


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


class SyncTransport(_Transport):
    """Sends requests with an :class:`httpx.Client`, retrying per the policy."""

    def __init__(self, settings: ClientSettings, pool: Pool[httpx.Client]) -> None:
        super().__init__(settings)
        self.pool = pool

    def get_page(
        self,
        query: dict[str, Any],
        gate: Optional[Pacer] = None,
    ) -> ProcessorRunsPage:
        """GET one page of processor runs, with retries, paced by ``gate`` and the client."""
        request = self.build_request(self.pool.get(), "/processor_runs", query)
        pacers = self.pacers(gate)
        for attempt in sync_retrying(self.settings.max_retries):
            with attempt:
                for pacer in pacers:
                    delay = pacer.reserve()
                    if delay > 0:
                        _retry.sleep(delay)
                response = self._send_once(request, attempt.retry_state.attempt_number, gate)
        return self.parse_page(response)

    def _send_once(
        self, request: httpx.Request, attempt: int, gate: Optional[Pacer]
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self.pool.get().send(request)
        except httpx.TransportError as error:
            raise self.connection_error(error, request, attempt, started) from error
        return self.check_response(request, response, attempt, started, gate)


class AsyncTransport(_Transport):
    """Sends requests with an :class:`httpx.AsyncClient`, retrying per the same policy."""

    def __init__(self, settings: ClientSettings, pool: Pool[httpx.AsyncClient]) -> None:
        super().__init__(settings)
        self.pool = pool

    async def get_page(
        self,
        query: dict[str, Any],
        gate: Optional[Pacer] = None,
    ) -> ProcessorRunsPage:
        """GET one page of processor runs, with retries, paced by ``gate`` and the client."""
        request = self.build_request(self.pool.get(), "/processor_runs", query)
        pacers = self.pacers(gate)
        async for attempt in async_retrying(self.settings.max_retries):
            with attempt:
                for pacer in pacers:
                    delay = pacer.reserve()
                    if delay > 0:
                        await _retry.async_sleep(delay)
                response = await self._send_once(request, attempt.retry_state.attempt_number, gate)
        return self.parse_page(response)

    async def _send_once(
        self, request: httpx.Request, attempt: int, gate: Optional[Pacer]
    ) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self.pool.get().send(request)
        except httpx.TransportError as error:
            raise self.connection_error(error, request, attempt, started) from error
        return self.check_response(request, response, attempt, started, gate)
