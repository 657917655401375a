"""The listing engine: every decision about one listing, written once and free of I/O.

A :class:`Listing` knows, for each partition ("lane") of a listing (a plain listing has
one), the page it is on, how many of that page's runs have gone into hand-outs, and the
cursor of its next page. It says which lanes need their next page (:meth:`Listing.wanted`),
takes pages in (:meth:`Listing.accept`), and forms the next hand-out (:meth:`Listing.advance`):
a plain listing's page as it came, or the runs of several partitions merged in the
requested order. The drivers in ``_pagination`` only fetch what it asks for.

Two rules make a listing lossless however it is interrupted:

- Every change of state is one assignment of a new immutable :class:`_State`, so an
  interrupt (``KeyboardInterrupt``, a cancelled task, an error) leaves the old state or the
  new one, never half of each.
- Runs reach the caller through a built-in list iterator stored in the state. It advances
  and hands out one run in a single C step, so "how many runs the caller has" is read off
  it and cannot drift from what the caller really received.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_right
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, product
from operator import attrgetter, ge, le, length_hint
from typing import TYPE_CHECKING, Any, Callable, Literal, NamedTuple, Optional, Union, cast

from ._checkpoint import Checkpoint, LanePosition, fingerprint
from ._constants import MAX_PAGE_SIZE, MAX_PAGE_TOKEN_LENGTH
from ._exceptions import APIResponseValidationError
from ._models import (
    ListProcessorRunsParams,
    ProcessorRunSource,
    ProcessorRunStatus,
    ProcessorType,
    SortBy,
    SortDir,
)

if TYPE_CHECKING:
    from datetime import datetime

    from ._models import ProcessorRunsPage, ProcessorRunSummary

__all__ = ["PARTITION_FIELDS", "Listing", "ListingSpec", "Window"]

PARTITION_FIELDS: dict[str, tuple[str, Any]] = {
    "status": ("status", ProcessorRunStatus),
    "processor_type": ("processorType", ProcessorType),
    "source": ("source", ProcessorRunSource),
}
"""The fields a listing can be partitioned by: their wire name and the enum of their values."""

HandoutKind = Literal["runs", "page", "chunk"]
"""How the caller takes runs: one by one, as whole pages, or as lists of what is loaded."""
PartitionLabel = Union[str, tuple[str, ...], None]


@dataclass(frozen=True)
class Window:
    """A half-open time window ``since <= t < before`` on one timestamp field."""

    field: Literal["created_at", "updated_at"]
    since: Optional[datetime] = None
    before: Optional[datetime] = None

    def identity(self) -> dict[str, Optional[str]]:
        return {
            "field": self.field,
            "since": None if self.since is None else self.since.isoformat(),
            "before": None if self.before is None else self.before.isoformat(),
        }


@dataclass(frozen=True)
class ListingSpec:
    """What one listing lists: filters, sort, partitions, limit and window. Validated."""

    params: ListProcessorRunsParams
    partition_by: tuple[str, ...] = ()
    limit: Optional[int] = None
    window: Optional[Window] = None

    @property
    def sort_field(self) -> str:
        """The run attribute the listing is ordered by."""
        return "created_at" if self.params.sort_by is SortBy.CREATED_AT else "updated_at"

    @property
    def descending(self) -> bool:
        return self.params.sort_dir is not SortDir.ASC

    def base_query(self) -> dict[str, Any]:
        """The query every page shares (no cursor, no partition values)."""
        query = self.params.to_query()
        query.pop("nextPageToken", None)
        return query

    def fingerprint(self) -> str:
        """A digest of the filters, sort, partitioning and window (not page size or limit)."""
        query = self.base_query()
        query.pop("maxPageSize", None)
        query.setdefault("sortBy", SortBy.UPDATED_AT.value)
        query.setdefault("sortDir", SortDir.DESC.value)
        window = None if self.window is None else self.window.identity()
        return fingerprint(
            {"query": query, "partition_by": list(self.partition_by), "window": window}
        )

    def lanes(self) -> list[tuple[PartitionLabel, dict[str, Any]]]:
        """Each partition's label and the filters that select it (one unlabelled lane if none)."""
        if not self.partition_by:
            return [(None, {})]
        fields = [PARTITION_FIELDS[name] for name in self.partition_by]
        lanes: list[tuple[PartitionLabel, dict[str, Any]]] = []
        for values in product(*([member.value for member in enum] for _, enum in fields)):
            label: PartitionLabel = values[0] if len(values) == 1 else tuple(values)
            lanes.append((label, {wire: value for (wire, _), value in zip(fields, values)}))
        return lanes


