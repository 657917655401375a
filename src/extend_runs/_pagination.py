"""The pagers: thin sync and async drivers of one :class:`~extend_runs._listing.Listing`.

A pager owns a listing (the state machine) and fetches what it asks for with a fetcher
from ``_fetchers``: inline, on threads or as tasks. Plain, prefetched and partitioned
listings take the same path; only the fetcher differs. Everything that consumes a
listing (iteration, ``pages()``, ``to_pandas()``, ``to_dicts()``) continues where the
pager stands, and ``checkpoint`` says exactly where that is.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import _display
from ._constants import WHOLE_LISTING_PAGE_SIZE
from ._fetchers import Ahead, AsyncFetcher, FetchPlan, SyncFetcher
from ._pacing import Pacer
from ._progress import ProgressBar

if TYPE_CHECKING:
    import asyncio

    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    from ._listing import HandoutKind, Listing
    from ._models import ListProcessorRunsParams, ProcessorRunsPage, ProcessorRunSummary

__all__ = ["AsyncProcessorRunPager", "ProcessorRunPager"]


class _PagerBase:
    """What both pagers share: the listing, its display and where it stands."""

    _whole_listing_ahead: Ahead = "auto"
    """How ``to_pandas()`` and ``to_dicts()`` fetch when ``prefetch`` was left out."""

    def __init__(
        self, get_page: Callable[..., Any], listing: Listing, plan: FetchPlan, progress: bool
    ) -> None:
        self._listing = listing
        self._plan = plan
        self._progress = progress
        self._tally = _display.ListingTally()
        if listing.partitioned:
            # The partitions back off together: a 429 to one pauses them all.
            get_page = partial(get_page, gate=Pacer())
        self._get_page = get_page

    @property
    def params(self) -> ListProcessorRunsParams:
        """The filters, sort and page size of this listing."""
        return self._listing.spec.params

    @property
    def limit(self) -> Optional[int]:
        """The most runs this listing yields, or ``None`` for all of them."""
        return self._listing.spec.limit

    @property
    def checkpoint(self) -> str:
        """Exactly how far you got: pass it back as ``resume_from=`` to continue.

        An opaque string over ``[A-Za-z0-9_.=-]``, safe in a file, a database column or a
        shell argument. It records, for every partition, the cursor of the page being
        handed out and how many of its runs you already have, the runs handed out in all
        (so ``limit`` counts across resumptions) and a fingerprint of the filters, sort,
        partitioning and window. Reading it sends no request.

        Example:
            >>> from itertools import islice
            >>> from extend_runs import Client
            >>> with Client() as client:
            ...     pager = client.list_processor_runs(sort_by="createdAt", max_page_size=10)
            ...     first = [run.id for run in islice(pager, 15)]  # stop mid-page
            ...     rest = client.list_processor_runs(
            ...         sort_by="createdAt", max_page_size=10, resume_from=pager.checkpoint
            ...     )
            ...     everything = [run.id for run in client.list_processor_runs(sort_by="createdAt")]
            ...     first + [run.id for run in rest] == everything
            True
        """
        return self._listing.checkpoint()

    @property
    def next_page_token(self) -> Optional[str]:
        """The cursor of the next page to fetch.

        Before the first page it is the cursor the listing started from; after an error,
        the cursor of the page that failed; ``None`` once the last page has been read.
        It names a page, not a run: runs of the current page that you have not received
        yet are not covered by it. :attr:`checkpoint` is exact to the run.

        Raises:
            ValueError: for a partitioned listing, which has one cursor per partition
                (use :attr:`checkpoint`).
        """
        if self._listing.partitioned:
            raise ValueError(
                "a partitioned listing has one cursor per partition: save pager.checkpoint"
            )
        return self._listing.next_page_token

    @property
    def partition_tokens(self) -> Optional[dict[Any, Optional[str]]]:
        """Deprecated: use :attr:`checkpoint`, which repeats no run on resumption.

        Per partition not yet exhausted, the cursor of the first page holding runs not
        yet handed out; ``None`` for a listing that is not partitioned.
        """
        warnings.warn(
            "partition_tokens is deprecated: save pager.checkpoint and resume with "
            "resume_from=, which repeats no run",
            DeprecationWarning,
            stacklevel=2,
        )
        if self._listing.lane_count == 1 and not self._listing.spec.partition_by:
            return None
        return self._listing.partition_tokens()

    def _fetch_plan(self, kind: HandoutKind) -> FetchPlan:
        """The plan, except that consuming a whole listing fetches in big pages and, unless
        ``prefetch`` was given, as :attr:`_whole_listing_ahead` says."""
        plan = self._plan
        if kind != "chunk":
            return plan if plan.ahead is not None else FetchPlan(plan.workers, ahead=False)
        self._listing.prefer_page_size(WHOLE_LISTING_PAGE_SIZE)
        if plan.ahead is not None:
            return plan
        return FetchPlan(plan.workers, ahead=self._whole_listing_ahead)

    def _check_pages(self) -> None:
        if self._listing.partitioned:
            raise ValueError(
                "pages() is not available on a partitioned listing: its runs are merged "
                "across partitions, so iterate the pager itself"
            )

    @contextmanager
    def _receiving(
        self,
    ) -> Iterator[Callable[[int, Optional[str], ProcessorRunsPage, float], None]]:
        """Around one pass over the listing: take pages in, tally them, draw the bar."""
        listing, tally = self._listing, self._tally
        bar = ProgressBar(listing.spec.limit) if self._progress else None

        def receive(lane: int, token: Optional[str], page: ProcessorRunsPage, took: float) -> None:
            room = listing.room()
            if listing.accept(lane, token, page, took):
                joined = listing.joined(lane)  # not the runs skipped or past a limit
                if room is not None:
                    joined = joined[:room]
                tally.add(joined)
                if bar is not None:
                    bar.update(len(joined))

        try:
            yield receive
        finally:
            if bar is not None:
                bar.close()

    def _describe(self) -> dict[str, Any]:
        listing = self._listing
        partitioned = listing.partitioned
        return {
            "name": type(self).__name__,
            "query": listing.spec.params.to_query(),
            "limit": listing.spec.limit,
            "next_page_token": None if partitioned else listing.next_page_token,
            "partitions": len(listing.labels) if partitioned else 0,
            "tally": self._tally,
            "finished": listing.finished,
        }

    def __repr__(self) -> str:
        return _display.pager_repr(**self._describe())

    def _repr_html_(self) -> str:
        """What Jupyter shows: parameters, then what was fetched so far; never sends a request."""
        return _display.pager_html(**self._describe())


class ProcessorRunPager(_PagerBase):
    """A lazy listing of processor runs that follows ``nextPageToken`` by itself.

    Returned by :meth:`Client.list_processor_runs`. No request is sent until you
    iterate. Iterating yields every run across all pages; :meth:`pages` yields whole
    pages. The pager is a cursor: iterating it again continues with the first run not
    yet yielded, however the last iteration ended (``break``, an exception in your loop,
    Ctrl-C, an error from the server), and yields nothing once the listing is over.

    Example:
        >>> from extend_runs import Client
        >>> with Client() as client:
        ...     pager = client.list_processor_runs(status="FAILED", limit=3)
        ...     [str(run.status) for run in pager], pager.next_page_token is not None
        (['FAILED', 'FAILED', 'FAILED'], True)
    """

    _get_page: Callable[..., ProcessorRunsPage]

    def __init__(
        self,
        get_page: Callable[..., ProcessorRunsPage],
        listing: Listing,
        plan: FetchPlan,
        progress: bool = False,
    ) -> None:
        super().__init__(get_page, listing, plan, progress)

    def __iter__(self) -> Iterator[ProcessorRunSummary]:
        return self._walk("runs")

    def pages(self) -> Iterator[ProcessorRunsPage]:
        """Yield the listing a :class:`ProcessorRunsPage` at a time, until it is over.

        Each page is the answer to one request. A page with no runs (an empty listing's
        only page, or an empty page a server sends between others) is passed over: it
        has nothing to hand out. After a partly read page, the first page yielded holds
        the rest of that page.

        Raises:
            ValueError: on a partitioned listing, whose runs only exist merged.
        """
        self._check_pages()
        return self._walk("page")

    def _walk(self, kind: HandoutKind) -> Generator[Any, None, None]:
        listing = self._listing
        with self._receiving() as receive:
            fetcher = SyncFetcher(self._get_page, listing, receive, self._fetch_plan(kind))
            try:
                while True:
                    # Handed out by a built-in iterator, so a run counts as yielded
                    # exactly when the caller gets it, whatever interrupts the loop.
                    yield from listing.current(kind)
                    while wanted := listing.wanted():
                        fetcher.fetch(wanted)
                    if not listing.advance(kind):
                        return
            finally:
                fetcher.close()

    def to_pandas(self) -> pd.DataFrame:
        """Fetch the rest of the listing into a DataFrame.

        One row per run, columns as in :meth:`ProcessorRunsPage.to_pandas`. ``limit`` is
        honoured, and only plain column values are kept, never every run object. Without
        ``max_page_size`` (or ``limit``) it asks for 1000 runs a page. Like
        iterating, it continues where the pager stands; if it is interrupted, the pager
        stands where it did before the call.

        Raises:
            ImportError: pandas is not installed (``pip install 'extend-runs[pandas]'``).

        Example:
            >>> def failures_by_processor(client: "Client") -> "pd.Series":
            ...     frame = client.list_processor_runs(status="FAILED").to_pandas()
            ...     return frame.groupby("processor_name", observed=True).size()
        """
        from ._dataframe import FrameBuilder, import_pandas

        import_pandas()
        builder = FrameBuilder()
        with self._listing.transaction():
            chunks = self._walk("chunk")
            try:
                for runs in chunks:
                    builder.add(runs)
            finally:
                chunks.close()
        return builder.frame()

    def to_dicts(self) -> list[dict[str, Any]]:
        """Fetch the rest of the listing as plain dicts, as :meth:`ProcessorRunsPage.to_dicts`.

        Without ``max_page_size`` (or ``limit``) it asks for 1000 runs a page.
        """
        from ._dataframe import run_to_dict

        with self._listing.transaction():
            chunks = self._walk("chunk")
            try:
                return [run_to_dict(run) for runs in chunks for run in runs]
            finally:
                chunks.close()


class AsyncProcessorRunPager(_PagerBase):
    """The async twin of :class:`ProcessorRunPager`, for ``async for``.

    Example:
        >>> import asyncio
        >>> from extend_runs import AsyncClient
        >>> async def page_sizes() -> list[int]:
        ...     async with AsyncClient() as client:
        ...         pager = client.list_processor_runs(max_page_size=100, limit=250)
        ...         return [len(page.processor_runs) async for page in pager.pages()]
        >>> asyncio.run(page_sizes())
        [100, 100, 50]
    """

    _get_page: Callable[..., Awaitable[ProcessorRunsPage]]
    _whole_listing_ahead: Ahead = False
    # ``to_pandas()`` and ``to_dicts()`` never await between pages, so a page fetched ahead
    # as a task would only start when they ask for it: measured, it costs 8 to 11% at no
    # latency and gains nothing at 250 ms a page.

    def __init__(
        self,
        get_page: Callable[..., Awaitable[ProcessorRunsPage]],
        listing: Listing,
        plan: FetchPlan,
        progress: bool = False,
    ) -> None:
        super().__init__(get_page, listing, plan, progress)
        self._converting: Optional[asyncio.Event] = None
        """Set once the ``to_pandas()`` or ``to_dicts()`` under way in some task is over."""

    async def _settled(self) -> None:
        """Wait while another task reads the pager with ``to_pandas()`` or ``to_dicts()``:
        until that call returns, its runs may yet be handed back to the pager."""
        while (converting := self._converting) is not None:
            await converting.wait()

    @asynccontextmanager
    async def _converting_all(self) -> AsyncIterator[None]:
        import asyncio

        await self._settled()
        done = self._converting = asyncio.Event()  # made in the loop that waits on it
        try:
            with self._listing.transaction():
                yield
        finally:
            self._converting = None
            done.set()

    def __aiter__(self) -> AsyncIterator[ProcessorRunSummary]:
        return self._walk("runs")

    def pages(self) -> AsyncIterator[ProcessorRunsPage]:
        """Yield the listing a :class:`ProcessorRunsPage` at a time, as
        :meth:`ProcessorRunPager.pages` does.

        Raises:
            ValueError: on a partitioned listing, whose runs only exist merged.
        """
        self._check_pages()
        return self._walk("page")

    async def _walk(self, kind: HandoutKind) -> AsyncGenerator[Any, None]:
        listing = self._listing
        with self._receiving() as receive:
            fetcher = AsyncFetcher(self._get_page, listing, receive, self._fetch_plan(kind))
            try:
                while True:
                    if kind != "chunk":
                        await self._settled()
                    # No step between advancing the built-in iterator and the yield can be
                    # interrupted, so a run counts as yielded exactly when it is.
                    for item in listing.current(kind):
                        yield item
                    while wanted := listing.wanted():
                        await fetcher.fetch(wanted)
                    if not listing.advance(kind):
                        return
            finally:
                await fetcher.aclose()

    async def to_pandas(self) -> pd.DataFrame:
        """Fetch the rest of the listing into a DataFrame: ``await pager.to_pandas()``.

        The same as :meth:`ProcessorRunPager.to_pandas`, with requests awaited.

        Example:
            >>> async def failed_frame(client: "AsyncClient") -> "pd.DataFrame":
            ...     return await client.list_processor_runs(status="FAILED").to_pandas()
        """
        from ._dataframe import FrameBuilder, import_pandas

        import_pandas()
        builder = FrameBuilder()
        async with self._converting_all():
            chunks = self._walk("chunk")
            try:
                async for runs in chunks:
                    builder.add(runs)
            finally:
                await chunks.aclose()
        return builder.frame()

    async def to_dicts(self) -> list[dict[str, Any]]:
        """Fetch the rest of the listing as plain dicts: ``await pager.to_dicts()``."""
        from ._dataframe import run_to_dict

        async with self._converting_all():
            chunks = self._walk("chunk")
            try:
                return [run_to_dict(run) async for runs in chunks for run in runs]
            finally:
                await chunks.aclose()
