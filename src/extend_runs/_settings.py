"""A client's settings: defaults from the environment, validated before any request."""

from __future__ import annotations

import ipaddress
import os
import platform
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

import httpx

from ._constants import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, ENV_API_KEY, ENV_BASE_URL
from ._exceptions import ExtendError
from ._pacing import Pacer
from ._types import NOT_GIVEN, NotGiven, TimeoutTypes
from ._version import __version__

__all__ = ["USER_AGENT", "ClientSettings", "resolve_settings"]

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
    allow_insecure_http: bool = False
    """Whether ``base_url`` may be plain ``http://`` to a host other than loopback."""
    max_retry_wait: Optional[float] = None
    """Seconds: the longest wait before a retry, or ``None`` for the policy's own waits."""

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
        api_key: Union[str, NotGiven] = NOT_GIVEN,
        base_url: Union[str, NotGiven] = NOT_GIVEN,
        allow_insecure_http: Union[bool, NotGiven] = NOT_GIVEN,
        timeout: Union[TimeoutTypes, NotGiven, None] = NOT_GIVEN,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        api_version: Union[str, NotGiven] = NOT_GIVEN,
        workspace_id: Union[str, NotGiven, None] = NOT_GIVEN,
        max_requests_per_second: Union[float, NotGiven, None] = NOT_GIVEN,
        max_retry_wait: Union[float, NotGiven, None] = NOT_GIVEN,
    ) -> ClientSettings:
        """A copy with the given settings replaced and validated.

        A copy that keeps the pacing rate keeps the same :class:`Pacer`, so the original
        and its copies share one request budget.
        """
        changes: dict[str, Any] = {}
        if not isinstance(api_key, NotGiven):
            changes["api_key"] = _header_value("api_key", api_key, show=False)
        insecure = self.allow_insecure_http
        if not isinstance(allow_insecure_http, NotGiven):
            insecure = changes["allow_insecure_http"] = _flag(
                "allow_insecure_http", allow_insecure_http
            )
        if not isinstance(base_url, NotGiven) or insecure != self.allow_insecure_http:
            given = self.base_url if isinstance(base_url, NotGiven) else base_url
            changes["base_url"] = _base_url(given, insecure)
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
        if not isinstance(max_retry_wait, NotGiven):
            changes["max_retry_wait"] = _max_retry_wait(max_retry_wait)
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
    max_retry_wait: Optional[float] = None,
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
        allow_insecure_http=_flag("allow_insecure_http", allow_insecure_http),
        max_retry_wait=_max_retry_wait(max_retry_wait),
    )


def _max_retry_wait(value: Optional[float]) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        raise ValueError(f"max_retry_wait must be a number of seconds >= 0 or None, got {value!r}")
    return float(value)


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


def _flag(name: str, value: bool) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _base_url(value: str, allow_insecure_http: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"base_url must be an http:// or https:// URL, got {value!r}")
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
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
    ):
        raise ValueError(
            f"timeout must be a positive number of seconds, an httpx.Timeout or None, got {value!r}"
        )
    return httpx.Timeout(value)


def _max_retries(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_retries must be a whole number >= 0, got {value!r}")
    return value
