"""The errors this SDK raises, and how a failed response becomes one.

::

    ExtendError
     ├─ EventLoopClosedError          your http_client's event loop has closed
     └─ APIError
         ├─ APIStatusError            .status_code .code .message .retryable .request_id
         │   │                        .doc_url .retry_after .response
         │   ├─ BadRequestError          400
         │   ├─ AuthenticationError      401
         │   ├─ PermissionDeniedError    403
         │   ├─ NotFoundError            404
         │   ├─ RateLimitError           429
         │   └─ InternalServerError      >= 500
         ├─ APIConnectionError        the request never got a response
         │   └─ APITimeoutError
         └─ APIResponseValidationError   a 2xx whose body is not the documented shape
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional, cast, overload

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "EventLoopClosedError",
    "ExtendError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
]

_MAX_MESSAGE_CHARS = 300
_MAX_SUMMARY_BYTES = 4096
_REDACTED = "[redacted]"


class ExtendError(Exception):
    """The base of every error this SDK raises; also raised for a missing API key.

    Example:
        >>> try:
        ...     raise ExtendError("no API key")
        ... except ExtendError as error:
        ...     print(error)
        no API key
    """


class EventLoopClosedError(ExtendError, RuntimeError):
    """The ``http_client`` handed to an :class:`AsyncClient` belongs to a closed event loop.

    An :class:`httpx.AsyncClient` keeps its connections on the event loop that opened
    them, so it cannot serve a later ``asyncio.run()``. An ``AsyncClient`` that builds its
    own httpx client is not affected: it opens a new connection pool for each event loop.
    Either let it do so, or create your ``httpx.AsyncClient`` (and the ``AsyncClient``
    around it) inside the coroutine that ``asyncio.run()`` runs. Not retried.

    Example:
        >>> issubclass(EventLoopClosedError, RuntimeError)
        True
    """


class APIError(ExtendError):
    """Something went wrong talking to the API: catch it to handle every API failure.

    Attributes:
        message: What went wrong, for people.
        request: The request that failed, when known.

    ``secret``, when given, is replaced by ``[redacted]`` wherever the error would show it,
    so a key the server echoes back never reaches a log or a traceback.

    Example:
        >>> from extend_runs import APIError, Client
        >>> with Client(api_key="sk_not_a_real_key") as client:
        ...     try:
        ...         client.list_processor_runs_page()
        ...     except APIError as error:
        ...         print(type(error).__name__, error.request.method, error.request.url.path)
        AuthenticationError GET /processor_runs
    """

    def __init__(
        self,
        message: str,
        *,
        request: Optional[httpx.Request] = None,
        secret: Optional[str] = None,
    ) -> None:
        message = redact(message, secret)
        super().__init__(message)
        self.message = message
        self.request = request


class APIStatusError(APIError):
    """The server answered with a status other than 2xx.

    Statuses without a class of their own (402, 409, 422, ...) raise this class itself.

    Attributes:
        status_code: The HTTP status.
        code: Extend's error code, such as ``"RATE_LIMIT_EXCEEDED"``, when the body had one.
        message: The server's message, or a readable summary of a non-JSON body.
        retryable: The body's ``retryable`` flag, when given.
        request_id: The request ID from the body or the ``x-extend-request-id`` header.
        doc_url: A link to documentation about the error, when given.
        retry_after: Seconds the server asked to wait (``Retry-After``), when given.
        response: The :class:`httpx.Response`.

    Example:
        >>> from extend_runs import Client, APIStatusError
        >>> def failed_runs(client: Client) -> int:
        ...     try:
        ...         return sum(1 for _ in client.list_processor_runs(status="FAILED"))
        ...     except APIStatusError as error:
        ...         print(error.status_code, error.code, error.request_id)
        ...         raise
    """

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        code: Optional[str] = None,
        retryable: Optional[bool] = None,
        request_id: Optional[str] = None,
        doc_url: Optional[str] = None,
        retry_after: Optional[float] = None,
        secret: Optional[str] = None,
    ) -> None:
        super().__init__(message, request=response.request, secret=secret)
        self.status_code = response.status_code
        self.response = response
        # Every field that comes from the server is shown by str() or repr(), so each is
        # cleaned of the key: a server may echo it anywhere.
        self.code = redact(code, secret)
        self.retryable = retryable
        self.request_id = redact(request_id, secret)
        self.doc_url = redact(doc_url, secret)
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = f"{self.status_code}"
        if self.code:
            text += f" {self.code}"
        text += f": {self.message}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class BadRequestError(APIStatusError):
    """400: the request's parameters were rejected (``INVALID_REQUEST``).

    The client checks arguments before sending, so this mostly means the server knows a
    rule the SDK does not, such as a cursor from another listing.

    Example:
        >>> from extend_runs import BadRequestError, Client
        >>> with Client() as client:
        ...     try:
        ...         client.list_processor_runs_page(next_page_token="not-a-cursor")
        ...     except BadRequestError as error:
        ...         print(error.status_code, error.code)
        400 INVALID_REQUEST
    """


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed, expired or revoked (``UNAUTHORIZED``).

    Never retried. The key never appears in the error's message or repr.

    Example:
        >>> from extend_runs import AuthenticationError, Client
        >>> with Client(api_key="sk_not_a_real_key") as client:
        ...     try:
        ...         client.list_processor_runs_page()
        ...     except AuthenticationError as error:
        ...         print(error.status_code, error.code, "sk_not_a_real_key" in repr(error))
        401 UNAUTHORIZED False
    """