class _Lane(NamedTuple):
    """One partition's place in its listing. Immutable: the engine replaces it whole."""

    page: Optional[ProcessorRunsPage]
    """The page being handed out, or ``None`` before the first one."""
    token: Optional[str]
    """The cursor that fetched :attr:`page` (or will fetch the first page)."""
    batched: int
    """Runs of the page already moved into hand-outs, or skipped."""
    end: int
    """Runs of the page inside the listing; those after it are past the window."""
    next_token: Optional[str]
    """The cursor of the page after :attr:`page`."""
    finished: bool
    """No page comes after :attr:`page`."""
    skip: int
    """Runs still to skip from the next page fetched (resuming a checkpoint)."""
    number: int
    """How many pages this lane has taken in (numbers the cursors it has seen)."""
    last_key: Any
    """The order key of this lane's last run so far, to check the next page against."""

    @property
    def fetch_token(self) -> Optional[str]:
        return self.token if self.page is None else self.next_token


class _Handout:
    """What the caller is being handed: runs (or one whole page) and how far it got.

    ``items`` is handed out through ``iterator``, a built-in list iterator, so the number
    handed out is ``len(items) - length_hint(iterator)`` at any moment.
    """

    __slots__ = ("base", "items", "iterator", "kind", "lane_ranges", "order", "page", "weight")

    def __init__(
        self,
        items: list[Any],
        kind: HandoutKind,
        base: int,
        *,
        page: Optional[ProcessorRunsPage] = None,
        order: Optional[list[int]] = None,
        lane_ranges: Sequence[tuple[int, int]] = (),
        consumed: int = 0,
    ) -> None:
        self.items = items
        self.kind: HandoutKind = kind
        self.base = base
        """Runs handed out before this hand-out, in the listing and its earlier runs."""
        self.page = page
        """For a single lane: the page the items come from."""
        self.weight = len(page.processor_runs) if kind == "page" and page is not None else 1
        self.order = order
        """For a merge: the index into the lanes' concatenated runs of each item."""
        self.lane_ranges = lane_ranges
        """For a merge: each lane's slice of the concatenated runs."""
        self.iterator = _positioned(items, consumed)

    def consumed(self) -> int:
        return len(self.items) - length_hint(self.iterator)

    def handed_out(self) -> int:
        """Runs handed out in all, this hand-out included."""
        return self.base + self.consumed() * self.weight

    def exhausted(self) -> bool:
        return length_hint(self.iterator) == 0

    def undelivered(self, lanes: int) -> list[int]:
        """Per lane, how many of its runs in this hand-out the caller does not have yet."""
        left = [0] * lanes
        consumed = self.consumed()
        if consumed >= len(self.items):
            return left
        if self.order is None:  # a single lane (or a single contributing lane)
            owner = next(i for i, (start, stop) in enumerate(self.lane_ranges) if stop > start)
            left[owner] = (len(self.items) - consumed) * self.weight
            return left
        starts = [start for start, _ in self.lane_ranges]
        for index in islice(self.order, consumed, None):
            left[_owner(starts, index)] += 1
        return left

    def rewound(self, consumed: int) -> _Handout:
        """The same hand-out, with only the first ``consumed`` items handed out."""
        return _Handout(
            self.items,
            self.kind,
            self.base,
            page=self.page,
            order=self.order,
            lane_ranges=self.lane_ranges,
            consumed=consumed,
        )


class _State(NamedTuple):
    lanes: tuple[_Lane, ...]
    handout: _Handout


