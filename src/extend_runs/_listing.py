"""The listing engine: every decision about one listing, written once and free of I/O.

A :class:`Listing` knows, for each partition ("lane") of a listing (a plain listing has
one), the page it is on, how many of that page's runs have gone into hand-outs, and the
cursor of its next page. It says which lanes need their next page (:meth:`Listing.wanted`),
takes pages in (:meth:`Listing.accept`), and forms the next hand-out (:meth:`Listing.advance`):
a plain listing's page as it came, or the runs of several partitions merged in the
requested order. The drivers in ``_pagination`` only fetch what it asks for.

With ``partition_by="auto"`` the lanes change as the listing goes: once every status has
its first page, the engine asks for probes of the far ends of the large ones, and cuts
those that ``_splitting`` says pay into a lane that stops at the cut and one lane per
source that skips what is not past it (per-lane edges, like a window's).

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
from datetime import datetime
from itertools import islice, product
from operator import attrgetter, ge, le, length_hint
from operator import gt as operator_gt
from operator import lt as operator_lt
from typing import TYPE_CHECKING, Any, Callable, Literal, NamedTuple, Optional, Union, cast

from ._checkpoint import Checkpoint, LanePosition, LaneShape, fingerprint
from ._constants import API_REQUESTS_PER_SECOND, MAX_PAGE_SIZE, MAX_PAGE_TOKEN_LENGTH
from ._exceptions import APIResponseValidationError
from ._models import (
    ListProcessorRunsParams,
    ProcessorRunSource,
    ProcessorRunStatus,
    ProcessorType,
    SortBy,
    SortDir,
)
from ._splitting import Estimate, auto_splits

if TYPE_CHECKING:
    from ._models import ProcessorRunsPage, ProcessorRunSummary

__all__ = ["AUTO_FIELDS", "PARTITION_FIELDS", "Listing", "ListingSpec", "Window"]

PARTITION_FIELDS: dict[str, tuple[str, Any]] = {
    "status": ("status", ProcessorRunStatus),
    "processor_type": ("processorType", ProcessorType),
    "source": ("source", ProcessorRunSource),
}
"""The fields a listing can be partitioned by: their wire name and the enum of their values."""

AUTO_FIELDS = ("status", "source")
"""``partition_by="auto"``: one partition per value of the first of these not filtered on;
a partition that would outlast the request budget is split by the next."""

HandoutKind = Literal["runs", "page", "chunk"]
"""How the caller takes runs: one by one, as whole pages, or as lists of what is loaded."""
PartitionLabel = Union[str, tuple[str, ...], None]
Values = tuple[tuple[str, str], ...]
"""A partition's filters: (wire name, value) pairs."""


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
    auto: bool = False
    """``partition_by="auto"``: the partitions of ``partition_by`` to start with..."""
    split_by: Optional[str] = None
    """...and the field a partition that would outlast the budget is split by."""

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
        partition_by: Any = "auto" if self.auto else list(self.partition_by)
        return fingerprint({"query": query, "partition_by": partition_by, "window": window})

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
    """Runs still to skip from the next page fetched (resuming a checkpoint); for a lane
    with an :attr:`after` edge, only runs past it count."""
    number: int
    """How many pages this lane has taken in (numbers the cursors it has seen)."""
    last_key: Any
    """The order key of this lane's last run so far, to check the next page against."""
    values: Values = ()
    """The filters that select this partition."""
    after: Any = None
    """Runs not strictly after this key (in the listing's order) are skipped: a sub-lane
    of a split lists only what its parent does not."""
    upto: Any = None
    """The lane ends at its first run strictly after this key: a lane that was split."""
    probe: bool = False
    """Not a partition: one request for the far end of the partition ``values``."""
    sample: Optional[tuple[Any, Any, int, float]] = None
    """Of the first page taken in since the start: its first and last keys, its runs and
    the seconds it took; what ``partition_by="auto"`` estimates a partition's size from."""

    @property
    def fetch_token(self) -> Optional[str]:
        return self.token if self.page is None else self.next_token

    @property
    def label(self) -> PartitionLabel:
        if not self.values:
            return None
        return self.values[0][1] if len(self.values) == 1 else tuple(v for _, v in self.values)