class PermissionDeniedError(APIStatusError):
    """403: the key may not read this workspace.

    An organization-scoped key needs ``workspace_id``; a workspace-scoped key only reads
    its own workspace. Never retried.

    Example:
        >>> from extend_runs import Client, PermissionDeniedError
        >>> def runs_of(client: Client, workspace_id: str) -> int:
        ...     try:
        ...         return sum(1 for _ in client.with_options(workspace_id=workspace_id)
        ...                    .list_processor_runs())
        ...     except PermissionDeniedError:
        ...         return 0
    """


class NotFoundError(APIStatusError):
    """404: wrong base URL or path. Never retried.

    Example:
        >>> import os
        >>> from extend_runs import Client, NotFoundError
        >>> with Client(base_url=os.environ["EXTEND_BASE_URL"] + "/v9") as client:
        ...     try:
        ...         client.list_processor_runs_page()
        ...     except NotFoundError as error:
        ...         print(error.status_code, error.code)
        404 NOT_FOUND
    """


class RateLimitError(APIStatusError):
    """429: too many requests for the organization's read budget (``RATE_LIMIT_EXCEEDED``).

    Raised once retries are spent, or at once when the server's ``Retry-After`` is longer
    than the SDK will wait; ``retry_after`` then says how long the server asked for.

    Example:
        >>> import time
        >>> from extend_runs import Client, RateLimitError
        >>> def failed_runs(client: Client) -> list[str]:
        ...     while True:
        ...         try:
        ...             return [run.id for run in client.list_processor_runs(status="FAILED")]
        ...         except RateLimitError as error:
        ...             time.sleep(error.retry_after or 60.0)  # then list again
        >>> with Client() as client:
        ...     print(len(failed_runs(client)) > 0)
        True
    """


class InternalServerError(APIStatusError):
    """500 and above: the server or a proxy in front of it failed.

    Retried first; raised once ``max_retries`` more attempts have failed too. A proxy's
    HTML error page still gives a short readable ``message``.

    Example:
        >>> from extend_runs import APIStatusError, InternalServerError
        >>> issubclass(InternalServerError, APIStatusError)
        True
    """


class APIConnectionError(APIError):
    """The request never got a complete, readable response.

    DNS, a refused or dropped connection, TLS, or a body that could not be decoded (a
    ``Content-Encoding`` it does not match). Retried; raised when the last attempt fails too.

    Example:
        >>> isinstance(APITimeoutError(request=None), APIConnectionError)
        True
    """

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        request: Optional[httpx.Request] = None,
        secret: Optional[str] = None,
    ) -> None:
        super().__init__(message, request=request, secret=secret)


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or waiting for a pooled connection).

    Retried like any connection error; raised when the last attempt times out too.

    Example:
        >>> from extend_runs import APITimeoutError, Client
        >>> def first_page_ids(client: Client) -> list[str]:
        ...     try:
        ...         page = client.list_processor_runs_page(max_page_size=1000)
        ...     except APITimeoutError:
        ...         page = client.with_options(timeout=300.0).list_processor_runs_page(
        ...             max_page_size=1000
        ...         )
        ...     return [run.id for run in page.processor_runs]
    """

    def __init__(
        self,
        message: str = "Request timed out.",
        *,
        request: Optional[httpx.Request] = None,
        secret: Optional[str] = None,
    ) -> None:
        super().__init__(message, request=request, secret=secret)


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not the documented shape, or a cursor handed back twice.

    Not retried: the same request would most likely get the same answer.

    Attributes:
        response: The :class:`httpx.Response`, when one response is to blame.

    Example:
        >>> from extend_runs import APIError, APIResponseValidationError
        >>> error = APIResponseValidationError("The server's 200 response is not a page")
        >>> isinstance(error, APIError), error.response is None
        (True, True)
    """

    def __init__(
        self,
        message: str,
        *,
        response: Optional[httpx.Response] = None,
        secret: Optional[str] = None,
    ) -> None:
        request = response.request if response is not None else None
        super().__init__(message, request=request, secret=secret)
        self.response = response


