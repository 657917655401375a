"""Fetching pages ahead of the caller: one request in flight per lane, at most.

A :class:`Lane` is one cursor walking one listing (the whole listing, or one partition of
it) plus the page it is handing out. A fetcher keeps the lane's next page in flight while
the caller works through the current one: :class:`SyncFetcher` on worker threads,
:class:`AsyncFetcher` as tasks on the running loop. Both accept a page into the lane's
cursor only when the caller reaches it, so ``next_page_token`` always names the first
page the caller has not received, and an error surfaces there, with the cursor still on
the page that failed. Closing a fetcher cancels what is in flight and waits for it.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from ._pacing import bind_stop_event

if TYPE_CHECKING:
    import asyncio

    from ._models import ProcessorRunsPage, ProcessorRunSummary
    from ._pagination import _Cursor

__all__ = ["AsyncFetcher", "Lane", "SyncFetcher"]


class Lane:
    """One cursor, its page in flight and the runs of the page it is handing out."""

    __slots__ = ("cursor", "label", "page_token", "pending", "position", "runs")

    def __init__(self, cursor: _Cursor, label: Optional[str] = None) -> None:
        self.cursor = cursor
        self.label = label
        """The partition's value, or ``None`` for a whole listing."""
        self.runs: list[ProcessorRunSummary] = []
        self.position = 0
        """How many of :attr:`runs` were handed out."""
        self.page_token: Optional[str] = cursor.next_page_token
        """The cursor that fetched :attr:`runs`: where to resume while some are left."""
        self.pending: Any = None
        """The request in flight (a future or a task), if any."""

    def receive(self, page: ProcessorRunsPage) -> ProcessorRunsPage:
        """The caller reached ``page``: move the cursor past it and hand out its runs."""
        token = self.cursor.next_page_token
        page = self.cursor.accept(page)
        self.page_token = token
        self.runs = page.processor_runs
        self.position = 0
        return page

    @property
    def resume_token(self) -> Optional[str]:
        """The cursor of the first page holding runs this lane has not handed out."""
        return self.page_token if self.position < len(self.runs) else self.cursor.next_page_token

    @property
    def done(self) -> bool:
        """Every run of this lane has been handed out, and the server has no more."""
        return (
            self.cursor.finished
            and self.cursor.next_page_token is None
            and self.position >= len(self.runs)
        )


class SyncFetcher:
    """Fetches lanes' next pages on up to ``workers`` threads.

    Waits in the workers (retry backoff, pacing) end at once when the fetcher is closed;
    a request already on the wire is waited for, bounded by the client's timeout.
    """

    def __init__(self, get_page: Callable[[dict[str, Any]], ProcessorRunsPage], workers: int):
        self._get_page = get_page
        self._stop = threading.Event()
        self._executor = ThreadPoolExecutor(
            max_workers=workers,
            thread_name_prefix="extend-runs-prefetch",
            initializer=bind_stop_event,
            initargs=(self._stop,),
        )

    def start(self, lane: Lane) -> None:
        """Put the lane's next page in flight, unless it is already or the lane is over."""
        if lane.pending is None and (query := lane.cursor.next_query()) is not None:
            lane.pending = self._executor.submit(self._get_page, query)

    def take(self, lane: Lane) -> Optional[ProcessorRunsPage]:
        """The lane's next page, once it arrives (``None`` when the lane is over)."""
        self.start(lane)
        future: Optional[Future[ProcessorRunsPage]] = lane.pending
        if future is None:
            return None
        try:
            page = lane.receive(future.result())
        finally:
            lane.pending = None
        self.start(lane)
        return page

    def close(self, lanes: list[Lane]) -> None:
        """Cancel every page in flight and wait for the worker threads to end."""
        self._stop.set()
        for lane in lanes:
            if lane.pending is not None:
                lane.pending.cancel()
                lane.pending = None
        self._executor.shutdown(wait=True)


class AsyncFetcher:
    """Fetches lanes' next pages as tasks, at most ``workers`` requests at a time."""

    def __init__(
        self, get_page: Callable[[dict[str, Any]], Awaitable[ProcessorRunsPage]], workers: int
    ):
        import asyncio

        self._get_page = get_page
        self._slots = asyncio.Semaphore(workers)
        self._spawn = asyncio.ensure_future
        self._sleep = asyncio.sleep

    async def _fetch(self, query: dict[str, Any]) -> ProcessorRunsPage:
        async with self._slots:
            return await self._get_page(query)

    def start(self, lane: Lane) -> None:
        """Put the lane's next page in flight, unless it is already or the lane is over."""
        if lane.pending is None and (query := lane.cursor.next_query()) is not None:
            lane.pending = self._spawn(self._fetch(query))

    async def take(self, lane: Lane) -> Optional[ProcessorRunsPage]:
        """The lane's next page, once it arrives (``None`` when the lane is over)."""
        self.start(lane)
        task: Optional[asyncio.Task[ProcessorRunsPage]] = lane.pending
        if task is None:
            return None
        try:
            page = lane.receive(await task)
        finally:
            lane.pending = None
        self.start(lane)
        if lane.pending is not None:
            await self._sleep(0)  # let the new task put its request on the wire now
        return page

    async def close(self, lanes: list[Lane]) -> None:
        """Cancel every page in flight and wait until each task has ended."""
        import asyncio

        tasks = [lane.pending for lane in lanes if lane.pending is not None]
        for lane in lanes:
            lane.pending = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
