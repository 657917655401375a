"""Fetching the pages a listing asks for: inline, on threads, or as tasks.

A fetcher does I/O and nothing else. It asks the listing for the cursor and query of a
lane's next page, sends the request, and hands the page back through ``receive``; the
listing decides whether the page is still wanted. Fetching ahead, each lane's next page
is requested as soon as its current one arrives, so it is ready (or on its way) when the
caller gets there; ``workers`` bounds the requests in flight. In ``"auto"`` mode a
fetcher starts inline and fetches ahead only while the network is what the caller waits
for (:class:`AutoAhead` decides).

Closing a fetcher abandons what is in flight without waiting for the page: a thread's
wait (backoff, pacing) ends at once and the connection whose body it reads is shut down;
a task is cancelled. Nothing is lost by it: a page counts only once the listing has
accepted it.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Literal, Optional, Union

from ._constants import AUTO_AHEAD_MARGIN, AUTO_AHEAD_RATIO
from ._stopping import StopSignal, bind_stop_signal

if TYPE_CHECKING:
    import asyncio

    from ._listing import Listing
    from ._models import ProcessorRunsPage

__all__ = ["Ahead", "AsyncFetcher", "AutoAhead", "FetchPlan", "SyncFetcher"]

Receive = Callable[[int, Optional[str], "ProcessorRunsPage", float], None]
"""Hands a lane's page, the cursor that fetched it and the seconds it took to the listing."""
Ahead = Union[bool, Literal["auto"], None]


@dataclass(frozen=True)
class FetchPlan:
    """How pages are fetched: how many at once, and whether ahead of the caller."""

    workers: int = 1
    """Requests in flight at most."""
    ahead: Ahead = None
    """Request each lane's next page while the caller works through the current one;
    ``"auto"``: only while that pays (see :class:`AutoAhead`); ``None``: the consumer's
    default (inline for a loop, ``"auto"`` for one that takes the whole listing)."""


class AutoAhead:
    """Decides when fetching ahead pays: the rule of ``prefetch="auto"``, without I/O.

    Fetching ahead overlaps the wait for the next page with the caller's work on the
    current one; with no wait to overlap, the second thread only adds hand-offs. So: turn
    it on once a request has taken noticeably longer (``AUTO_AHEAD_RATIO`` times, plus
    ``AUTO_AHEAD_MARGIN``) than the caller took over the page before; turn it off once a
    request takes less than the caller's time over a page, when there is nothing left
    to hide.
    """

    __slots__ = ("_clock", "_returned", "consumed", "on")

    def __init__(self, on: bool = False, clock: Callable[[], float] = time.perf_counter) -> None:
        self.on = on
        self._clock = clock
        self._returned: Optional[float] = None
        self.consumed = 0.0
        """Seconds the caller spent over the last page."""

    def caller_arrived(self) -> None:
        """The caller has used up its page and asks for the next."""
        if self._returned is not None:
            self.consumed = self._clock() - self._returned

    def caller_left(self) -> None:
        """The caller has its next page."""
        self._returned = self._clock()

    def request_took(self, seconds: float) -> None:
        """A request (sent inline or ahead) waited ``seconds`` on the network."""
        if self._returned is None:
            return  # the first page: nothing to compare with yet
        if not self.on:
            self.on = seconds > self.consumed * AUTO_AHEAD_RATIO + AUTO_AHEAD_MARGIN
        elif seconds < self.consumed:
            self.on = False


def _timed(get_page: Callable[[dict[str, Any]], ProcessorRunsPage]) -> Callable[..., Any]:
    def fetch(query: dict[str, Any]) -> tuple[ProcessorRunsPage, float]:
        started = time.perf_counter()
        page = get_page(query)
        return page, _waited(page, time.perf_counter() - started)

    return fetch


def _waited(page: ProcessorRunsPage, took: float) -> float:
    """The part of a fetch that fetching ahead can hide: the wait for the network, not
    the parse, which holds the GIL (or the event loop) wherever it runs. ``took``, the
    whole fetch, for a page that does not know."""
    from ._models import network_wait

    waited = network_wait(page)
    return took if waited is None else waited