def make_body_error(
    response: httpx.Response, *, secret: Optional[str], problems: str
) -> APIResponseValidationError:
    """The error for a 2xx response that is not a page of runs, saying what it is instead.

    An HTML page (a login portal, a proxy) is named as one, with its title; a body that
    says ``"success": false`` is a failure with the server's own message; anything else
    gets ``problems``, a summary of what is missing or wrong.
    """
    status = response.status_code
    if _is_html(response):
        message = (
            f"The server's {status} response is an HTML page ({_text_summary(response)!r}), "
            "not a page of processor runs: a login portal or a proxy may be answering in "
            "Extend's place; check base_url and your proxy settings."
        )
    elif _reports_failure(response):
        fields = _error_fields(response)
        said = fields.get("message") or "no message"
        code = f" {fields['code']}" if "code" in fields else ""
        message = f"The server's {status} response reports a failure (success: false){code}: {said}"
    else:
        message = f"The server's {status} response is not a page of processor runs: {problems}"
    return APIResponseValidationError(message, response=response, secret=secret)


def _is_html(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    start = response.content[:64].lstrip().lower()
    return "html" in content_type or start.startswith((b"<!doctype html", b"<html"))


def _reports_failure(response: httpx.Response) -> bool:
    try:
        parsed: object = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(parsed, dict) and cast("dict[str, Any]", parsed).get("success") is False


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The error class for a non-2xx status."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status_code, APIStatusError)


def make_status_error(
    response: httpx.Response, *, secret: Optional[str], retry_after: Optional[float]
) -> APIStatusError:
    """Build the typed error for a non-2xx response, reading whichever body shape it has.

    Extend has used three shapes: ``{code, message, retryable, requestId, docUrl}``, the
    legacy ``{success: false, error: "..."}`` and ``{error: {code, message, ...}}``. Any
    other body (an HTML page from a proxy, nothing at all) still yields a readable
    message. ``secret`` is blanked out of the server's text so an echoed key never lands
    in an error.
    """
    fields = _error_fields(response)
    message = fields.get("message") or _text_summary(response)
    request_id = fields.get("requestId") or response.headers.get("x-extend-request-id")
    return status_error_class(response.status_code)(
        message,
        response=response,
        code=fields.get("code"),
        retryable=fields.get("retryable"),
        request_id=request_id,
        doc_url=fields.get("docUrl"),
        retry_after=retry_after,
        secret=secret,
    )


@overload
def redact(text: str, secret: Optional[str]) -> str: ...
@overload
def redact(text: None, secret: Optional[str]) -> None: ...
def redact(text: Optional[str], secret: Optional[str]) -> Optional[str]:
    """``text`` with every occurrence of ``secret`` replaced by ``[redacted]``."""
    if text is None or not secret:
        return text
    return text.replace(secret, _REDACTED)


def _error_fields(response: httpx.Response) -> dict[str, Any]:
    try:
        parsed: object = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    if not isinstance(parsed, dict):
        return {}
    body = cast("dict[str, Any]", parsed)
    error: object = body.get("error")
    if isinstance(error, dict):
        body = {**body, **cast("dict[str, Any]", error)}
    elif isinstance(error, str) and not isinstance(body.get("message"), str):
        body = {**body, "message": error}
    expected = {
        "code": str,
        "message": str,
        "retryable": bool,
        "requestId": str,
        "docUrl": str,
    }
    return {
        key: value
        for key, kind in expected.items()
        if isinstance(value := body.get(key), kind) and value != ""
    }


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")


def _text_summary(response: httpx.Response) -> str:
    """A short readable message from a body that is not Extend's JSON."""
    # Only the start is read: a proxy's page names the error there, and a hostile body of
    # any size must not make the regular expressions below take quadratic time.
    text = response.content[:_MAX_SUMMARY_BYTES].decode("utf-8", errors="replace")
    title = _TITLE.search(text)
    if title:
        text = title.group(1)
    text = " ".join(_TAG.sub(" ", text).split())
    if len(text) > _MAX_MESSAGE_CHARS:
        text = text[: _MAX_MESSAGE_CHARS - 3] + "..."
    return text or response.reason_phrase or f"HTTP {response.status_code}"
