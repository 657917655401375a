"""``Client`` and ``AsyncClient``: settings, listing calls and lifetime, written once."""

from __future__ import annotations

import types
from collections.abc import Mapping
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Coroutine,
    Generic,
    Literal,
    Optional,
    TypeVar,
    Union,
)

import httpx

from ._constants import DEFAULT_API_VERSION, DEFAULT_MAX_RETRIES
from ._pagination import AsyncProcessorRunPager, ProcessorRunPager
from ._progress import require_tqdm
from ._sender import (
    AsyncSender,
    HttpClientHolder,
    LazyHttpClient,
    LoopLocalHttpClient,
    SyncSender,
)
from ._settings import ClientSettings, resolve_settings
from ._times import TimeLike, aware_time
from ._types import NOT_GIVEN, NotGiven, TimeoutTypes

if TYPE_CHECKING:
    # The models need pydantic, which is imported on the first listing call instead, so
    # that ``import extend_runs`` and building a client stay quick and small.
    from ._fetchers import FetchPlan
    from ._listing import Listing
    from ._models import (
        ListProcessorRunsParams,
        ProcessorRunSourceLike,
        ProcessorRunsPage,
        ProcessorRunStatusLike,
        ProcessorTypeLike,
        SortByLike,
        SortDirLike,
    )
    from ._watch import AsyncProcessorRunWatcher, ProcessorRunWatcher, WatchState

PartitionBy = Literal["status", "processor_type", "source"]
"""A field a listing can be split on: every value of it is listed concurrently."""

PartitionByLike = Union[PartitionBy, tuple[PartitionBy, ...], Literal["auto"]]
"""One field, or a tuple of fields (one partition per combination of their values), or
``"auto"`` (by status, splitting by source the statuses that would outlast the budget)."""

__all__ = ["AsyncClient", "Client"]

_HttpClientT = TypeVar("_HttpClientT", httpx.Client, httpx.AsyncClient)
_PagerT = TypeVar("_PagerT")
_PageT = TypeVar("_PageT")
_WatcherT = TypeVar("_WatcherT")
_ClientT = TypeVar("_ClientT", bound="_BaseClient[Any, Any, Any, Any]")


_PUBLIC_METHODS = (
    "__init__",
    "list_processor_runs",
    "list_processor_runs_page",
    "watch_processor_runs",
    "with_options",
)
"""The shared methods users call (the constructor too), renamed after each client class
(see ``__init_subclass__``)."""


