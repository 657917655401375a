"""Watching for changes: polls that read only what is new, and each change handed out once.

A change is a run whose ``(id, updated_at)`` has not been handed out yet. :class:`WatchState`
(no I/O) keeps the newest ``updated_at`` handed out and the ids handed out at exactly that
moment (timestamps tie), decides which runs of a poll are changes, and hands them out
oldest first through a built-in list iterator, so where the caller stands is read off the
iterator, as in a listing. Each poll is a listing by ``updatedAt`` newest first with a
window starting at that newest moment: it reads only the pages holding changes, and a run
changed while a poll is under way is found by the next one (its ``updatedAt`` moves past
everything the poll saw). The two drivers below only wait and fetch.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from datetime import datetime
from itertools import islice
from operator import attrgetter, length_hint
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from ._checkpoint import WatchPoint, fingerprint
from ._constants import LOGGER_NAME
from ._exceptions import APIConnectionError, APIStatusError
from ._retry import is_retryable_status
from ._times import aware_time

if TYPE_CHECKING:
    import asyncio

    from ._models import ListProcessorRunsParams, ProcessorRunSummary

__all__ = ["AsyncProcessorRunWatcher", "ProcessorRunWatcher", "WatchState"]

logger = logging.getLogger(LOGGER_NAME)

_updated_at = attrgetter("updated_at")


class _Mark(NamedTuple):
    started: bool
    newest: Optional[datetime]
    """The newest ``updated_at`` handed out; ``None`` once started: every run is new."""
    ids: frozenset[str]
    """The runs handed out (or seen at the start) at exactly :attr:`newest`."""

    def is_change(self, run: ProcessorRunSummary) -> bool:
        newest = self.newest
        if newest is None:
            return True
        moment = run.updated_at
        return moment > newest or (moment == newest and run.id not in self.ids)

    def after(self, runs: Iterable[ProcessorRunSummary]) -> _Mark:
        """The mark once ``runs`` (oldest first) have been handed out too."""
        newest, ids, changed = self.newest, set(self.ids), False
        for run in runs:
            changed = True
            if newest is None or run.updated_at > newest:
                newest, ids = run.updated_at, {run.id}
            elif run.updated_at == newest:
                ids.add(run.id)
        return _Mark(True, newest, frozenset(ids)) if changed else self


class _Batch(NamedTuple):
    mark: _Mark
    """Where the watch stood before this batch."""
    changes: list[ProcessorRunSummary]
    iterator: Iterator[ProcessorRunSummary]

    def consumed(self) -> int:
        return len(self.changes) - _remaining(self.iterator)


def _remaining(iterator: Iterator[Any]) -> int:
    return length_hint(iterator)


class WatchState:
    """Where a watch stands and the changes of its last poll; written once, no I/O."""

    def __init__(
        self,
        params: ListProcessorRunsParams,
        since: Optional[datetime] = None,
        start: Optional[WatchPoint] = None,
    ) -> None:
        query = params.to_query()
        query.pop("maxPageSize", None)
        self.fingerprint = fingerprint({"watch": query})
        if start is not None and start.fingerprint != self.fingerprint:
            raise ValueError(
                "resume_from is a checkpoint of a different watch: resume with the same "
                "filters as the watch it came from"
            )
        if start is not None and start.started:
            newest = None if start.newest is None else aware_time("resume_from", start.newest)
            mark = _Mark(True, newest, frozenset(start.ids_at_newest))
        elif since is not None:
            mark = _Mark(True, since, frozenset())
        else:
            mark = _Mark(False, None, frozenset())
        self._batch = _Batch(mark, [], iter([]))

    @property
    def started(self) -> bool:
        return self._batch.mark.started

    def mark(self) -> _Mark:
        batch = self._batch
        return batch.mark.after(islice(batch.changes, batch.consumed()))

    def current(self) -> Iterator[ProcessorRunSummary]:
        """The iterator handing out the last poll's changes not handed out yet."""
        return self._batch.iterator

    def drained(self) -> bool:
        return _remaining(self._batch.iterator) == 0

    def poll_since(self) -> Optional[datetime]:
        """Where the next poll's window starts (``None``: list everything)."""
        return self.mark().newest

    def begin(self, newest: list[ProcessorRunSummary]) -> None:
        """The first poll of a fresh watch saw ``newest``: the runs at the newest moment."""
        top = newest[0].updated_at if newest else None
        ids = frozenset(run.id for run in newest if run.updated_at == top)
        self._batch = _Batch(_Mark(True, top, ids), [], iter([]))

    def take(self, runs: Iterable[ProcessorRunSummary]) -> None:
        """A poll's runs: keep the changes, oldest first, to hand out."""
        mark = self.mark()
        unique: dict[tuple[str, datetime], ProcessorRunSummary] = {}
        for run in runs:
            if mark.is_change(run):
                unique.setdefault((run.id, run.updated_at), run)
        changes = sorted(unique.values(), key=_updated_at)
        self._batch = _Batch(mark, changes, iter(changes))

    def checkpoint(self) -> str:
        mark = self.mark()
        newest = None if mark.newest is None else mark.newest.isoformat()
        return WatchPoint(self.fingerprint, mark.started, newest, tuple(sorted(mark.ids))).encode()


def is_transient(error: BaseException) -> bool:
    """Failures a watch outlives: no response, or a status worth trying again later."""
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and is_retryable_status(error.status_code)


def _warn(error: BaseException, interval: float) -> None:
    logger.warning("watch: a poll failed (%s); polling again in %.3g s", error, interval)


