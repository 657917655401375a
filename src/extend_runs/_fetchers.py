"""Fetching the pages a listing asks for: inline, on threads, or as tasks.

A fetcher does I/O and nothing else. It asks the listing for the cursor and query of a
lane's next page, sends the request, and hands the page back through ``receive``; the
listing decides whether the page is still wanted. With ``ahead``, each lane's next page
is requested as soon as its current one arrives, so it is ready (or on its way) when the
caller gets there; ``workers`` bounds the requests in flight.

Closing a fetcher abandons what is in flight without waiting for the page: a thread's
wait (backoff, pacing) ends at once and the connection whose body it reads is shut down;
a task is cancelled. Nothing is lost by it: a page counts only once the listing has
accepted it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from ._stopping import StopSignal, bind_stop_signal

if TYPE_CHECKING:
    import asyncio

    from ._listing import Listing
    from ._models import ProcessorRunsPage

__all__ = ["AsyncFetcher", "FetchPlan", "SyncFetcher"]

Receive = Callable[[int, Optional[str], "ProcessorRunsPage"], None]


@dataclass(frozen=True)
class FetchPlan:
    """How pages are fetched: how many at once, and whether ahead of the caller."""

    workers: int = 1
    """Requests in flight at most."""
    ahead: bool = False
    """Request each lane's next page while the caller works through the current one."""


class SyncFetcher:
    """Fetches in the caller's thread, or, ahead of it, on up to ``workers`` threads."""

    def __init__(
        self,
        get_page: Callable[[dict[str, Any]], ProcessorRunsPage],
        listing: Listing,
        receive: Receive,
        plan: FetchPlan,
    ) -> None:
        self._get_page = get_page
        self._listing = listing
        self._receive = receive
        self._ahead = plan.ahead
        self._pending: dict[int, tuple[Optional[str], Future[ProcessorRunsPage]]] = {}
        self._stop: Optional[StopSignal] = None
        self._executor: Optional[ThreadPoolExecutor] = None
        if plan.ahead:
            self._stop = StopSignal()
            self._executor = ThreadPoolExecutor(
                max_workers=plan.workers,
                thread_name_prefix="extend-runs-fetch",
                initializer=bind_stop_signal,
                initargs=(self._stop,),
            )
            for lane in range(listing.lane_count):  # every partition's first page at once
                self._start(lane)

    def fetch(self, lanes: list[int]) -> None:
        """Get the next page of each of ``lanes`` into the listing."""
        if self._executor is None:
            for lane in lanes:
                request = self._listing.request(lane)
                if request is not None:
                    self._receive(lane, request[0], self._get_page(request[1]))
            return
        for lane in lanes:
            self._start(lane)
        for lane in lanes:
            entry = self._pending.get(lane)
            if entry is None:
                continue
            page = entry[1].result()
            del self._pending[lane]
            self._receive(lane, entry[0], page)
            self._start(lane)

    def _start(self, lane: int) -> None:
        assert self._executor is not None
        request = self._listing.request(lane)
        entry = self._pending.get(lane)
        if entry is not None:
            if request is not None and entry[0] == request[0]:
                return  # already on its way
            entry[1].cancel()
            del self._pending[lane]
        if request is not None:
            self._pending[lane] = (request[0], self._executor.submit(self._get_page, request[1]))

    def close(self) -> None:
        """Abandon every request in flight, without waiting for any."""
        if self._executor is None:
            return
        assert self._stop is not None
        self._stop.set()
        for _, future in self._pending.values():
            future.cancel()
        self._pending.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)


class AsyncFetcher:
    """Fetches in the caller's task, or, ahead of it, as tasks (``workers`` at a time)."""

    def __init__(
        self,
        get_page: Callable[[dict[str, Any]], Awaitable[ProcessorRunsPage]],
        listing: Listing,
        receive: Receive,
        plan: FetchPlan,
    ) -> None:
        self._get_page = get_page
        self._listing = listing
        self._receive = receive
        self._ahead = plan.ahead
        self._pending: dict[int, tuple[Optional[str], asyncio.Task[ProcessorRunsPage]]] = {}
        self._slots: Optional[asyncio.Semaphore] = None
        if plan.ahead:
            import asyncio

            self._slots = asyncio.Semaphore(plan.workers)
            for lane in range(listing.lane_count):
                self._start(lane)

    async def fetch(self, lanes: list[int]) -> None:
        """Get the next page of each of ``lanes`` into the listing."""
        if self._slots is None:
            for lane in lanes:
                request = self._listing.request(lane)
                if request is not None:
                    self._receive(lane, request[0], await self._get_page(request[1]))
            return
        for lane in lanes:
            self._start(lane)
        for lane in lanes:
            entry = self._pending.get(lane)
            if entry is None:
                continue
            page = await entry[1]
            del self._pending[lane]
            self._receive(lane, entry[0], page)
            self._start(lane)

    async def _limited(self, query: dict[str, Any]) -> ProcessorRunsPage:
        assert self._slots is not None
        async with self._slots:
            return await self._get_page(query)

    def _start(self, lane: int) -> None:
        import asyncio

        request = self._listing.request(lane)
        entry = self._pending.get(lane)
        if entry is not None:
            if request is not None and entry[0] == request[0]:
                return
            _abandon(entry[1])
            del self._pending[lane]
        if request is not None:
            task = asyncio.ensure_future(self._limited(request[1]))
            self._pending[lane] = (request[0], task)

    async def aclose(self) -> None:
        """Cancel every request in flight; wait only for the cancellations to take effect."""
        import asyncio

        tasks = [task for _, task in self._pending.values()]
        self._pending.clear()
        for task in tasks:
            _abandon(task)
        if tasks:
            await asyncio.wait(tasks)


def _abandon(task: asyncio.Task[Any]) -> None:
    task.cancel()
    task.add_done_callback(_retrieve)


def _retrieve(task: asyncio.Task[Any]) -> None:
    # An abandoned request's outcome is nobody's business; fetch it so asyncio does not
    # report an exception that was never retrieved.
    if not task.cancelled():
        task.exception()
