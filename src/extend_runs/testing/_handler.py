"""The fake endpoint itself: (method, path, query, headers) in, a ``FakeResponse`` out.

Written once, with no I/O: the in-process transports and the ASGI app only carry a
request here and carry the answer back, doing the sleeping and connection dropping
the answer asks for.
"""

from __future__ import annotations

import email.utils
import html
import json
import random
import threading
import time
from dataclasses import dataclass, replace
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import parse_qsl

from ._control import CONTROL_PREFIX, ControlError, control
from ._cursor import CursorCodec, CursorError
from ._data import PROCESSOR_TYPES, SOURCES, STATUSES, _id_block
from ._faults import Fault, FaultRules
from ._ratelimit import SlidingWindowLimiter
from ._requests import RecordedRequest, RequestLog
from ._store import Filters, RunStore

PATH = "/processor_runs"
"""The one path the fake serves."""

DEFAULT_PAGE_SIZE = 10
"""Runs per page when ``maxPageSize`` is not sent."""

MAX_PAGE_SIZE = 1000
"""The largest ``maxPageSize`` accepted."""

QueryLike = Union[str, bytes, Mapping[str, str], Sequence[Tuple[str, str]]]
"""A query: a raw query string (percent-encoded), a mapping or a sequence of pairs."""

HeadersLike = Union[Mapping[str, str], Sequence[Tuple[str, str]]]
"""Request headers: a mapping or a sequence of pairs; names are case-insensitive."""

_SORT_BY = ("updatedAt", "createdAt")
_SORT_DIR = ("asc", "desc")
_ENUMS = {
    "status": STATUSES,
    "processorType": PROCESSOR_TYPES,
    "source": SOURCES,
    "sortBy": _SORT_BY,
    "sortDir": _SORT_DIR,
}
_KNOWN = (
    "status",
    "processorId",
    "processorType",
    "sourceId",
    "source",
    "fileNameContains",
    "sortBy",
    "sortDir",
    "nextPageToken",
    "maxPageSize",
)
_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_REASONS[504] = "Gateway Time-out"


@dataclass(frozen=True)
class FakeResponse:
    """What the fake answers to one request, before any I/O.

    Attributes:
        status_code: the HTTP status.
        headers: the response headers, names in lower case.
        body: the complete body.
        delay: seconds to wait before answering.
        send_bytes: when not ``None``, send only this many bytes of ``body`` (after headers
            announcing all of it), then close the connection.
        drop: close the connection without a complete response.

    Example:
        >>> from extend_runs.testing import FakeExtend
        >>> fake = FakeExtend(runs=3)
        >>> fake.handle("GET", "/nowhere", "", {}).status_code
        404
    """

    status_code: int
    headers: Tuple[Tuple[str, str], ...]
    body: bytes
    delay: float = 0.0
    send_bytes: Optional[int] = None
    drop: bool = False

    def json(self) -> object:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class _Listing:
    filters: Filters
    sort_by: str
    sort_dir: str
    size: int
    digest: bytes
    after: Optional[Tuple[int, int]]
    token: Optional[str]


class _Invalid(Exception):
    """A request the API refuses with 400 INVALID_REQUEST."""


@dataclass(frozen=True)
class HandlerSettings:
    """How the fake behaves; see ``FakeExtend`` for each setting."""

    api_key: str
    api_versions: Tuple[str, ...]
    error_shape: str
    last_page_token: str
    latency: float
    include_internal_fields: bool