class _WatcherBase:
    def __init__(
        self,
        list_runs: Callable[..., Any],
        params: ListProcessorRunsParams,
        state: WatchState,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._list_runs = list_runs
        self._params = params
        self._state = state
        self._interval = interval
        self._clock = clock
        self._next_poll: Optional[float] = None
        self._closed = False

    @property
    def checkpoint(self) -> str:
        """Exactly how far you got: pass it back as ``resume_from=`` after a restart.

        Before the first poll it starts a fresh watch. Reading it sends no request.
        """
        return self._state.checkpoint()

    @property
    def interval(self) -> float:
        """Seconds between the starts of two polls."""
        return self._interval

    def _delay(self) -> float:
        """Seconds to wait before the next poll (zero for the first)."""
        if self._next_poll is None:
            return 0.0
        return max(0.0, self._next_poll - self._clock())

    def _poll_started(self) -> None:
        self._next_poll = self._clock() + self._interval

    def _listing(self, **window: Any) -> Any:
        return self._list_runs(params=self._params, **window)

    def __repr__(self) -> str:
        mark = self._state.mark()
        where = "not started" if not mark.started else f"newest={mark.newest}"
        return (
            f"{type(self).__name__}(params={self._params.to_query()!r}, "
            f"interval={self._interval!r}, {where}, closed={self._closed})"
        )


class ProcessorRunWatcher(_WatcherBase):
    """Every change to the runs of a listing, as it happens: ``for run in watcher``.

    Returned by :meth:`Client.watch_processor_runs`. Leaving the loop pauses the watch;
    iterating again continues with the next change. :meth:`close` ends it (from another
    thread too: a wait between polls ends at once).

    Example:
        >>> from itertools import islice
        >>> from extend_runs import Client
        >>> with Client() as client:
        ...     watcher = client.watch_processor_runs(since="2000-01-01T00:00:00Z", interval=5)
        ...     backlog = [run.id for run in islice(watcher, 3)]  # the oldest changes first
        ...     watcher.close()
        >>> len(backlog)
        3
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[ProcessorRunSummary]:
        return self._walk()

    def _walk(self) -> Iterator[ProcessorRunSummary]:
        state = self._state
        while not self._closed:
            yield from state.current()
            if self._stop.wait(self._delay()) or self._closed:
                return
            self._poll_started()
            try:
                if not state.started:
                    state.begin(_newest(self._listing()))
                else:
                    state.take(list(self._listing(updated_since=state.poll_since())))
            except Exception as error:
                if not is_transient(error):
                    raise
                _warn(error, self._interval)

    def close(self) -> None:
        """End the watch: the loop stops, now or at its next step."""
        self._closed = True
        self._stop.set()

    def __enter__(self) -> ProcessorRunWatcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncProcessorRunWatcher(_WatcherBase):
    """The async twin of :class:`ProcessorRunWatcher`, for ``async for``.

    Example:
        >>> import asyncio
        >>> from extend_runs import AsyncClient
        >>> async def first_changes() -> int:
        ...     async with AsyncClient() as client:
        ...         watcher = client.watch_processor_runs(since="2000-01-01T00:00:00Z")
        ...         seen = 0
        ...         async for _ in watcher:
        ...             seen += 1
        ...             if seen == 3:
        ...                 break
        ...         await watcher.aclose()
        ...         return seen
        >>> asyncio.run(first_changes())
        3
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The waits between polls under way, each with its event loop: a watcher may be
        # iterated from one asyncio.run() and then another, and closed from any loop.
        self._waits: dict[asyncio.Event, asyncio.AbstractEventLoop] = {}

    def __aiter__(self) -> AsyncIterator[ProcessorRunSummary]:
        return self._walk()

    async def _wait(self, delay: float) -> bool:
        """Wait ``delay`` seconds before the next poll; ``True`` if closed meanwhile."""
        import asyncio

        woken = asyncio.Event()  # made here, so it belongs to the loop that waits on it
        self._waits[woken] = asyncio.get_running_loop()
        try:
            if self._closed:  # checked once registered: aclose() sees it or it sees aclose()
                return True
            await asyncio.wait_for(woken.wait(), delay)
            return True
        except asyncio.TimeoutError:
            return self._closed
        finally:
            del self._waits[woken]

    async def _walk(self) -> AsyncIterator[ProcessorRunSummary]:
        state = self._state
        while not self._closed:
            for run in state.current():
                yield run
            if await self._wait(self._delay()):
                return
            self._poll_started()
            try:
                if not state.started:
                    state.begin(await _async_newest(self._listing()))
                else:
                    listing = self._listing(updated_since=state.poll_since())
                    state.take([run async for run in listing])
            except Exception as error:
                if not is_transient(error):
                    raise
                _warn(error, self._interval)

    async def aclose(self) -> None:
        """End the watch: the loop stops, now or at its next step (from any event loop)."""
        import asyncio

        self._closed = True
        running = asyncio.get_running_loop()
        for woken, loop in self._waits.copy().items():
            if loop is running:
                woken.set()
            else:
                with contextlib.suppress(RuntimeError):  # that loop has closed
                    loop.call_soon_threadsafe(woken.set)

    async def __aenter__(self) -> AsyncProcessorRunWatcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _newest(runs: Iterable[ProcessorRunSummary]) -> list[ProcessorRunSummary]:
    """The runs sharing the newest ``updated_at`` of a listing ordered newest first."""
    found: list[ProcessorRunSummary] = []
    for run in runs:
        if found and run.updated_at < found[0].updated_at:
            break
        found.append(run)
    return found


async def _async_newest(runs: AsyncIterable[ProcessorRunSummary]) -> list[ProcessorRunSummary]:
    found: list[ProcessorRunSummary] = []
    async for run in runs:
        if found and run.updated_at < found[0].updated_at:
            break
        found.append(run)
    return found
