"""Walking a listing page by page: cursor bookkeeping written once, two thin drivers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any, Callable, Optional

from ._exceptions import APIResponseValidationError
from ._models import ListProcessorRunsParams, ProcessorRunsPage, ProcessorRunSummary

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
    def __init__(self, params: ListProcessorRunsParams, limit: Optional[int]) -> None:
        self._params = params
        self._limit = limit
        self._cursor = _Cursor(params, limit)

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
        """
        return self._cursor.next_page_token

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(params={self._params.to_query()!r}, limit={self._limit!r}, "
            f"next_page_token={self.next_page_token!r})"
        )


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
        get_page: Callable[[dict[str, Any]], ProcessorRunsPage],
        params: ListProcessorRunsParams,
        limit: Optional[int],
    ) -> None:
        super().__init__(params, limit)
        self._get_page = get_page

    def pages(self) -> Iterator[ProcessorRunsPage]:
        """Yield one :class:`ProcessorRunsPage` per request, until the listing is over."""
        while (query := self._cursor.next_query()) is not None:
            yield self._cursor.accept(self._get_page(query))

    def __iter__(self) -> Iterator[ProcessorRunSummary]:
        for page in self.pages():
            yield from page.processor_runs


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
        get_page: Callable[[dict[str, Any]], Awaitable[ProcessorRunsPage]],
        params: ListProcessorRunsParams,
        limit: Optional[int],
    ) -> None:
        super().__init__(params, limit)
        self._get_page = get_page

    async def pages(self) -> AsyncIterator[ProcessorRunsPage]:
        """Yield one :class:`ProcessorRunsPage` per request, until the listing is over."""
        while (query := self._cursor.next_query()) is not None:
            yield self._cursor.accept(await self._get_page(query))

    async def _runs(self) -> AsyncIterator[ProcessorRunSummary]:
        async for page in self.pages():
            for run in page.processor_runs:
                yield run

    def __aiter__(self) -> AsyncIterator[ProcessorRunSummary]:
        return self._runs()