def _fresh(token: Optional[str], skip: int = 0, **shape: Any) -> _Lane:
    """A lane that has taken in no page yet: it starts at ``token``."""
    return _Lane(None, token, 0, 0, token, False, skip, 0, None, **shape)


def _done(**shape: Any) -> _Lane:
    return _Lane(None, None, 0, 0, None, True, 0, 0, None, **shape)


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


_SETTLED = 2
"""The phases of ``partition_by="auto"``: sampling each partition's first page (0),
waiting for the probes of the far ends (1), settled (2: nothing more is split)."""


class _State(NamedTuple):
    lanes: tuple[_Lane, ...]
    handout: _Handout
    phase: int = _SETTLED


class Listing:
    """The state machine of one listing: what to fetch, what to hand out, where it stands.

    Args:
        spec: what is listed.
        start: where to start: a decoded checkpoint, or ``None`` for the beginning (the
            params' ``next_page_token`` for a plain listing).
        budget: requests per second the listing may use (``max_requests_per_second``);
            ``None``: the API's own budget. Only ``partition_by="auto"`` plans with it...
        in_flight: ...and with the requests it may have under way at once.
        secret: the API key, redacted from the cursors this listing's errors quote.
    """

    def __init__(
        self,
        spec: ListingSpec,
        start: Optional[Checkpoint] = None,
        budget: Optional[float] = None,
        in_flight: Optional[int] = None,
        *,
        secret: Optional[str] = None,
    ) -> None:
        self.spec = spec
        self._secret = secret
        self._converting = False
        """A :meth:`transaction` is open: it may yet hand back what it took."""
        self.fingerprint = spec.fingerprint()
        self.budget = API_REQUESTS_PER_SECOND if budget is None else budget
        self.in_flight = in_flight
        handed_out = 0 if start is None else start.handed_out
        self._remaining_at_start = None if spec.limit is None else spec.limit - handed_out
        base = spec.base_query()
        if self._remaining_at_start is not None and spec.params.max_page_size is None:
            # Ask for no more runs a page than the limit still needs (up to the API's most).
            base["maxPageSize"] = max(1, min(self._remaining_at_start, MAX_PAGE_SIZE))
        self._base = base
        self._key: Callable[[ProcessorRunSummary], Any] = attrgetter(spec.sort_field)
        self._descending = spec.descending
        self._checks_order = len(spec.lanes()) > 1 or spec.window is not None or spec.auto
        self._seen: dict[int, dict[str, int]] = {}
        """Per lane, each cursor seen and the number of the page it fetches."""
        phase = 0 if spec.auto and spec.split_by is not None else _SETTLED
        if start is not None and start.shapes is not None:
            shapes = [
                {
                    "values": shape.values,
                    "after": None if shape.after is None else datetime.fromisoformat(shape.after),
                    "upto": None if shape.upto is None else datetime.fromisoformat(shape.upto),
                }
                for shape in start.shapes
            ]
            if start.settled:
                phase = _SETTLED
        else:
            shapes = [{"values": tuple(values.items())} for _, values in spec.lanes()]
        positions: Sequence[LanePosition]
        if start is None:
            positions = [(spec.params.next_page_token, 0)] * len(shapes)
        else:
            positions = start.lanes
        initial: list[_Lane] = []
        for index, (position, shape) in enumerate(zip(positions, shapes)):
            if position is None:
                initial.append(_done(**shape))
                continue
            token, skip = position
            if token is not None:
                self._seen[index] = {token: 1}
            initial.append(_fresh(token, skip, **shape))
        ranges = [(0, 0)] * len(initial)
        handout = _Handout([], "runs", handed_out, lane_ranges=ranges)
        self._state = _State(tuple(initial), handout, phase)

    @property
    def labels(self) -> list[PartitionLabel]:
        """Each partition's label (values of its partition fields), in lane order."""
        return [lane.label for lane in self._state.lanes if not lane.probe]

    # -- what the drivers ask --------------------------------------------------------

    @property
    def lane_count(self) -> int:
        """Lanes so far (partitions, and the probes of ``partition_by="auto"``)."""
        return len(self._state.lanes)

    @property
    def partitioned(self) -> bool:
        """Whether runs are merged from several partitions (``pages()`` is not offered)."""
        return len(self._state.lanes) > 1 or (self.spec.auto and self.spec.split_by is not None)

    def request(self, lane: int) -> Optional[tuple[Optional[str], dict[str, Any]]]:
        """The cursor and query of the lane's next page, or ``None`` if it has none."""
        state = self._state
        current = state.lanes[lane]
        if current.finished:
            return None
        if state.phase < _SETTLED and current.batched < current.end and self._held(lane):
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
        query = {**self._base, **dict(current.values)}
        if current.probe:
            # The far end of the partition: its first run in the other direction.
            query["sortDir"] = SortDir.ASC.value if self._descending else SortDir.DESC.value
            query["maxPageSize"] = 1
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
        if self._converting and kind != "chunk":
            # The transaction may yet be undone, handing its runs out again: a run handed
            # out now, after them, would then be handed out twice.
            raise RuntimeError(
                "this pager is being read by to_pandas() or to_dicts() in another task; "
                "iterate it once that call has returned"
            )
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
            self._base = {**self._base, "maxPageSize": size}

    # -- changes of state ------------------------------------------------------------

    def accept(
        self, lane: int, token: Optional[str], page: ProcessorRunsPage, took: float = 0.0
    ) -> bool:
        """Take in the lane's next page, fetched with ``token`` in ``took`` seconds.

        Returns ``False`` (and changes nothing) for a page the lane no longer waits for,
        and ``False`` for the answer to a probe, which brings no runs to the listing.

        Raises:
            APIResponseValidationError: the page repeats a cursor, carries one too long
                to send back, or (for a merge or window) is out of the requested order.
        """
        state = self._state
        current = state.lanes[lane]
        if current.finished or current.batched < current.end or token != current.fetch_token:
            return False
        runs = page.processor_runs
        if current.probe:
            answered = current._replace(page=page, finished=True)
            lanes = (*state.lanes[:lane], answered, *state.lanes[lane + 1 :])
            self._state = self._planned(state._replace(lanes=lanes))
            return False
        next_token = page.next_page_token or None
        number = current.number + 1
        if next_token is not None:
            if len(next_token) > MAX_PAGE_TOKEN_LENGTH:
                raise APIResponseValidationError(
                    f"The server returned a cursor of {len(next_token)} characters, more than "
                    f"the {MAX_PAGE_TOKEN_LENGTH} that can be sent back; stopping."
                )
            if self._seen.setdefault(lane, {}).setdefault(next_token, number + 1) <= number:
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
        # A sub-lane's own runs start past its ``after`` edge; those before it are its
        # parent's, and the count to skip (resuming) leaves them out, so that a change to
        # one of them, not yet handed out by the parent, cannot shift it onto runs of its own.
        held = self._parents(current, runs)
        skipped = min(current.skip, len(runs) - held)
        begin, end, crossed = held + skipped, len(runs), False
        if self.spec.window is not None and runs:
            begin, end, crossed = self._window(runs, begin)
        if runs and (current.after is not None or current.upto is not None):
            begin, end, crossed = self._edges(current, runs, begin, end, crossed)
        sample = current.sample
        if sample is None and runs and state.phase < _SETTLED:
            sample = (self._key(runs[0]), self._key(runs[-1]), len(runs), took)
        replaced = current._replace(
            page=page,
            token=token,
            batched=begin,
            end=end,
            next_token=next_token,
            finished=next_token is None or crossed,
            skip=current.skip - skipped,
            number=number,
            last_key=last_key,
            sample=sample,
        )
        lanes = (*state.lanes[:lane], replaced, *state.lanes[lane + 1 :])
        self._state = self._planned(state._replace(lanes=lanes))
        return True

    def joined(self, lane: int) -> list[ProcessorRunSummary]:
        """The runs of the lane's page that join the listing (not those skipped or cut off)."""
        current = self._state.lanes[lane]
        if current.page is None:
            return []
        runs = current.page.processor_runs
        if current.batched == 0 and current.end == len(runs):
            return runs
        return runs[current.batched : current.end]

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
        if self._converting:
            raise RuntimeError(
                "this pager is already being read by to_pandas() or to_dicts() in another task"
            )
        state = self._state
        consumed = state.handout.consumed()
        self._converting = True
        try:
            yield
        except BaseException:
            # A loop over this pager may hold the iterator of the current hand-out, or of
            # the one the block started from (interrupted before it took those runs): both
            # are used up, so that it takes the runs again from the rewound one only.
            deque(self._state.handout.iterator, maxlen=0)
            deque(state.handout.iterator, maxlen=0)
            self._state = state._replace(handout=state.handout.rewound(consumed))
            raise
        finally:
            self._converting = False

    # -- where the listing stands ----------------------------------------------------

    def positions(self) -> tuple[LanePosition, ...]:
        """Per lane: the cursor of its page and the runs of it consumed; ``None`` if done."""
        state = self._state
        undelivered = state.handout.undelivered(len(state.lanes))
        positions: list[LanePosition] = []
        for lane, left in zip(state.lanes, undelivered):
            if lane.probe:
                positions.append(None)
                continue
            if lane.page is None:
                positions.append(None if lane.finished else (lane.token, lane.skip))
                continue
            consumed = lane.batched - left
            if consumed < lane.end:
                positions.append(
                    (lane.token, consumed - self._parents(lane, lane.page.processor_runs))
                )
            elif lane.finished:
                positions.append(None)
            else:
                positions.append((lane.next_token, lane.skip))
        return tuple(positions)

    def checkpoint(self) -> str:
        state = self._state
        positions = self.positions()
        handed_out = state.handout.handed_out()
        if not self.spec.auto:
            return Checkpoint(self.fingerprint, handed_out, positions).encode()
        # The partitions of an auto listing change as it goes: each is written with the
        # filters and edges that make it up. Probes are not partitions; one not answered
        # yet is asked again after resuming (the listing then samples afresh).
        shapes = [
            LaneShape(
                lane.values,
                None if lane.after is None else lane.after.isoformat(),
                None if lane.upto is None else lane.upto.isoformat(),
            )
            for lane in state.lanes
            if not lane.probe
        ]
        kept = tuple(p for lane, p in zip(state.lanes, positions) if not lane.probe)
        settled = state.phase == _SETTLED
        return Checkpoint(self.fingerprint, handed_out, kept, tuple(shapes), settled).encode()

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
                f"The server returned the runs of partition {self._state.lanes[lane].label!r} "
                "out of "
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

    def _held(self, lane: int) -> bool:
        """Whether a lane waits for ``partition_by="auto"``'s plan before fetching ahead.

        The requests in flight are bounded, and the probes and the new partitions' first
        pages must not queue behind pages that are not needed yet (a slow body could hold
        them for as long as it trickles). So no lane fetches ahead before the probes are
        asked for; once they are (and go first), all but one of the requests that may be
        in flight can fetch ahead, which leaves one for the new partitions.
        """
        state = self._state
        if state.phase == 0:
            return True
        if self.in_flight is None:
            return False
        ahead = [i for i, each in enumerate(state.lanes) if not each.probe and not each.finished]
        return lane not in ahead[: self.in_flight - 1]

    def _parents(self, lane: _Lane, runs: list[ProcessorRunSummary]) -> int:
        """How many of ``runs`` (a page of ``lane``) are not past its ``after`` edge: the
        runs of the partition it was split from, never its own."""
        after = lane.after
        if after is None or not runs:
            return 0
        later = _later(self._descending)
        return _first(runs, self._key, lambda t: later(t, after))

    def _edges(
        self, lane: _Lane, runs: list[ProcessorRunSummary], begin: int, end: int, crossed: bool
    ) -> tuple[int, int, bool]:
        """Narrow ``(begin, end, crossed)`` to the lane's own edges (``after``, ``upto``)."""
        key = self._key
        later = _later(self._descending)
        after, upto = lane.after, lane.upto
        if after is not None:
            begin = max(begin, _first(runs, key, lambda t: later(t, after)))
        if upto is not None:
            stop = _first(runs, key, lambda t: later(t, upto))
            if stop < end:
                end, crossed = stop, True
        return min(begin, end), end, crossed

    # -- partition_by="auto" ---------------------------------------------------------

    def _planned(self, state: _State) -> _State:
        """The state, moved on to the next phase of ``partition_by="auto"`` when it can.

        Once every partition has its first page (or is done), the partitions that might
        outlast the budget are probed for their far end; once the probes are answered,
        those that would are split (see :func:`auto_splits`). Nothing is split after.
        """
        if state.phase == _SETTLED:
            return state
        lanes = state.lanes
        if state.phase == 0:
            if any(not lane.finished and lane.sample is None for lane in lanes):
                return state
            estimates = self._estimates(lanes, {})
            candidates = auto_splits(estimates, self.budget, self._split_cost, True, self.in_flight)
            if not candidates:
                return state._replace(phase=_SETTLED)
            probes = tuple(_fresh(None, values=lanes[i].values, probe=True) for i in candidates)
            return state._replace(lanes=lanes + probes, phase=1)
        if any(lane.probe and not lane.finished for lane in lanes):
            return state
        far: dict[Values, Any] = {}
        for lane in lanes:
            if lane.probe and lane.page is not None and lane.page.processor_runs:
                far[lane.values] = self._key(lane.page.processor_runs[0])
        estimates = self._estimates(lanes, far)
        chosen = auto_splits(estimates, self.budget, self._split_cost, False, self.in_flight)
        return state._replace(lanes=self._split(lanes, chosen), phase=_SETTLED)

    def _estimates(
        self, lanes: Sequence[_Lane], far: dict[Values, Any]
    ) -> list[Optional[Estimate]]:
        """What :func:`auto_splits` decides on: one estimate per lane (probes: ``None``)."""
        window, descending = self.spec.window, self._descending
        edge = None
        if window is not None:
            edge = window.since if descending else window.before
        limit = self.spec.limit
        remaining = None if limit is None else limit - self._state.handout.handed_out()
        estimates: list[Optional[Estimate]] = []
        for lane in lanes:
            sample = lane.sample
            if lane.probe or sample is None:
                estimates.append(None)
                continue
            first, last, runs, took = sample
            end = far.get(lane.values)
            if end is not None and edge is not None:
                end = max(end, edge) if descending else min(end, edge)
            seconds = None if end is None else abs((last - end).total_seconds())
            page_span = abs((first - last).total_seconds())
            done = lane.finished or any(wire == self._split_wire for wire, _ in lane.values)
            estimates.append(Estimate(done, runs, page_span, seconds, took, remaining))
        return estimates

    @property
    def _split_cost(self) -> int:
        """Requests a split adds: each new partition's own last page, and one more page
        the split one may read past its cut."""
        split_by = self.spec.split_by
        return 0 if split_by is None else len(PARTITION_FIELDS[split_by][1]) + 1

    @property
    def _split_wire(self) -> Optional[str]:
        split_by = self.spec.split_by
        return None if split_by is None else PARTITION_FIELDS[split_by][0]

    def _split(self, lanes: tuple[_Lane, ...], chosen: list[int]) -> tuple[_Lane, ...]:
        """The lanes with each of ``chosen`` cut at the end of its current page.

        The lane keeps its runs up to the cut (ties included: it reads on while they
        last) and one new lane per value of the split field lists the rest, skipping
        what is not strictly past the cut. No run is in two lanes, whatever the order of
        ties, and every run of the partition with a known value is in one.
        """
        wire, enum = PARTITION_FIELDS[cast(str, self.spec.split_by)]
        replaced = list(lanes)
        added: list[_Lane] = []
        for index in chosen:
            lane = lanes[index]
            if lane.finished or lane.page is None or not lane.page.processor_runs:
                continue
            cut = self._key(lane.page.processor_runs[-1])
            replaced[index] = lane._replace(upto=cut)
            for member in enum:
                values = (*lane.values, (wire, member.value))
                added.append(_fresh(None, values=values, after=cut))
        return (*replaced, *added)

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
        self._state = state._replace(lanes=(lane._replace(batched=stop),), handout=handout)
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
        self._state = state._replace(lanes=replaced, handout=handout)
        return True

    def _converted(self, handout: _Handout, kind: HandoutKind) -> _Handout:
        if self.partitioned or handout.page is None:
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
            lane.label: position[0]
            for lane, position in zip(self._state.lanes, self.positions())
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


def _later(descending: bool) -> Callable[[Any, Any], bool]:
    """Whether a key comes strictly later than another in the listing's order."""
    return operator_lt if descending else operator_gt
