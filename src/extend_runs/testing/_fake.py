"""``FakeExtend``: the fake's public face, tying data, handler and the two ways in together."""

from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import httpx

from ._asgi import FakeExtendApp
from ._clock import NowLike, clock_ms, from_ms, to_ms
from ._cursor import CursorCodec
from ._data import Distribution, RunLike, generate_table, generation_window, load_runs
from ._faults import Fault, FaultPredicate, FaultRule, FaultRules
from ._handler import FakeResponse, Handler, HandlerSettings, HeadersLike, QueryLike
from ._ratelimit import SlidingWindowLimiter
from ._requests import RecordedRequest, RequestLog
from ._store import Filters, RunStore
from ._transports import async_transport, sync_transport

DEFAULT_API_KEY = "sk_test_extend_fake"
"""The API key the fake accepts unless given another."""

IN_PROCESS_BASE_URL = "https://fake-extend.invalid"
"""A base URL for clients using the in-process transports (``.invalid`` never resolves)."""

API_VERSIONS = ("2025-04-21", "2026-02-09", "2024-12-23", "2024-11-14", "2024-07-30", "2024-02-01")
"""The ``x-extend-api-version`` values accepted by default."""


class FakeExtend:
    """A fake Extend API serving ``GET /processor_runs`` like the real one.

    It filters, sorts and pages with opaque cursors, checks the API key and version
    header, and answers errors in Extend's shape. Faults can be armed for chosen
    requests, a per-second rate limit imposed, and every request is recorded. Use it
    in process (``transport()``, ``async_transport()``) or on a real socket (``serve()``).

    Args:
        runs: how many runs to generate (seeded by ``seed``), or the runs themselves as
            camelCase dicts or pydantic models. Extra keys ``source``, ``sourceId`` and
            ``fileName`` are used for filtering and not served. Generated runs are
            created over the 90 days up to ``now``.
        seed: seeds the generated runs, the cursor secret and the request ids.
        now: the fake's clock, which places generated runs and stamps changes: ``None``
            for the wall clock, an aware ``datetime`` for a clock that stands still there
            (the same runs on every test run), or a callable returning an aware
            ``datetime`` for a clock the test moves.
        distribution: how generated runs spread: ``"realistic"`` (70% ``PROCESSED``,
            skewed sources and processor types) or ``"even"`` (every status, source and
            type about equally often, e.g. to try partitioned listings).
        api_key: the key the fake accepts as ``Authorization: Bearer <key>``.
        api_versions: the accepted ``x-extend-api-version`` values.
        latency: seconds added to every response.
        rate_limit: requests per second allowed (a sliding one-second window); beyond it,
            429 ``RATE_LIMIT_EXCEEDED`` with ``Retry-After``. ``None``: unlimited.
        clock: the monotonic clock (seconds) the rate limit reads (inject one in tests).
        error_shape: ``"current"`` for ``{code, message, retryable, requestId}`` or
            ``"legacy"`` for ``{"success": false, "error": "..."}``.
        last_page_token: how the last page ends: ``"absent"`` (no ``nextPageToken``),
            ``"null"`` or ``"empty"`` (``""``).
        include_internal_fields: also serve ``source``, ``sourceId`` and ``fileName``.
        cursor_secret: the key cursors are signed with (derived from ``seed`` if not given).

    Example:
        >>> import httpx
        >>> from extend_runs.testing import FakeExtend
        >>> fake = FakeExtend(runs=25, seed=1)
        >>> http = httpx.Client(transport=fake.transport(), base_url=fake.base_url)
        >>> response = http.get(
        ...     "/processor_runs",
        ...     params={"status": "PROCESSED"},
        ...     headers=fake.auth_headers(),
        ... )
        >>> response.status_code, response.json()["success"]
        (200, True)
    """

    def __init__(
        self,
        runs: Union[int, Iterable[RunLike]] = 0,
        *,
        seed: int = 0,
        now: NowLike = None,
        distribution: Distribution = "realistic",
        api_key: str = DEFAULT_API_KEY,
        api_versions: Sequence[str] = API_VERSIONS,
        latency: float = 0.0,
        rate_limit: Optional[int] = None,
        clock: Optional[Callable[[], float]] = None,
        error_shape: str = "current",
        last_page_token: str = "absent",
        include_internal_fields: bool = False,
        cursor_secret: Optional[bytes] = None,
    ) -> None:
        if error_shape not in ("current", "legacy"):
            raise ValueError("error_shape must be 'current' or 'legacy'")
        if last_page_token not in ("absent", "null", "empty"):
            raise ValueError("last_page_token must be 'absent', 'null' or 'empty'")
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self._clock = clock_ms(now)
        if isinstance(runs, int):
            start_ms, end_ms = generation_window(None, None, self._clock())
            table = generate_table(runs, seed, start_ms, end_ms, distribution)
        else:
            table = load_runs(runs)
        self._log = RequestLog()
        self._faults = FaultRules()
        secret = cursor_secret or hashlib.sha256(f"extend-fake-{seed}".encode()).digest()
        limiter = (
            None
            if rate_limit is None
            else SlidingWindowLimiter(rate_limit, clock or time.monotonic)
        )
        self._handler = Handler(
            RunStore(table, self._clock, seed),
            HandlerSettings(
                api_key=api_key,
                api_versions=tuple(api_versions),
                error_shape=error_shape,
                last_page_token=last_page_token,
                latency=latency,
                include_internal_fields=include_internal_fields,
            ),
            CursorCodec(secret),
            self._faults,
            self._log,
            limiter,
            seed,
        )
        self.api_key = api_key
        """The API key the fake accepts."""
        self.base_url = IN_PROCESS_BASE_URL
        """A base URL to give clients that use the in-process transports."""

    def __repr__(self) -> str:
        return f"FakeExtend(runs={len(self)})"

    def __len__(self) -> int:
        return len(self._handler.store)

    # -- data ---------------------------------------------------------------

    def add_runs(self, runs: Iterable[RunLike]) -> None:
        """Add runs (camelCase dicts or pydantic models) to those served.

        Example:
            >>> fake = FakeExtend()
            >>> fake.add_runs([{
            ...     "id": "dpr_1", "status": "FAILED", "processorId": "dp_1",
            ...     "processorName": "Invoices", "processorVersionId": "dpv_1",
            ...     "createdAt": "2025-11-01T10:00:00Z", "updatedAt": "2025-11-01T10:01:00Z",
            ... }])
            >>> len(fake)
            1
        """
        self._handler.store.add(load_runs(runs))

    def add_generated_runs(
        self,
        count: int,
        seed: int = 0,
        distribution: Distribution = "realistic",
        *,
        start: Optional[datetime] = None,
        end: Optional[datetime] = None,
    ) -> None:
        """Add ``count`` generated runs, seeded by ``seed``, spread as ``distribution``.

        They are created between ``start`` and ``end``: by default the 90 days up to the
        fake's ``now()``, as in ``generate_runs``.

        Example:
            >>> fake = FakeExtend(runs=10)
            >>> fake.add_generated_runs(5, seed=2)
            >>> len(fake)
            15
        """
        start_ms, end_ms = generation_window(start, end, self._clock())
        self._handler.store.add(generate_table(count, seed, start_ms, end_ms, distribution))

    def now(self) -> datetime:
        """The fake's current time, an aware UTC ``datetime`` (see ``now=``).

        Example:
            >>> from datetime import datetime, timezone
            >>> FakeExtend(now=datetime(2026, 12, 1, tzinfo=timezone.utc)).now().isoformat()
            '2026-12-01T00:00:00+00:00'
        """
        return from_ms(self._clock())

    def runs(
        self,
        *,
        status: Optional[str] = None,
        processor_id: Optional[str] = None,
        processor_type: Optional[str] = None,
        source_id: Optional[str] = None,
        source: Optional[str] = None,
        file_name_contains: Optional[str] = None,
        sort_by: str = "updatedAt",
        sort_dir: str = "desc",
        internal: bool = False,
    ) -> List[Dict[str, Any]]:
        """The runs a full listing with these filters returns, in order, as wire dicts.

        Handy as the expected value in tests. With ``internal``, each dict also has
        ``source``, ``sourceId`` and ``fileName``.

        Example:
            >>> fake = FakeExtend(runs=50, seed=3)
            >>> failed = fake.runs(status="FAILED")
            >>> all(run["status"] == "FAILED" for run in failed)
            True
        """
        filters = Filters(
            status, processor_id, processor_type, source_id, source, file_name_contains
        )
        return self._handler.store.wire_listing(filters, sort_by, sort_dir, internal)

    def run(self, run_id: str, *, internal: bool = False) -> Dict[str, Any]:
        """The run with id ``run_id`` as a wire dict; ``KeyError`` if there is none.

        Example:
            >>> fake = FakeExtend(runs=5, seed=1)
            >>> first = fake.runs()[0]
            >>> fake.run(first["id"]) == first
            True
        """
        return self._handler.store.wire(run_id, internal)

    def create_run(
        self,
        status: str = "PENDING",
        *,
        id: Optional[str] = None,
        processor_id: Optional[str] = None,
        processor_name: Optional[str] = None,
        processor_version_id: Optional[str] = None,
        processor_type: Optional[str] = None,
        source: Optional[str] = None,
        source_id: Optional[str] = None,
        file_name: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Create a run now, while the fake serves: thread-safe, seen by the next request.

        Its ``createdAt`` and ``updatedAt`` are the fake's clock (never earlier than the
        newest ``updatedAt`` the fake holds). A ``processor_id`` the fake already has
        brings that processor's name, version and type; with none, the run belongs to
        ``"Invoice Extractor"`` (``dp_fake_invoices``). ``source``, ``source_id`` and
        ``file_name`` are filtered on but not served, as for loaded runs. The id is made up
        (seeded by the fake's ``seed``) unless given.

        Returns:
            The new run as served, a camelCase dict.

        Raises:
            ValueError: an unknown status, type or source, or an id already taken.

        Example:
            >>> from datetime import datetime, timezone
            >>> fake = FakeExtend(now=datetime(2026, 12, 1, tzinfo=timezone.utc))
            >>> run = fake.create_run("PROCESSING", file_name="invoice_1.pdf")
            >>> run["status"], run["createdAt"], run["updatedAt"]
            ('PROCESSING', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')
            >>> fake.runs(file_name_contains="invoice")[0]["id"] == run["id"]
            True
        """
        given = {
            "id": id,
            "status": status,
            "processorId": processor_id,
            "processorName": processor_name,
            "processorVersionId": processor_version_id,
            "type": processor_type,
            "source": source,
            "sourceId": source_id,
            "fileName": file_name,
        }
        fields = {name: value for name, value in given.items() if value is not None}
        return self._handler.store.create(fields, self._handler.settings.include_internal_fields)

    def update_run(
        self,
        run_id: str,
        status: Optional[str] = None,
        *,
        updated_at: Optional[datetime] = None,
    ) -> Dict[str, Any]:
        """Change a run while the fake serves: a new ``status`` (if given), a later ``updatedAt``.

        ``updatedAt`` moves forward on every call, status change or not: to
        ``updated_at`` if given (an aware datetime later than the run's current
        ``updatedAt``), else to the fake's clock, but never earlier than the newest
        ``updatedAt`` the fake holds and always at least a millisecond after the run's own.
        Thread-safe; the next request sees the change.

        Returns:
            The changed run as served, a camelCase dict.

        Raises:
            KeyError: no run has this id.
            ValueError: an unknown status, or an ``updated_at`` that is not later.

        Example:
            >>> from datetime import datetime, timezone
            >>> fake = FakeExtend(now=datetime(2026, 12, 1, tzinfo=timezone.utc))
            >>> run = fake.create_run("PROCESSING")
            >>> fake.update_run(run["id"], "FAILED")["updatedAt"]
            '2026-12-01T00:00:00.001Z'
            >>> fake.runs()[0]["status"]
            'FAILED'
        """
        updated_ms = None if updated_at is None else to_ms(updated_at, "updated_at")
        return self._handler.store.update(
            run_id, status, updated_ms, self._handler.settings.include_internal_fields
        )

    def _warm(self) -> None:
        """Sort the runs both ways now, so the first request does not pay for it."""
        for sort_by in ("updatedAt", "createdAt"):
            self._handler.store.listing(Filters(), sort_by)

    # -- requests -----------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: QueryLike = "",
        headers: Optional[HeadersLike] = None,
        body: bytes = b"",
    ) -> FakeResponse:
        """Answer one request without any I/O: the fake's single implementation.

        ``query`` is a raw query string (percent-encoded), a mapping or pairs; ``body``
        matters only to the control interface (``/_fake/...``).

        Example:
            >>> fake = FakeExtend(runs=3)
            >>> answer = fake.handle("GET", "/processor_runs", "maxPageSize=2", fake.auth_headers())
            >>> answer.status_code, len(answer.json()["processorRuns"])
            (200, 2)
        """
        return self._handler.handle(method, path, query, headers or {}, body)

    def auth_headers(self, api_version: str = "2025-04-21") -> Dict[str, str]:
        """The headers a correct client sends: bearer key and API version.

        Example:
            >>> sorted(FakeExtend().auth_headers())
            ['Authorization', 'x-extend-api-version']
        """
        return {"Authorization": f"Bearer {self.api_key}", "x-extend-api-version": api_version}

    @property
    def requests(self) -> List[RecordedRequest]:
        """The requests received so far, oldest first (a copy; thread-safe).

        Example:
            >>> fake = FakeExtend()
            >>> _ = fake.handle("GET", "/processor_runs", "status=FAILED", fake.auth_headers())
            >>> fake.requests[-1].query
            {'status': 'FAILED'}
        """
        return self._log.snapshot()

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._log.clear()

    # -- faults -------------------------------------------------------------

    def inject(
        self,
        fault: Fault,
        *,
        times: Optional[int] = 1,
        when: Optional[FaultPredicate] = None,
    ) -> FaultRule:
        """Answer the next ``times`` matching requests with ``fault`` (``None``: all of them).

        ``when`` picks requests from their ``RecordedRequest`` (e.g. by ``page`` or
        ``next_page_token``); faults armed earlier are matched first.

        Example:
            >>> fake = FakeExtend(runs=40)
            >>> rule = fake.inject(Fault.server_error(503), when=lambda r: r.page == 2)
            >>> rule.remaining
            1
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        return self._faults.add(FaultRule(fault, times, when))

    def fail_next(
        self, n: int, fault: Fault, *, when: Optional[FaultPredicate] = None
    ) -> FaultRule:
        """Answer the next ``n`` matching requests with ``fault``.

        Example:
            >>> fake = FakeExtend(runs=40)
            >>> rule = fake.fail_next(2, Fault.drop_connection())
            >>> rule.hits
            0
        """
        return self.inject(fault, times=n, when=when)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._faults.clear()

    # -- ways in ------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An ``httpx`` transport answering in process, for ``httpx.Client(transport=...)``.

        A dropped connection raises ``httpx.RemoteProtocolError``; delays use ``time.sleep``.

        Example:
            >>> fake = FakeExtend(runs=5)
            >>> with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
            ...     http.get("/processor_runs").status_code
            401
        """
        return sync_transport(self._handle_raw)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for ``httpx.AsyncClient``; delays use ``asyncio.sleep``.

        Example:
            >>> fake = FakeExtend(runs=5)
            >>> http = httpx.AsyncClient(transport=fake.async_transport(), base_url=fake.base_url)
        """
        return async_transport(self._handle_raw)

    def asgi_app(self) -> FakeExtendApp:
        """The fake as an ASGI application, for any ASGI server.

        Example:
            >>> app = FakeExtend(runs=5).asgi_app()
        """
        return FakeExtendApp(self._handle_raw)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve the fake on a real socket for the duration of a ``with`` block.

        Yields the base URL, e.g. ``http://127.0.0.1:54321`` (port 0 lets the OS choose).
        Needs uvicorn (``pip install 'extend-runs[testing]'``).

        Example:
            >>> fake = FakeExtend(runs=5)
            >>> with fake.serve() as base_url:
            ...     httpx.get(base_url + "/processor_runs").status_code
            401
        """
        from ._server import run_in_thread

        with run_in_thread(self.asgi_app(), host, port) as base_url:
            yield base_url

    def _handle_raw(
        self, method: str, path: str, query: bytes, headers: List[Tuple[str, str]], body: bytes
    ) -> FakeResponse:
        return self._handler.handle(method, path, query, headers, body)