class _BaseClient(Generic[_HttpClientT, _PagerT, _PageT, _WatcherT]):
    """What both clients share; subclasses supply only the I/O."""

    _settings: ClientSettings
    _http: HttpClientHolder[_HttpClientT]
    _owns_http_client: bool

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Python names a function by its qualified name in its own errors ("got an
        # unexpected keyword argument"), so each client gets copies of the shared methods
        # named after itself: users read ``Client.list_processor_runs()``, not a private
        # base class they never wrote.
        super().__init_subclass__(**kwargs)
        for name in _PUBLIC_METHODS:
            if name not in cls.__dict__:
                setattr(cls, name, _renamed(getattr(cls, name), f"{cls.__qualname__}.{name}"))

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        api_version: str = DEFAULT_API_VERSION,
        workspace_id: Optional[str] = None,
        timeout: Union[TimeoutTypes, NotGiven, None] = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: Optional[_HttpClientT] = None,
        allow_insecure_http: bool = False,
        max_requests_per_second: Optional[float] = None,
        max_retry_wait: Optional[float] = None,
    ) -> None:
        settings = resolve_settings(
            api_key=api_key,
            base_url=base_url,
            api_version=api_version,
            workspace_id=workspace_id,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            allow_insecure_http=allow_insecure_http,
            max_requests_per_second=max_requests_per_second,
            max_retry_wait=max_retry_wait,
        )
        if http_client is None:
            self._setup(settings, self._own_http_client(settings), owns_http_client=True)
        else:
            given = LazyHttpClient(lambda: http_client, http_client)
            self._setup(settings, given, owns_http_client=False)

    def _setup(
        self,
        settings: ClientSettings,
        http: HttpClientHolder[_HttpClientT],
        *,
        owns_http_client: bool,
    ) -> None:
        self._settings = settings
        self._http = http
        self._owns_http_client = owns_http_client

    @property
    def _http_client(self) -> _HttpClientT:
        return self._http.get()

    @staticmethod
    def _own_http_client(settings: ClientSettings) -> HttpClientHolder[_HttpClientT]:
        raise NotImplementedError

    def _pager(self, listing: Listing, plan: FetchPlan, progress: bool) -> _PagerT:
        raise NotImplementedError

    def _watcher(
        self, params: ListProcessorRunsParams, state: WatchState, interval: float
    ) -> _WatcherT:
        raise NotImplementedError

    def _get_page(self, query: dict[str, Any]) -> _PageT:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """The API's base URL, without a trailing slash."""
        return self._settings.base_url

    @property
    def api_version(self) -> str:
        """The ``x-extend-api-version`` sent with every request."""
        return self._settings.api_version

    @property
    def workspace_id(self) -> Optional[str]:
        """The ``x-extend-workspace-id`` sent with every request, if any."""
        return self._settings.workspace_id

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of each attempt."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        """Retries after the first try of each request."""
        return self._settings.max_retries

    @property
    def max_retry_wait(self) -> Optional[float]:
        """The cap on each wait before a retry, in seconds, or ``None`` for no cap."""
        return self._settings.max_retry_wait

    @property
    def max_requests_per_second(self) -> Optional[float]:
        """The pace this client keeps across all its requests, or ``None`` for no pacing."""
        return self._settings.max_requests_per_second

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, api_version={self.api_version!r}, "
            f"workspace_id={self.workspace_id!r}, max_retries={self.max_retries}, "
            f"max_requests_per_second={self.max_requests_per_second!r})"
        )

    def with_options(
        self: _ClientT,
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
    ) -> _ClientT:
        """A new client with some settings changed, sharing this one's connection pool.

        Arguments left out keep this client's value; each one given is checked as the
        constructor checks it (``base_url`` as plain ``http://`` to a non-loopback host
        needs ``allow_insecure_http=True``, here or on the original). ``api_key`` and
        ``base_url`` suit one process that talks to several workspaces or regions over
        one pool. Closing the new client does not close the shared pool; close the
        original when you are done. A copy that keeps the pacing
        (``max_requests_per_second`` left out) shares this client's budget, whatever
        else it changes: their requests together stay within it. A new rate gives the
        copy its own budget; ``None`` turns pacing off for the copy.

        Example:
            >>> from extend_runs import Client
            >>> client = Client(api_key="sk-test")
            >>> patient = client.with_options(timeout=300.0, max_retries=5)
            >>> patient.max_retries, client.max_retries
            (5, 2)
            >>> client.with_options(base_url="https://api.eu1.extend.ai", api_key="sk-eu").base_url
            'https://api.eu1.extend.ai'
        """
        clone = object.__new__(type(self))
        clone._setup(
            self._settings.with_changes(
                api_key=api_key,
                base_url=base_url,
                allow_insecure_http=allow_insecure_http,
                timeout=timeout,
                max_retries=max_retries,
                api_version=api_version,
                workspace_id=workspace_id,
                max_requests_per_second=max_requests_per_second,
                max_retry_wait=max_retry_wait,
            ),
            self._http,
            owns_http_client=False,
        )
        return clone

    def list_processor_runs(
        self,
        *,
        status: Optional[ProcessorRunStatusLike] = None,
        processor_id: Optional[str] = None,
        processor_type: Optional[ProcessorTypeLike] = None,
        source_id: Optional[str] = None,
        source: Optional[ProcessorRunSourceLike] = None,
        file_name_contains: Optional[str] = None,
        sort_by: Optional[SortByLike] = None,
        sort_dir: Optional[SortDirLike] = None,
        max_page_size: Optional[int] = None,
        next_page_token: Optional[str] = None,
        limit: Optional[int] = None,
        params: Optional[ListProcessorRunsParams] = None,
        progress: bool = False,
        prefetch: Union[bool, Literal["auto"], None] = None,
        partition_by: Optional[PartitionByLike] = None,
        max_concurrency: Optional[int] = None,
        resume_from: Optional[str] = None,
        created_since: Optional[TimeLike] = None,
        created_before: Optional[TimeLike] = None,
        updated_since: Optional[TimeLike] = None,
        updated_before: Optional[TimeLike] = None,
        partition_tokens: Optional[Mapping[Any, Optional[str]]] = None,
    ) -> _PagerT:
        """List processor runs across every page, lazily.

        Nothing is sent until you iterate the pager (``for`` on :class:`Client`,
        ``async for`` on :class:`AsyncClient`); it then follows ``nextPageToken`` until
        the server says there are no more pages.

        Args:
            status: Only runs in this status (``"FAILED"`` or ``ProcessorRunStatus.FAILED``).
            processor_id: Only runs of this processor.
            processor_type: Only runs of this kind of processor.
            source_id: Only runs created by this entity, such as one workflow run.
            source: Only runs started this way.
            file_name_contains: Only runs whose file name contains this text.
            sort_by: ``"updatedAt"`` (the server's default) or ``"createdAt"``.
                ``createdAt`` is stable while runs change, so prefer it for full exports.
            sort_dir: ``"desc"`` (the server's default) or ``"asc"``.
            max_page_size: Runs per request, 1 to 1000. When left out and ``limit`` is
                set, the SDK asks for ``min(limit, 1000)``; otherwise the server's default (10).
            next_page_token: Resume from this cursor, a ``next_page_token`` of an
                earlier listing with the same filters.
            limit: Yield at most this many runs in all; no page past the one that
                reaches it is requested.
            params: All of the above but ``limit`` as one :class:`ListProcessorRunsParams`,
                instead of keyword arguments.
            progress: Show a progress bar while the listing is walked: runs fetched, with
                pages beside them (a widget in Jupyter, text in a terminal). Needs the
                ``[progress]`` extra.
            prefetch: ``True``: request the next page while you work through the current
                one (on a background thread for :class:`Client`, a task for
                :class:`AsyncClient`), never more than one page ahead. Errors surface when
                you reach the page; ``next_page_token`` still names the first page you
                have not received; leaving the loop early abandons the page in flight.
                ``"auto"``: start without, and fetch ahead only while requests take
                noticeably longer than your loop takes over a page. ``False``: never.
                ``None`` (the default): a loop over the pager fetches inline, while
                ``to_pandas()`` and ``to_dicts()``, which consume the whole listing,
                behave as ``"auto"`` (with :class:`AsyncClient` they fetch inline: they
                never await between pages, so nothing could overlap). A partitioned
                listing always fetches its partitions concurrently, ahead of you,
                whatever this says.
            partition_by: ``"status"``, ``"processor_type"`` or ``"source"``, or a tuple of
                them such as ``("status", "source")``: list each value (each combination of
                values) as its own sub-listing, concurrently, and merge them back in the
                requested sort order (runs with equal timestamps in any order). Not
                combinable with a filter on the same field, nor with ``next_page_token``.
                Runs whose value is none of the SDK's known values (or, for
                ``processor_type``, runs without a type) are in no partition. The
                partitions back off together on a 429. ``"auto"``: one partition per
                status, and a status that would take longer than the request budget
                needs for the whole listing (``max_requests_per_second``, else the API's
                10 a second) is split by source, at a cut, after its first page. Past a
                cut it lists only the 7 sources the API documents: a source added
                later would be missed there (see the "Listing faster" page).
            max_concurrency: Requests a partitioned listing keeps in flight at most
                (default 5).
            resume_from: A :attr:`~ProcessorRunPager.checkpoint` of an earlier listing
                with the same filters, sort, ``partition_by`` and window: yield exactly
                the runs it had not yielded yet. ``max_page_size`` may differ; ``limit``
                counts the runs yielded before too.
            created_since: Only runs created at or after this moment: a timezone-aware
                ``datetime`` or an ISO-8601 string with an offset or ``Z``. The listing is
                ordered by ``createdAt`` and stops at the first run older than this (with
                the default ``sort_dir="desc"``): no page after that one is requested.
            created_before: Only runs created before this moment (the window is
                ``since <= t < before``). Newest first, the pages of newer runs are read
                and skipped; oldest first, the listing stops at the first run this late.
            updated_since: As ``created_since``, on ``updatedAt``.
            updated_before: As ``created_before``, on ``updatedAt``. One window per
                listing: bounds on both fields, or a ``sort_by`` naming the other
                field, are a ``ValueError``.
            partition_tokens: Deprecated: use ``resume_from``.

        Raises:
            ValueError: before any request, for a value outside what the API allows,
                naming the parameter (a :class:`pydantic.ValidationError` is one), or
                for fetching options that do not go together.
            ImportError: ``progress=True`` without tqdm installed, before any request.

        Example:
            >>> from extend_runs import Client
            >>> with Client() as client:
            ...     for run in client.list_processor_runs(status="FAILED", limit=2):
            ...         print(run.status, run.updated_at.tzinfo)
            FAILED UTC
            FAILED UTC
        """
        query = _listing_params(
            params,
            status=status,
            processor_id=processor_id,
            processor_type=processor_type,
            source_id=source_id,
            source=source,
            file_name_contains=file_name_contains,
            sort_by=sort_by,
            sort_dir=sort_dir,
            max_page_size=max_page_size,
            next_page_token=next_page_token,
        )
        if not isinstance(progress, bool):
            raise ValueError(f"progress must be True or False, got {progress!r}")
        if progress:
            require_tqdm()
        from ._listing import Listing
        from ._plan import plan_listing

        spec, start, plan = plan_listing(
            query,
            limit=limit,
            prefetch=prefetch,
            partition_by=partition_by,
            max_concurrency=max_concurrency,
            resume_from=resume_from,
            partition_tokens=partition_tokens,
            created_since=created_since,
            created_before=created_before,
            updated_since=updated_since,
            updated_before=updated_before,
        )
        listing = Listing(
            spec, start, self.max_requests_per_second, plan.workers, secret=self._settings.api_key
        )
        return self._pager(listing, plan, progress)

    def watch_processor_runs(
        self,
        *,
        status: Optional[ProcessorRunStatusLike] = None,
        processor_id: Optional[str] = None,
        processor_type: Optional[ProcessorTypeLike] = None,
        source_id: Optional[str] = None,
        source: Optional[ProcessorRunSourceLike] = None,
        file_name_contains: Optional[str] = None,
        max_page_size: Optional[int] = None,
        since: Optional[TimeLike] = None,
        interval: float = 30.0,
        resume_from: Optional[str] = None,
    ) -> _WatcherT:
        """Watch for runs that are created or change, and yield each change once, as it comes.

        Nothing is sent until you iterate. The first poll, at once, sees where the listing
        stands: nothing older than its newest ``updatedAt`` is yielded (unless ``since``).
        Then it polls every ``interval`` seconds, each poll listing by ``updatedAt``
        newest first only down to what it has already seen, and yields each poll's
        changes oldest first. A given ``(run.id, run.updated_at)`` is yielded once; a
        change made while a poll is under way is yielded by that poll or the next.

        Transient failures (no response, timeouts, 408, 409, 429 and 5xx once the
        client's retries are spent) do not end the watch: they are logged as a WARNING on
        the ``extend_runs`` logger and the next poll comes at the next interval. Other
        errors (400, 401, 403, 404, a malformed answer) raise.

        Args:
            status: Only runs in this status (the other filters as in
                :meth:`list_processor_runs`).
            processor_id: Only runs of this processor.
            processor_type: Only runs of this kind of processor.
            source_id: Only runs created by this entity.
            source: Only runs started this way.
            file_name_contains: Only runs whose file name contains this text.
            max_page_size: Runs per request, 1 to 1000.
            since: Also yield the runs changed at or after this moment first (an aware
                ``datetime`` or an ISO-8601 string), oldest first.
            interval: Seconds between the starts of two polls, more than 0.
            resume_from: A watcher's :attr:`~ProcessorRunWatcher.checkpoint`: continue a
                watch with the same filters after a restart, with nothing lost.

        Raises:
            ValueError: before any request, for a bad filter, ``since``, ``interval`` or
                checkpoint.

        Example:
            >>> from extend_runs import Client
            >>> with Client() as client:
            ...     watcher = client.watch_processor_runs(status="FAILED", interval=60)
            ...     watcher.checkpoint.startswith("w1.")  # nothing sent yet
            True
        """
        from ._checkpoint import WatchPoint
        from ._models import SortBy, SortDir
        from ._watch import WatchState

        params = _listing_params(
            None,
            status=status,
            processor_id=processor_id,
            processor_type=processor_type,
            source_id=source_id,
            source=source,
            file_name_contains=file_name_contains,
            max_page_size=max_page_size,
        ).model_copy(update={"sort_by": SortBy.UPDATED_AT, "sort_dir": SortDir.DESC})
        if (
            isinstance(interval, bool)
            or not isinstance(interval, (int, float))
            or not interval > 0
            or interval == float("inf")
        ):
            raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")
        moment = None if since is None else aware_time("since", since)
        start = None if resume_from is None else WatchPoint.decode(resume_from)
        state = WatchState(params, moment, start)
        return self._watcher(params, state, float(interval))

    def list_processor_runs_page(
        self,
        *,
        status: Optional[ProcessorRunStatusLike] = None,
        processor_id: Optional[str] = None,
        processor_type: Optional[ProcessorTypeLike] = None,
        source_id: Optional[str] = None,
        source: Optional[ProcessorRunSourceLike] = None,
        file_name_contains: Optional[str] = None,
        sort_by: Optional[SortByLike] = None,
        sort_dir: Optional[SortDirLike] = None,
        max_page_size: Optional[int] = None,
        next_page_token: Optional[str] = None,
        params: Optional[ListProcessorRunsParams] = None,
    ) -> _PageT:
        """Fetch exactly one page (one request, with retries); await it on :class:`AsyncClient`.

        Takes the same arguments as :meth:`list_processor_runs`, without ``limit``.
        Pass the page's ``next_page_token`` back to get the page after it.

        Example:
            >>> from extend_runs import Client
            >>> with Client() as client:
            ...     page = client.list_processor_runs_page(status="FAILED", max_page_size=5)
            ...     after = client.list_processor_runs_page(
            ...         status="FAILED", max_page_size=5, next_page_token=page.next_page_token
            ...     )
            >>> len(page.processor_runs), page.processor_runs[0].id != after.processor_runs[0].id
            (5, True)
        """
        listing = _listing_params(
            params,
            status=status,
            processor_id=processor_id,
            processor_type=processor_type,
            source_id=source_id,
            source=source,
            file_name_contains=file_name_contains,
            sort_by=sort_by,
            sort_dir=sort_dir,
            max_page_size=max_page_size,
            next_page_token=next_page_token,
        )
        return self._get_page(listing.to_query())


def _renamed(function: Any, qualname: str) -> Any:
    """A copy of ``function`` (same code, defaults and docs) under another qualified name."""
    code = function.__code__
    if hasattr(code, "co_qualname"):  # Python 3.11 and later name the code object too
        code = code.replace(co_qualname=qualname)
    copy = types.FunctionType(
        code, function.__globals__, function.__name__, function.__defaults__, function.__closure__
    )
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__dict__.update(function.__dict__)
    copy.__doc__ = function.__doc__
    copy.__annotations__ = function.__annotations__
    copy.__module__ = function.__module__
    copy.__qualname__ = qualname
    return copy


def _listing_params(
    params: Optional[ListProcessorRunsParams], **filters: Any
) -> ListProcessorRunsParams:
    from ._models import ListProcessorRunsParams

    if params is None:
        return ListProcessorRunsParams(**filters)
    if not isinstance(params, ListProcessorRunsParams):
        raise TypeError(f"params must be a ListProcessorRunsParams, got {type(params).__name__}")
    given = sorted(name for name, value in filters.items() if value is not None)
    if given:
        raise ValueError(
            f"pass filters either as params=... or as keyword arguments, not both "
            f"(got params and {', '.join(given)})"
        )
    return params


class Client(
    _BaseClient[httpx.Client, ProcessorRunPager, "ProcessorRunsPage", "ProcessorRunWatcher"]
):
    """A synchronous client for Extend's processor-run listings.

    Args:
        api_key: Your Extend API key; defaults to ``$EXTEND_API_KEY``. Without either,
            :class:`ExtendError` is raised. Never shown in a repr, log or error.
        base_url: Defaults to ``$EXTEND_BASE_URL``, then ``https://api.extend.ai``.
            Plain ``http://`` is refused for hosts other than loopback unless
            ``allow_insecure_http=True``.
        api_version: Sent as ``x-extend-api-version``; defaults to ``"2025-04-21"``.
        workspace_id: Sent as ``x-extend-workspace-id`` when given (needed by
            organization-scoped keys).
        timeout: Seconds for each phase of each attempt, or an :class:`httpx.Timeout`;
            60 s by default, or the ``http_client``'s own timeout when one is given.
        max_retries: Retries after the first try (default 2; 0 disables) on connection
            errors, timeouts, 408, 409, 429 and 5xx.
        http_client: Your own :class:`httpx.Client` (proxies, transports, event hooks).
            The client does not close one that was handed to it.
        allow_insecure_http: Permit ``http://`` to a non-loopback host.
        max_requests_per_second: Start at most this many requests per second, across
            every thread and task using this client (retries included), by waiting
            before a request when needed. ``None`` (the default) does not pace.
        max_retry_wait: Wait at most this many seconds before a retry, whatever the
            backoff or ``Retry-After`` says; which failures are retried does not change.
            ``0`` retries at once, for tests against a fake server. ``None`` (the
            default) keeps the policy's waits.

    Example:
        >>> from extend_runs import Client
        >>> with Client(api_key="sk-test") as client:
        ...     pager = client.list_processor_runs(status="FAILED")   # nothing sent yet
    """

    _sender: SyncSender

    def _setup(
        self,
        settings: ClientSettings,
        http: HttpClientHolder[httpx.Client],
        *,
        owns_http_client: bool,
    ) -> None:
        super()._setup(settings, http, owns_http_client=owns_http_client)
        self._sender = SyncSender(settings, http)

    @staticmethod
    def _own_http_client(settings: ClientSettings) -> LazyHttpClient[httpx.Client]:
        return LazyHttpClient(
            lambda: httpx.Client(timeout=settings.timeout, follow_redirects=False),
            close=httpx.Client.close,
        )

    def _pager(self, listing: Listing, plan: FetchPlan, progress: bool) -> ProcessorRunPager:
        return ProcessorRunPager(self._sender.get_page, listing, plan, progress)

    def _watcher(
        self, params: ListProcessorRunsParams, state: WatchState, interval: float
    ) -> ProcessorRunWatcher:
        from ._watch import ProcessorRunWatcher

        return ProcessorRunWatcher(self.list_processor_runs, params, state, interval)

    def _get_page(self, query: dict[str, Any]) -> ProcessorRunsPage:
        return self._sender.get_page(query)

    def close(self) -> None:
        """Close the connection pool, unless it was handed in as ``http_client``."""
        if self._owns_http_client and isinstance(self._http, LazyHttpClient):
            http_client = self._http.mark_closed()
            if http_client is not None:
                http_client.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()


class AsyncClient(
    _BaseClient[
        httpx.AsyncClient,
        AsyncProcessorRunPager,
        Coroutine[Any, Any, "ProcessorRunsPage"],
        "AsyncProcessorRunWatcher",
    ]
):
    """An asynchronous client; the same arguments and behaviour as :class:`Client`.

    ``list_processor_runs`` returns a pager for ``async for`` (with an async
    ``pages()``); ``list_processor_runs_page`` is awaited. ``http_client``, when given,
    is an :class:`httpx.AsyncClient`.

    Example:
        >>> import asyncio
        >>> from extend_runs import AsyncClient
        >>> async def count_failed() -> int:
        ...     async with AsyncClient() as client:
        ...         return len([r async for r in client.list_processor_runs(status="FAILED")])
        >>> asyncio.run(count_failed()) > 0
        True
    """

    _sender: AsyncSender

    def _setup(
        self,
        settings: ClientSettings,
        http: HttpClientHolder[httpx.AsyncClient],
        *,
        owns_http_client: bool,
    ) -> None:
        super()._setup(settings, http, owns_http_client=owns_http_client)
        self._sender = AsyncSender(settings, http)

    @staticmethod
    def _own_http_client(settings: ClientSettings) -> LoopLocalHttpClient:
        return LoopLocalHttpClient(
            lambda: httpx.AsyncClient(timeout=settings.timeout, follow_redirects=False)
        )

    def _pager(self, listing: Listing, plan: FetchPlan, progress: bool) -> AsyncProcessorRunPager:
        return AsyncProcessorRunPager(self._sender.get_page, listing, plan, progress)

    def _watcher(
        self, params: ListProcessorRunsParams, state: WatchState, interval: float
    ) -> AsyncProcessorRunWatcher:
        from ._watch import AsyncProcessorRunWatcher

        return AsyncProcessorRunWatcher(self.list_processor_runs, params, state, interval)

    async def _get_page(self, query: dict[str, Any]) -> ProcessorRunsPage:
        return await self._sender.get_page(query)

    async def aclose(self) -> None:
        """Close the connection pool, unless it was handed in as ``http_client``."""
        if self._owns_http_client and isinstance(self._http, LoopLocalHttpClient):
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        await self.aclose()