class SyncFetcher:
    """Fetches in the caller's thread, or, ahead of it, on up to ``workers`` threads."""

    def __init__(
        self,
        get_page: Callable[[dict[str, Any]], ProcessorRunsPage],
        listing: Listing,
        receive: Receive,
        plan: FetchPlan,
    ) -> None:
        self._get_page = _timed(get_page)
        self._listing = listing
        self._receive = receive
        self._workers = plan.workers
        self._auto = AutoAhead(on=plan.ahead is True)
        self._adapts = plan.ahead == "auto"
        self._pending: dict[int, tuple[Optional[str], Future[tuple[ProcessorRunsPage, float]]]] = {}
        self._stop: Optional[StopSignal] = None
        self._executor: Optional[ThreadPoolExecutor] = None
        if self._auto.on:
            for lane in range(listing.lane_count):  # every partition's first page at once
                self._start(lane)

    def fetch(self, lanes: list[int]) -> None:
        """Get the next page of each of ``lanes`` into the listing."""
        auto = self._auto
        auto.caller_arrived()
        if auto.on:
            for lane in lanes:
                self._start(lane)
            self._start_idle()
        for lane in lanes:
            entry = self._pending.pop(lane, None)
            if entry is not None:
                token, (page, took) = entry[0], entry[1].result()
            else:
                request = self._listing.request(lane)
                if request is None:
                    continue
                token, (page, took) = request[0], self._get_page(request[1])
            if self._adapts:
                auto.request_took(took)
            self._receive(lane, token, page, took)
            if auto.on:
                self._start(lane)
        auto.caller_left()

    def _start_idle(self) -> None:
        """Fetch ahead for the lanes with nothing in flight: lanes the listing held back
        (``partition_by="auto"`` planning) or added since. After the wanted ones, so those
        come first."""
        for lane in range(self._listing.lane_count):
            if lane not in self._pending:
                self._start(lane)

    def _start(self, lane: int) -> None:
        request = self._listing.request(lane)
        entry = self._pending.get(lane)
        if entry is not None:
            if request is not None and entry[0] == request[0]:
                return  # already on its way
            entry[1].cancel()
            del self._pending[lane]
        if request is None:
            return
        if self._executor is None:
            self._stop = StopSignal()
            self._executor = ThreadPoolExecutor(
                max_workers=self._workers,
                thread_name_prefix="extend-runs-fetch",
                initializer=bind_stop_signal,
                initargs=(self._stop,),
            )
        self._pending[lane] = (request[0], self._executor.submit(self._get_page, request[1]))

    def close(self) -> None:
        """Abandon every request in flight, without waiting for any."""
        if self._stop is not None:
            self._stop.set()
        for _, future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._executor is not None:
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
        self._workers = plan.workers
        self._auto = AutoAhead(on=plan.ahead is True)
        self._adapts = plan.ahead == "auto"
        self._pending: dict[int, tuple[Optional[str], asyncio.Task[Any]]] = {}
        self._slots: Optional[asyncio.Semaphore] = None
        if self._auto.on:
            for lane in range(listing.lane_count):
                self._start(lane)

    async def fetch(self, lanes: list[int]) -> None:
        """Get the next page of each of ``lanes`` into the listing."""
        auto = self._auto
        auto.caller_arrived()
        if auto.on:
            for lane in lanes:
                self._start(lane)
            self._start_idle()
        for lane in lanes:
            entry = self._pending.pop(lane, None)
            if entry is not None:
                token, (page, took) = entry[0], await entry[1]
            else:
                request = self._listing.request(lane)
                if request is None:
                    continue
                token, (page, took) = request[0], await self._timed(request[1])
            if self._adapts:
                auto.request_took(took)
            self._receive(lane, token, page, took)
            if auto.on:
                self._start(lane)
        auto.caller_left()

    async def _timed(self, query: dict[str, Any]) -> tuple[ProcessorRunsPage, float]:
        started = time.perf_counter()
        page = await self._get_page(query)
        return page, _waited(page, time.perf_counter() - started)

    async def _limited(self, query: dict[str, Any]) -> tuple[ProcessorRunsPage, float]:
        assert self._slots is not None
        async with self._slots:
            return await self._timed(query)

    def _start_idle(self) -> None:
        """As :meth:`SyncFetcher._start_idle`."""
        for lane in range(self._listing.lane_count):
            if lane not in self._pending:
                self._start(lane)

    def _start(self, lane: int) -> None:
        import asyncio

        request = self._listing.request(lane)
        entry = self._pending.get(lane)
        if entry is not None:
            if request is not None and entry[0] == request[0]:
                return
            _abandon(entry[1])
            del self._pending[lane]
        if request is None:
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._workers)
        self._pending[lane] = (request[0], asyncio.ensure_future(self._limited(request[1])))

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