class Listing:
    """The state machine of one listing: what to fetch, what to hand out, where it stands.

    Args:
        spec: what is listed.
        start: where to start: a decoded checkpoint, or ``None`` for the beginning (the
            params' ``next_page_token`` for a plain listing).
        secret: the API key, redacted from the cursors this listing's errors quote.
    """

    def __init__(
        self,
        spec: ListingSpec,
        start: Optional[Checkpoint] = None,
        *,
        secret: Optional[str] = None,
    ) -> None:
        self.spec = spec
        self._secret = secret
        self.fingerprint = spec.fingerprint()
        lanes = spec.lanes()
        self.labels: list[PartitionLabel] = [label for label, _ in lanes]
        handed_out = 0 if start is None else start.handed_out
        self._remaining_at_start = None if spec.limit is None else spec.limit - handed_out
        base = spec.base_query()
        if self._remaining_at_start is not None and spec.params.max_page_size is None:
            # Ask for no more runs a page than the limit still needs (up to the API's most).
            base["maxPageSize"] = max(1, min(self._remaining_at_start, MAX_PAGE_SIZE))
        self._queries = [{**base, **values} for _, values in lanes]
        positions: Sequence[LanePosition]
        if start is None:
            positions = [(spec.params.next_page_token, 0)] * len(lanes)
        else:
            positions = start.lanes
        self._key: Callable[[ProcessorRunSummary], Any] = attrgetter(spec.sort_field)
        self._descending = spec.descending
        self._checks_order = len(lanes) > 1 or spec.window is not None
        self._seen: list[dict[str, int]] = [{} for _ in lanes]
        """Per lane, each cursor seen and the number of the page it fetches."""
        initial: list[_Lane] = []
        for index, position in enumerate(positions):
            if position is None:
                initial.append(_Lane(None, None, 0, 0, None, True, 0, 0, None))
                continue
            token, skip = position
            if token is not None:
                self._seen[index][token] = 1
            initial.append(_Lane(None, token, 0, 0, token, False, skip, 0, None))
        ranges = [(0, 0)] * len(lanes)
        self._state = _State(tuple(initial), _Handout([], "runs", handed_out, lane_ranges=ranges))

    # -- what the drivers ask --------------------------------------------------------

    @property
    def lane_count(self) -> int:
        return len(self.labels)

    def request(self, lane: int) -> Optional[tuple[Optional[str], dict[str, Any]]]:
        """The cursor and query of the lane's next page, or ``None`` if it has none."""
        state = self._state
        current = state.lanes[lane]
        if current.finished:
            return None
        limit = self.spec.limit
        if limit is not None:
            # A lane holding as many runs not yet handed out as the limit still allows
            # needs no further page: any later run of it would come after all of those.
            remaining = limit - state.handout.handed_out()
            loaded = current.end - current.batched
            loaded += state.handout.undelivered(len(state.lanes))[lane]
            if loaded >= remaining:
                return None
        token = current.fetch_token
        query = self._queries[lane]
        return token, (query if token is None else {**query, "nextPageToken": token})

    def wanted(self) -> list[int]:
        """The lanes whose next page must arrive before the next hand-out can be formed."""
        state = self._state
        if not state.handout.exhausted() or self._limit_reached():
            return []
        return [
            index
            for index, lane in enumerate(state.lanes)
            if lane.batched >= lane.end and not lane.finished
        ]

    def current(self, kind: HandoutKind) -> Iterator[Any]:
        """The iterator handing out the current runs (for ``"page"``, the current page).

        ``"chunk"`` hands out the runs not handed out yet as one list, and counts them as
        handed out before the caller has them: only for use inside :meth:`transaction`.
        """
        state = self._state
        handout = state.handout
        wanted = "runs" if kind == "chunk" else kind
        if handout.kind != wanted and not handout.exhausted():
            previous, handout = handout.iterator, self._converted(handout, wanted)
            self._state = state._replace(handout=handout)
            # A loop still holding the previous iterator must not hand out these runs again.
            deque(previous, maxlen=0)
        if kind == "chunk":
            rest = list(handout.iterator)
            return iter([rest] if rest else [])
        return handout.iterator

    @property
    def finished(self) -> bool:
        """Every run has been handed out (or ``limit`` reached): nothing more will come."""
        state = self._state
        if not state.handout.exhausted():
            return False
        return self._limit_reached() or all(
            lane.finished and lane.batched >= lane.end for lane in state.lanes
        )

    def room(self) -> Optional[int]:
        """How many more runs a limit lets in beyond those handed out or loaded; ``None``: all."""
        limit = self.spec.limit
        if limit is None:
            return None
        state = self._state
        loaded = sum(lane.end - lane.batched for lane in state.lanes)
        loaded += (len(state.handout.items) - state.handout.consumed()) * state.handout.weight
        return max(0, limit - state.handout.handed_out() - loaded)

    def handed_out(self) -> int:
        """Runs handed out in all, including before a resumption."""
        return self._state.handout.handed_out()

    @property
    def next_page_token(self) -> Optional[str]:
        """A single lane's next cursor (``None`` once it has no next page)."""
        lane = self._state.lanes[0]
        return None if lane.finished else lane.fetch_token

    def prefer_page_size(self, size: int) -> None:
        """Ask for ``size`` runs a page from now on, unless the caller chose a page size."""
        if self.spec.params.max_page_size is None and self.spec.limit is None:
            self._queries = [{**query, "maxPageSize": size} for query in self._queries]

    # -- changes of state ------------------------------------------------------------

    def accept(self, lane: int, token: Optional[str], page: ProcessorRunsPage) -> bool:
        """Take in the lane's next page, fetched with ``token``.

        Returns ``False`` (and changes nothing) for a page the lane no longer waits for.

        Raises:
            APIResponseValidationError: the page repeats a cursor, carries one too long
                to send back, or (for a merge or window) is out of the requested order.
        """
        state = self._state
        current = state.lanes[lane]
        if current.finished or current.batched < current.end or token != current.fetch_token:
            return False
        runs = page.processor_runs
        next_token = page.next_page_token or None
        number = current.number + 1
        if next_token is not None:
            if len(next_token) > MAX_PAGE_TOKEN_LENGTH:
                raise APIResponseValidationError(
                    f"The server returned a cursor of {len(next_token)} characters, more than "
                    f"the {MAX_PAGE_TOKEN_LENGTH} that can be sent back; stopping."
                )
            if self._seen[lane].setdefault(next_token, number + 1) <= number:
                # The sender refuses a cursor holding a key long enough to look for; a
                # shorter key may still be in it, so the message redacts it too.
                raise APIResponseValidationError(
                    f"The server returned the cursor {next_token!r} a second time in one "
                    "listing; stopping instead of looping forever.",
                    secret=self._secret,
                )
        last_key = current.last_key
        if self._checks_order and runs:
            last_key = self._check_order(lane, runs, last_key)
        skipped = min(current.skip, len(runs))
        begin, end, crossed = skipped, len(runs), False
        if self.spec.window is not None and runs:
            begin, end, crossed = self._window(runs, skipped)
        replaced = _Lane(
            page,
            token,
            begin,
            end,
            next_token,
            next_token is None or crossed,
            current.skip - skipped,
            number,
            last_key,
        )
        self._state = state._replace(
            lanes=(*state.lanes[:lane], replaced, *state.lanes[lane + 1 :])
        )
        return True

    def advance(self, kind: HandoutKind) -> bool:
        """Form the next hand-out once :meth:`wanted` is empty; ``False`` when it is over.

        While the current hand-out still has runs (another loop over the same pager is
        handing them out), it stays, and this returns ``True``.
        """
        state = self._state
        if not state.handout.exhausted():
            # Another loop over the same pager formed this hand-out and is handing it out:
            # share it rather than replace it.
            return True
        handed_out = state.handout.handed_out()
        remaining = None if self.spec.limit is None else self.spec.limit - handed_out
        if remaining is not None and remaining <= 0:
            return False
        if len(state.lanes) == 1:
            return self._advance_single(state, remaining, kind, handed_out)
        return self._advance_merge(state, remaining, handed_out)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo everything handed out inside the block if it ends with an exception.

        For consumers that hand nothing to the caller until they are done
        (``to_pandas()``): interrupted, the listing stands where it stood before.
        """
        state = self._state
        consumed = state.handout.consumed()
        try:
            yield
        except BaseException:
            self._state = state._replace(handout=state.handout.rewound(consumed))
            raise

    # -- where the listing stands ----------------------------------------------------

    def positions(self) -> tuple[LanePosition, ...]:
        """Per lane: the cursor of its page and the runs of it consumed; ``None`` if done."""
        state = self._state
        undelivered = state.handout.undelivered(len(state.lanes))
        positions: list[LanePosition] = []
        for lane, left in zip(state.lanes, undelivered):
            if lane.page is None:
                positions.append(None if lane.finished else (lane.token, lane.skip))
                continue
            consumed = lane.batched - left
            if consumed < lane.end:
                positions.append((lane.token, consumed))
            elif lane.finished:
                positions.append(None)
            else:
                positions.append((lane.next_token, lane.skip))
        return tuple(positions)

    def checkpoint(self) -> str:
        state = self._state
        positions = self.positions()
        return Checkpoint(self.fingerprint, state.handout.handed_out(), positions).encode()

    # -- the decisions, in detail ----------------------------------------------------

    def _limit_reached(self) -> bool:
        limit = self.spec.limit
        return limit is not None and self._state.handout.handed_out() >= limit

    def _check_order(self, lane: int, runs: list[ProcessorRunSummary], last_key: Any) -> Any:
        keys = list(map(self._key, runs))
        if last_key is not None:
            keys.insert(0, last_key)
        compare = ge if self._descending else le
        if not all(map(compare, keys, islice(keys, 1, None))):
            direction = "descending" if self._descending else "ascending"
            raise APIResponseValidationError(
                f"The server returned the runs of partition {self.labels[lane]!r} out of "
                f"{direction} {self.spec.sort_field} order, so they cannot be merged "
                "without losing runs; stopping."
            )
        return keys[-1]

    def _window(self, runs: list[ProcessorRunSummary], skipped: int) -> tuple[int, int, bool]:
        """The runs of a page inside the window: ``(begin, end, crossed the far edge)``."""
        window = self.spec.window
        assert window is not None
        key, descending = self._key, self._descending
        near, far = (window.before, window.since) if descending else (window.since, window.before)
        begin = skipped
        if near is not None:
            # Runs before the near edge are skipped; they count as consumed.
            if descending:
                begin = max(begin, _first(runs, key, lambda t: t < near))
            else:
                begin = max(begin, _first(runs, key, lambda t: t >= near))
        end = len(runs)
        if far is not None:
            if descending:
                end = _first(runs, key, lambda t: t < far)
            else:
                end = _first(runs, key, lambda t: t >= far)
        return min(begin, end), end, end < len(runs)

    def _advance_single(
        self, state: _State, remaining: Optional[int], kind: HandoutKind, handed_out: int
    ) -> bool:
        lane = state.lanes[0]
        if lane.page is None or lane.batched >= lane.end:
            return False
        start, stop = lane.batched, lane.end
        if remaining is not None:
            stop = min(stop, start + remaining)
        page = lane.page
        runs = page.processor_runs
        chunk = runs if start == 0 and stop == len(runs) else runs[start:stop]
        if kind == "page":
            if chunk is not runs:
                page = page.model_copy(update={"processor_runs": chunk})
            handout = _Handout([page], "page", handed_out, page=page, lane_ranges=[(0, 1)])
        else:
            handout = _Handout(chunk, "runs", handed_out, page=page, lane_ranges=[(0, 1)])
        self._state = _State((lane._replace(batched=stop),), handout)
        return True

    def _advance_merge(self, state: _State, remaining: Optional[int], handed_out: int) -> bool:
        key, descending = self._key, self._descending
        lanes = state.lanes
        # A lane with pages to come can still bring runs as late as its last loaded one
        # (ties included), so every loaded run ordered no later than the latest of those
        # last runs is final: that is the batch. Equal keys may come later too, which is
        # fine: ties may be in any order.
        last = [
            key(lane.page.processor_runs[lane.end - 1])
            for lane in lanes
            if not lane.finished and lane.page is not None
        ]
        bound = (max(last) if descending else min(last)) if last else None
        concatenated: list[ProcessorRunSummary] = []
        ranges: list[tuple[int, int]] = []
        stops: list[int] = []
        for lane in lanes:
            start = lane.batched
            stop = start
            if lane.page is not None and lane.end > start:
                runs = lane.page.processor_runs
                stop = (
                    lane.end
                    if bound is None
                    else _cut(runs, start, lane.end, key, bound, descending)
                )
                ranges.append((len(concatenated), len(concatenated) + stop - start))
                concatenated += runs[start:stop]
            else:
                ranges.append((len(concatenated), len(concatenated)))
            stops.append(stop)
        if not concatenated:
            return False
        contributing = sum(1 for start, stop in ranges if stop > start)
        order: Optional[list[int]] = None
        items = concatenated
        if contributing > 1:
            keys = list(map(key, concatenated))
            order = sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)
            items = list(map(concatenated.__getitem__, order))
        if remaining is not None and len(items) > remaining:
            del items[remaining:]
            kept = [0] * len(lanes)
            starts = [start for start, _ in ranges]
            for index in order[:remaining] if order is not None else range(remaining):
                kept[_owner(starts, index)] += 1
            stops = [lane.batched + count for lane, count in zip(lanes, kept)]
            if order is not None:
                del order[remaining:]
        handout = _Handout(items, "runs", handed_out, order=order, lane_ranges=ranges)
        replaced = tuple(lane._replace(batched=stop) for lane, stop in zip(lanes, stops))
        self._state = _State(replaced, handout)
        return True

    def _converted(self, handout: _Handout, kind: HandoutKind) -> _Handout:
        if len(self.labels) != 1 or handout.page is None:
            raise ValueError(
                "pages() is not available on a partitioned listing: its runs are merged "
                "across partitions, so iterate the pager itself"
            )
        if kind == "page":
            rest = handout.items[handout.consumed() :]
            page = handout.page.model_copy(update={"processor_runs": rest})
            return _Handout([page], "page", handout.handed_out(), page=page, lane_ranges=[(0, 1)])
        runs = handout.page.processor_runs
        return _Handout(runs, "runs", handout.base, page=handout.page, lane_ranges=[(0, 1)])

    def partition_tokens(self) -> dict[Any, Optional[str]]:
        """Per partition not done, the cursor of the first page with runs not handed out."""
        return {
            label: position[0]
            for label, position in zip(self.labels, self.positions())
            if position is not None
        }


def _positioned(items: list[Any], consumed: int) -> Iterator[Any]:
    """A list iterator over ``items`` that has already handed out ``consumed`` of them."""
    iterator = iter(items)
    if consumed:
        cast(Any, iterator).__setstate__(consumed)
    return iterator


def _owner(starts: list[int], index: int) -> int:
    """The lane whose slice of the concatenated runs holds ``index``.

    Of lanes starting at the same place only the last can hold runs, and
    ``bisect_right`` finds the last.
    """
    return bisect_right(starts, index) - 1


def _first(
    runs: list[ProcessorRunSummary],
    key: Callable[[ProcessorRunSummary], Any],
    past: Callable[[Any], bool],
) -> int:
    """The index of the first run for which ``past(key(run))`` holds (runs are in order)."""
    low, high = 0, len(runs)
    while low < high:
        middle = (low + high) // 2
        if past(key(runs[middle])):
            high = middle
        else:
            low = middle + 1
    return low


def _cut(
    runs: list[ProcessorRunSummary],
    low: int,
    high: int,
    key: Callable[[ProcessorRunSummary], Any],
    bound: Any,
    descending: bool,
) -> int:
    """The end of the runs from ``low`` ordered no later than ``bound`` (ties included)."""
    while low < high:
        middle = (low + high) // 2
        value = key(runs[middle])
        if (value >= bound) if descending else (value <= bound):
            low = middle + 1
        else:
            high = middle
    return low
