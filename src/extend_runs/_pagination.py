"""Walking a listing page by page: cursor bookkeeping written once, two thin drivers."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Generator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Optional

from . import _display
from ._constants import MAX_PAGE_TOKEN_LENGTH
from ._exceptions import APIResponseValidationError
from ._progress import ProgressBar

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    from ._models import ListProcessorRunsParams, ProcessorRunsPage, ProcessorRunSummary
    from ._partition import ListingPlan, Merge

__all__ = ["AsyncProcessorRunPager", "ProcessorRunPager"]


class _Cursor:
    """Where a listing stands: the next cursor, the runs still allowed, the cursors seen.

    It makes every paging decision; the pagers only fetch what it asks for.
    """

    __slots__ = ("_query", "_seen", "finished", "next_page_token", "remaining")

    def __init__(self, params: ListProcessorRunsParams, limit: Optional[int]) -> None:
        self._query = params.to_query()
        self._query.pop("nextPageToken", None)
        if limit is not None and params.max_page_size is None:
            # One request can carry up to 1000 runs: ask for no more than the limit needs.
            self._query["maxPageSize"] = max(1, min(limit, 1000))
        self.next_page_token = params.next_page_token
        self.remaining = limit
        self.finished = limit == 0
        self._seen: set[str] = {self.next_page_token} if self.next_page_token else set()

    def next_query(self) -> Optional[dict[str, Any]]:
        """The query of the next page to fetch, or ``None`` when the listing is over."""
        if self.finished:
            return None
        if self.next_page_token is None:
            return self._query
        return {**self._query, "nextPageToken": self.next_page_token}

    def accept(self, page: ProcessorRunsPage) -> ProcessorRunsPage:
        """Take a fetched page: check its cursor, apply the limit, move forward."""
        token = page.next_page_token or None
        if token is not None and len(token) > MAX_PAGE_TOKEN_LENGTH:
            raise APIResponseValidationError(
                f"The server returned a cursor of {len(token)} characters, more than the "
                f"{MAX_PAGE_TOKEN_LENGTH} that can be sent back; stopping."
            )
        if token is not None and token in self._seen:
            raise APIResponseValidationError(
                f"The server returned the cursor {token!r} a second time in one listing; "
                "stopping instead of looping forever."
            )
        if self.remaining is not None:
            if len(page.processor_runs) >= self.remaining:
                page = page.model_copy(
                    update={"processor_runs": page.processor_runs[: self.remaining]}
                )
                self.finished = True
            self.remaining -= len(page.processor_runs)
        if token is None:
            self.finished = True
        else:
            self._seen.add(token)
        self.next_page_token = token
        return page


class _PagerBase:
    def __init__(
        self,
        params: ListProcessorRunsParams,
        limit: Optional[int],
        progress: bool = False,
        plan: Optional[ListingPlan] = None,
    ) -> None:
        self._params = params
        self._limit = limit
        self._cursor = _Cursor(params, limit)
        self._progress = progress
        self._tally = _display.ListingTally()
        self._handing_out: Optional[list[ProcessorRunSummary]] = None
        """The runs of the page being iterated, dropped while the next page is parsed."""
        self._plan = plan
        self._merge: Optional[Merge] = None
        if plan is not None and plan.partition_by is not None:
            from ._partition import Merge

            self._merge = Merge(plan.lanes(params, limit), params, limit)

    def _retire(self) -> None:
        self._handing_out = None

    @contextmanager
    def _watching(self) -> Iterator[Callable[[ProcessorRunsPage], ProcessorRunsPage]]:
        """Around one pass over the pages: tally each page, and drive the progress bar.

        The bar is closed however the pass ends: done, an error, or the loop broken out of.
        """
        bar = ProgressBar(self._cursor.remaining) if self._progress else None

        def seen(page: ProcessorRunsPage) -> ProcessorRunsPage:
            self._tally.add(page)
            if bar is not None:
                bar.update(page)
            return page

        try:
            yield seen
        finally:
            if bar is not None:
                bar.close()

    @property
    def params(self) -> ListProcessorRunsParams:
        """The filters, sort and page size of this listing."""
        return self._params

    @property
    def limit(self) -> Optional[int]:
        """The most runs this listing yields, or ``None`` for all of them."""
        return self._limit

    @property
    def next_page_token(self) -> Optional[str]:
        """The cursor of the next page to fetch: pass it as ``next_page_token`` to resume.

        Before the first page it is the cursor the listing started from; after an error,
        the cursor of the page that failed; ``None`` once the last page has been read.
        When ``limit`` ends a listing early it is the cursor of the page after the last
        one read, so runs left on that last page past the limit are not covered by it.
        With ``prefetch=True`` it is still the first page you have not received, even
        while that page is already in flight.

        Raises:
            ValueError: for a partitioned listing, which has one cursor per partition
                (read :attr:`partition_tokens`).
        """
        if self._merge is not None:
            raise ValueError(
                "a partitioned listing has one cursor per partition: read partition_tokens"
            )
        return self._cursor.next_page_token

    @property
    def partition_tokens(self) -> Optional[dict[str, Optional[str]]]:
        """Where each partition of a partitioned listing stands; ``None`` if not partitioned.

        Maps each partition value not yet exhausted to the cursor to resume it from
        (``None``: from its first page). Pass it back as ``partition_tokens=`` with the
        same filters and ``partition_by`` to resume; finished partitions are left out, so
        ``{}`` means the listing is complete. A partition stopped midway through a page
        resumes from that page, so runs of it already yielded come again: nothing is lost,
        and ``run.id`` tells repeats apart.
        """
        return None if self._merge is None else self._merge.tokens()

    def _check_pages(self) -> None:
        if self._merge is not None:
            raise ValueError(
                "pages() is not available on a partitioned listing: its runs are merged "
                "across partitions, so iterate the pager itself"
            )

    def _workers(self) -> int:
        assert self._plan is not None
        return self._plan.max_concurrency if self._merge is not None else 1

    def _describe(self) -> dict[str, Any]:
        return {
            "name": type(self).__name__,
            "query": self._params.to_query(),
            "limit": self._limit,
            "next_page_token": None if self._merge is not None else self.next_page_token,
            "tally": self._tally,
            "finished": self._cursor.finished,
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
    pages. The pager is a cursor: iterating it again continues where the last
    iteration stopped (after an error, from the page that failed), and yields nothing
    once the listing is over.

    Example:
        >>> from extend_runs import Client
        >>> with Client() as client:
        ...     pager = client.list_processor_runs(status="FAILED", limit=3)
        ...     [str(run.status) for run in pager], pager.next_page_token is not None
        (['FAILED', 'FAILED', 'FAILED'], True)
    """

    def __init__(
        self,
        get_page: Callable[..., ProcessorRunsPage],
        params: ListProcessorRunsParams,
        limit: Optional[int],
        progress: bool = False,
        plan: Optional[ListingPlan] = None,
    ) -> None:
        super().__init__(params, limit, progress, plan)
        self._get_page = get_page

    def pages(self) -> Iterator[ProcessorRunsPage]:
        """Yield one :class:`ProcessorRunsPage` per request, until the listing is over.

        Raises:
            ValueError: on a partitioned listing, whose runs only exist merged.
        """
        self._check_pages()
        return self._pages()

    def _pages(self) -> Generator[ProcessorRunsPage, None, None]:
        with self._watching() as seen:
            if self._plan is None:
                while (query := self._cursor.next_query()) is not None:
                    yield seen(self._cursor.accept(self._get_page(query)))
                return
            from ._prefetch import Lane, SyncFetcher

            lane, fetcher = Lane(self._cursor), SyncFetcher(self._get_page, 1)
            try:
                while (page := fetcher.take(lane)) is not None:
                    yield seen(page)
            finally:
                fetcher.close([lane])

    def __iter__(self) -> Iterator[ProcessorRunSummary]:
        if self._merge is not None:
            return self._merged()
        return self._runs()

    def _runs(self) -> Iterator[ProcessorRunSummary]:
        pages = self._pages()
        try:
            for page in pages:
                # Held by the pager alone, so that the next request can drop it (_retire).
                self._handing_out = page.processor_runs
                del page
                yield from self._handing_out
        finally:
            self._handing_out = None
            pages.close()

    def _merged(self) -> Iterator[ProcessorRunSummary]:
        from functools import partial

        from ._pacing import Pacer
        from ._prefetch import SyncFetcher

        assert self._merge is not None
        merge = self._merge
        fetcher = SyncFetcher(partial(self._get_page, gate=Pacer()), self._workers())
        try:
            for each in merge.lanes:  # every partition's first page at once
                if not each.done:
                    fetcher.start(each)
            while True:
                while (lane := merge.wanted()) is not None:
                    fetcher.take(lane)
                batch = merge.batch()
                if batch is None:
                    return
                yield from batch
        finally:
            fetcher.close(merge.lanes)

    def to_pandas(self) -> pd.DataFrame:
        """Fetch the rest of the listing into a DataFrame, one page at a time.

        One row per run, columns as in :meth:`ProcessorRunsPage.to_pandas`. ``limit`` is
        honoured, and only plain column values are kept between pages, never every run
        object. Like iterating, it continues where the pager stands.

        Raises:
            ImportError: pandas is not installed (``pip install 'extend-runs[pandas]'``).

        Example:
            >>> def failures_by_processor(client: "Client") -> "pd.Series":
            ...     frame = client.list_processor_runs(status="FAILED").to_pandas()
            ...     return frame.groupby("processor_name", observed=True).size()
        """
        from ._dataframe import FrameBuilder, import_pandas

        import_pandas()
        return FrameBuilder().add_pages(self.pages()).frame()

    def to_dicts(self) -> list[dict[str, Any]]:
        """Fetch the rest of the listing as plain dicts, as :meth:`ProcessorRunsPage.to_dicts`."""
        from ._dataframe import run_to_dict

        return [run_to_dict(run) for run in self]


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

    def __init__(
        self,
        get_page: Callable[..., Awaitable[ProcessorRunsPage]],
        params: ListProcessorRunsParams,
        limit: Optional[int],
        progress: bool = False,
        plan: Optional[ListingPlan] = None,
    ) -> None:
        super().__init__(params, limit, progress, plan)
        self._get_page = get_page

    def pages(self) -> AsyncIterator[ProcessorRunsPage]:
        """Yield one :class:`ProcessorRunsPage` per request, until the listing is over.

        Raises:
            ValueError: on a partitioned listing, whose runs only exist merged.
        """
        self._check_pages()
        return self._pages()

    async def _pages(self) -> AsyncGenerator[ProcessorRunsPage, None]:
        with self._watching() as seen:
            if self._plan is None:
                while (query := self._cursor.next_query()) is not None:
                    yield seen(self._cursor.accept(await self._get_page(query)))
                return
            from ._prefetch import AsyncFetcher, Lane

            lane, fetcher = Lane(self._cursor), AsyncFetcher(self._get_page, 1)
            try:
                while (page := await fetcher.take(lane)) is not None:
                    yield seen(page)
            finally:
                await fetcher.close([lane])

    async def _runs(self) -> AsyncIterator[ProcessorRunSummary]:
        pages = self._pages()
        try:
            async for page in pages:
                self._handing_out = page.processor_runs  # as in the sync pager
                del page
                for run in self._handing_out:
                    yield run
        finally:
            self._handing_out = None
            await pages.aclose()

    async def _merged(self) -> AsyncIterator[ProcessorRunSummary]:
        from functools import partial

        from ._pacing import Pacer
        from ._prefetch import AsyncFetcher

        assert self._merge is not None
        merge = self._merge
        fetcher = AsyncFetcher(partial(self._get_page, gate=Pacer()), self._workers())
        try:
            for each in merge.lanes:  # every partition's first page at once
                if not each.done:
                    fetcher.start(each)
            while True:
                while (lane := merge.wanted()) is not None:
                    await fetcher.take(lane)
                batch = merge.batch()
                if batch is None:
                    return
                for run in batch:
                    yield run
        finally:
            await fetcher.close(merge.lanes)

    async def to_pandas(self) -> pd.DataFrame:
        """Fetch the rest of the listing into a DataFrame: ``await pager.to_pandas()``.

        The same as :meth:`ProcessorRunPager.to_pandas`, with requests awaited.

        Example:
            >>> async def failed_frame(client: "AsyncClient") -> "pd.DataFrame":
            ...     return await client.list_processor_runs(status="FAILED").to_pandas()
        """
        from ._dataframe import FrameBuilder, import_pandas

        import_pandas()
        return (await FrameBuilder().add_async_pages(self.pages())).frame()

    async def to_dicts(self) -> list[dict[str, Any]]:
        """Fetch the rest of the listing as plain dicts: ``await pager.to_dicts()``."""
        from ._dataframe import run_to_dict

        return [run_to_dict(run) async for run in self]

    def __aiter__(self) -> AsyncIterator[ProcessorRunSummary]:
        if self._merge is not None:
            return self._merged()
        return self._runs()