class Handler:
    """Answers requests from a ``RunStore``, honouring faults and the rate limit."""

    def __init__(
        self,
        store: RunStore,
        settings: HandlerSettings,
        codec: CursorCodec,
        faults: FaultRules,
        log: RequestLog,
        limiter: Optional[SlidingWindowLimiter],
        seed: int,
    ) -> None:
        self.store = store
        self.settings = settings
        self._codec = codec
        self._faults = faults
        self._log = log
        self._limiter = limiter
        self._ids = random.Random(f"request-ids-{seed}")
        self._ids_lock = threading.Lock()

    def handle(
        self, method: str, path: str, query: QueryLike, headers: HeadersLike, body: bytes = b""
    ) -> FakeResponse:
        """Answer one request and record it (control requests are answered, not recorded)."""
        if path.startswith(CONTROL_PREFIX):
            return self._control(method, path, body)
        items = _query_items(query)
        lowered = _headers(headers)
        params = dict(items)
        record = RecordedRequest(
            number=self._log.next_number(),
            method=method.upper(),
            path=path,
            query=params,
            query_items=tuple(items),
            headers=lowered,
            next_page_token=params.get("nextPageToken"),
        )
        listing: Optional[_Listing] = None
        invalid: Optional[str] = None
        try:
            listing = self._listing(items)
            position = self.store.position(
                listing.filters, listing.sort_by, listing.sort_dir, listing.after
            )
            record = replace(record, page=position // listing.size + 1)
        except _Invalid as error:
            invalid = str(error)
        response = self._respond(record, listing, invalid)
        if self.settings.latency:
            response = replace(response, delay=response.delay + self.settings.latency)
        status = None if response.drop or response.send_bytes is not None else response.status_code
        self._log.append(replace(record, status_code=status))
        return response

    def _control(self, method: str, path: str, body: bytes) -> FakeResponse:
        try:
            status, run = control(
                self.store, method, path, body, self.settings.include_internal_fields
            )
        except ControlError as error:
            return self._error(error.status, error.code, error.message, False)
        return self._response(status, json.dumps(run).encode())

    def _respond(
        self, record: RecordedRequest, listing: Optional[_Listing], invalid: Optional[str]
    ) -> FakeResponse:
        if record.path.rstrip("/") != PATH:
            return self._error(404, "NOT_FOUND", f"No route for {record.path}.", False)
        if record.method != "GET":
            return self._error(
                405,
                "METHOD_NOT_ALLOWED",
                f"{record.method} is not allowed here.",
                False,
                (("allow", "GET"),),
            )
        fault = self._faults.take(record)
        delay = 0.0
        repeat_cursor = False
        if fault is not None:
            if fault.kind == "delay":
                delay = fault.seconds
            elif fault.kind == "repeat_cursor":
                repeat_cursor = True
            else:
                return self._fault(fault, listing)
        response = self._checked(record, listing, invalid, repeat_cursor)
        return replace(response, delay=delay) if delay else response

    def _checked(
        self,
        record: RecordedRequest,
        listing: Optional[_Listing],
        invalid: Optional[str],
        repeat_cursor: bool,
    ) -> FakeResponse:
        scheme, _, key = record.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.settings.api_key:
            return self._error(
                401, "UNAUTHORIZED", "The API key is missing, malformed or invalid.", False
            )
        version = record.headers.get("x-extend-api-version")
        if version is None:
            return self._error(
                400,
                "INVALID_REQUEST",
                "The x-extend-api-version header is required; send 2025-04-21.",
                False,
            )
        if version not in self.settings.api_versions:
            return self._error(
                400,
                "INVALID_REQUEST",
                f"Unsupported x-extend-api-version {version!r}; "
                f"use one of {', '.join(self.settings.api_versions)}.",
                False,
            )
        if self._limiter is not None:
            wait = self._limiter.acquire()
            if wait is not None:
                return self._error(
                    429,
                    "RATE_LIMIT_EXCEEDED",
                    "Too many requests. Back off and retry.",
                    True,
                    (("retry-after", str(wait)),),
                )
        if listing is None:
            return self._error(400, "INVALID_REQUEST", invalid or "Invalid request.", False)
        return self._page(listing, repeat_cursor)

    def _listing(self, items: Sequence[Tuple[str, str]]) -> _Listing:
        params: Dict[str, str] = {}
        for name, value in items:
            if name in params and name in _KNOWN:
                raise _Invalid(f"{name} was sent more than once.")
            params[name] = value
        for name, allowed in _ENUMS.items():
            given = params.get(name)
            if given is not None and given not in allowed:
                raise _Invalid(f"{name} must be one of {', '.join(allowed)}; got {given!r}.")
        raw_size = params.get("maxPageSize")
        size = DEFAULT_PAGE_SIZE
        if raw_size is not None:
            if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
                raise _Invalid(f"maxPageSize must be an integer from 1 to {MAX_PAGE_SIZE}.")
            size = int(raw_size)
        filters = Filters(
            status=params.get("status"),
            processor_id=params.get("processorId"),
            processor_type=params.get("processorType"),
            source_id=params.get("sourceId"),
            source=params.get("source"),
            file_name_contains=params.get("fileNameContains"),
        )
        sort_by = params.get("sortBy", "updatedAt")
        sort_dir = params.get("sortDir", "desc")
        digest = self._codec.listing_digest(
            {name: params.get(name) for name in _KNOWN[:6]}
            | {"sortBy": sort_by, "sortDir": sort_dir}
        )
        token = params.get("nextPageToken")
        after: Optional[Tuple[int, int]] = None
        if token is not None:
            if not token:
                raise _Invalid("nextPageToken must not be empty; leave it out for the first page.")
            try:
                after = self._codec.decode(token, digest)
            except CursorError as error:
                raise _Invalid(str(error)) from None
            if not self.store.has_row(after[1]):
                raise _Invalid("nextPageToken is not a valid page token.")
        return _Listing(filters, sort_by, sort_dir, size, digest, after, token)

    def _page(self, listing: _Listing, repeat_cursor: bool) -> FakeResponse:
        table = self.store.table
        render = table.body_with_internal if self.settings.include_internal_fields else table.body
        bodies, last = self.store.page(
            listing.filters,
            listing.sort_by,
            listing.sort_dir,
            listing.after,
            listing.size,
            render,
        )
        runs = b",".join(bodies)
        if repeat_cursor and listing.token is not None:
            tail = f',"nextPageToken":"{listing.token}"'
        elif last is not None:
            token = self._codec.encode(last[0], last[1], listing.digest)
            tail = f',"nextPageToken":"{token}"'
        else:
            tail = {"absent": "", "null": ',"nextPageToken":null', "empty": ',"nextPageToken":""'}[
                self.settings.last_page_token
            ]
        body = b'{"success":true,"processorRuns":[' + runs + b"]" + tail.encode() + b"}"
        return self._response(200, body)

    def _fault(self, fault: Fault, listing: Optional[_Listing]) -> FakeResponse:
        if fault.kind == "error":
            headers = list(fault.headers)
            if fault.retry_after_date is not None:
                moment = time.time() + fault.retry_after_date
                headers.append(("retry-after", email.utils.formatdate(moment, usegmt=True)))
            if fault.html:
                reason = _REASONS.get(fault.status_code, "Error")
                page = _HTML_PAGE.format(status=fault.status_code, reason=reason).encode()
                return self._response(fault.status_code, page, "text/html", tuple(headers))
            return self._error(
                fault.status_code,
                fault.code or "ERROR",
                fault.message or "The request failed.",
                bool(fault.retryable),
                tuple(headers),
            )
        if fault.kind == "html_page":
            title = html.escape(fault.message or "")
            text = f"<!DOCTYPE html><html><head><title>{title}</title></head>"
            text += f"<body><form><h1>{title}</h1></form></body></html>"
            return self._response(fault.status_code, text.encode(), "text/html; charset=utf-8")
        if fault.kind == "malformed_json":
            return self._response(200, b'{"success": true, "processorRuns": [{"id": "dpr_",}]')
        if fault.kind == "missing_runs":
            return self._response(200, b'{"success":true}')
        if fault.kind == "wrong_types":
            return self._response(
                200, b'{"success":"yes","processorRuns":{"id":42},"nextPageToken":12345}'
            )
        full = self._page(listing, False) if listing is not None else self._response(200, b"{}")
        if fault.kind == "truncated_body":
            return replace(full, send_bytes=len(full.body) // 2)
        if fault.kind == "drop_connection":
            return replace(full, drop=True)
        raise ValueError(f"unknown fault kind {fault.kind!r}")

    def _error(
        self,
        status: int,
        code: str,
        message: str,
        retryable: bool,
        headers: Tuple[Tuple[str, str], ...] = (),
    ) -> FakeResponse:
        request_id = self._request_id()
        body: Dict[str, object]
        if self.settings.error_shape == "legacy":
            body = {"success": False, "error": message}
        else:
            body = {"code": code, "message": message, "retryable": retryable}
            body["requestId"] = request_id
        return self._response(
            status, json.dumps(body).encode(), headers=headers, request_id=request_id
        )

    def _response(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: Tuple[Tuple[str, str], ...] = (),
        request_id: Optional[str] = None,
    ) -> FakeResponse:
        base = (
            ("content-type", content_type),
            ("content-length", str(len(body))),
            ("x-extend-request-id", request_id or self._request_id()),
        )
        return FakeResponse(status, base + headers, body)

    def _request_id(self) -> str:
        with self._ids_lock:
            return "req_" + _id_block(self._ids, 1)[0][:20]


def _query_items(query: QueryLike) -> List[Tuple[str, str]]:
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    if isinstance(query, str):
        # As a web server decodes it: a raw "+" is a space, so a cursor must be %2B-encoded.
        return parse_qsl(query.lstrip("?"), keep_blank_values=True)
    if isinstance(query, Mapping):
        return [(str(name), str(value)) for name, value in query.items()]
    return [(str(name), str(value)) for name, value in query]


def _headers(headers: HeadersLike) -> Dict[str, str]:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {str(name).lower(): str(value) for name, value in pairs}
