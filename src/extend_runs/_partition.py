"""Partitioned listings: one sub-listing per enum value, merged back into one sorted stream.

Written once for both clients: the :class:`ListingPlan` (what the caller asked for,
checked before any request), the lanes of a plan, and the :class:`Merge` that picks the
next run across lanes. The drivers in ``_pagination`` only wait for pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter, length_hint
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._models import (
    ListProcessorRunsParams,
    ProcessorRunSource,
    ProcessorRunStatus,
    ProcessorType,
    SortBy,
    SortDir,
)
from ._prefetch import Lane

if TYPE_CHECKING:
    from ._models import ProcessorRunSummary

__all__ = ["PARTITION_FIELDS", "ListingPlan", "Merge", "make_plan"]

PARTITION_FIELDS: dict[str, Any] = {
    "status": ProcessorRunStatus,
    "processor_type": ProcessorType,
    "source": ProcessorRunSource,
}
"""The fields a listing can be partitioned by, each with the enum whose values split it."""

DEFAULT_MAX_CONCURRENCY = 5
"""Requests a partitioned listing keeps in flight at most (one per status value)."""


@dataclass(frozen=True)
class ListingPlan:
    """How to walk a listing: fetch ahead, and/or split it into partitions."""

    prefetch: bool = False
    partition_by: Optional[str] = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    partition_tokens: Optional[Mapping[str, Optional[str]]] = None

    def lanes(self, params: ListProcessorRunsParams, limit: Optional[int]) -> list[Lane]:
        """One lane per partition (or one for the whole listing), each with its own cursor."""
        from ._pagination import _Cursor

        if self.partition_by is None:
            return [Lane(_Cursor(params, limit))]
        values = [member.value for member in PARTITION_FIELDS[self.partition_by]]
        if self.partition_tokens is not None:
            values = [value for value in values if value in self.partition_tokens]
        lanes: list[Lane] = []
        for value in values:
            token = None if self.partition_tokens is None else self.partition_tokens[value]
            update = {self.partition_by: PARTITION_FIELDS[self.partition_by](value)}
            update["next_page_token"] = token
            lanes.append(Lane(_Cursor(params.model_copy(update=update), limit), label=value))
        return lanes


def make_plan(
    params: ListProcessorRunsParams,
    *,
    prefetch: bool,
    partition_by: Optional[str],
    max_concurrency: Optional[int],
    partition_tokens: Optional[Mapping[str, Optional[str]]],
) -> Optional[ListingPlan]:
    """Check the fetching options against each other and the filters; ``None`` if plain."""
    if not isinstance(prefetch, bool):
        raise ValueError(f"prefetch must be True or False, got {prefetch!r}")
    if max_concurrency is not None and (
        isinstance(max_concurrency, bool)
        or not isinstance(max_concurrency, int)
        or max_concurrency < 1
    ):
        raise ValueError(f"max_concurrency must be a whole number >= 1, got {max_concurrency!r}")
    if partition_by is None:
        for name, value in (
            ("max_concurrency", max_concurrency),
            ("partition_tokens", partition_tokens),
        ):
            if value is not None:
                raise ValueError(f"{name} applies only to a partitioned listing (partition_by)")
        return ListingPlan(prefetch=True) if prefetch else None
    if partition_by not in PARTITION_FIELDS:
        allowed = ", ".join(repr(name) for name in PARTITION_FIELDS)
        raise ValueError(f"partition_by must be one of {allowed}, got {partition_by!r}")
    if getattr(params, partition_by) is not None:
        raise ValueError(
            f"partition_by={partition_by!r} cannot be combined with a {partition_by} filter: "
            f"it already lists every {partition_by} value separately"
        )
    if params.next_page_token is not None:
        raise ValueError(
            "partition_by cannot be combined with next_page_token: a partitioned listing "
            "resumes from one cursor per partition; pass partition_tokens instead"
        )
    tokens = _partition_tokens(partition_by, partition_tokens)
    return ListingPlan(
        prefetch=True,
        partition_by=partition_by,
        max_concurrency=DEFAULT_MAX_CONCURRENCY if max_concurrency is None else max_concurrency,
        partition_tokens=tokens,
    )


def _partition_tokens(
    partition_by: str, tokens: Optional[Mapping[str, Optional[str]]]
) -> Optional[dict[str, Optional[str]]]:
    if tokens is None:
        return None
    if not isinstance(tokens, Mapping):
        raise ValueError(
            f"partition_tokens must be a mapping such as pager.partition_tokens, "
            f"got {type(tokens).__name__}"
        )
    allowed = {member.value for member in PARTITION_FIELDS[partition_by]}
    checked: dict[str, Optional[str]] = {}
    for value, token in tokens.items():
        value = getattr(value, "value", value)
        if value not in allowed:
            raise ValueError(
                f"partition_tokens has {value!r}, which is not a {partition_by} value "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError(
                f"partition_tokens[{value!r}] must be a non-empty string or None, got {token!r}"
            )
        checked[value] = token
    return checked


class Merge:
    """A k-way merge of sorted lanes on ``(sort key, id)``, as the server orders runs.

    The server sorts by ``sort_by`` (default ``updatedAt``) in ``sort_dir`` (default
    ``desc``) and breaks ties on the run ID in the same direction; partitions are
    disjoint, so merging their streams on that key gives the order of the plain listing.

    The merge works in batches rather than run by run. A lane with more pages to come
    can only bring runs ordered after the last run it has loaded, so every loaded run
    ordered no later than the latest of those "last runs" is final: that batch is sorted
    at once (in C, where the per-run cost of picking heads in Python would dominate) and
    handed out. The lane that set the bound is then used up, and its next page is
    needed before the next batch. The state survives between iterations, so a listing
    resumed after an error or a ``break`` neither loses nor repeats a run.
    """

    def __init__(self, lanes: list[Lane], params: ListProcessorRunsParams, limit: Optional[int]):
        self.lanes = lanes
        field = "created_at" if params.sort_by is SortBy.CREATED_AT else "updated_at"
        self._key: Callable[[ProcessorRunSummary], Any] = attrgetter(field, "id")
        self._descending = params.sort_dir is not SortDir.ASC
        self._batch: list[ProcessorRunSummary] = []
        self._ahead: Iterator[ProcessorRunSummary] = iter(self._batch)
        self._last_batched: dict[int, ProcessorRunSummary] = {}
        """Per lane, the latest of its runs in the current batch."""
        self.remaining = limit

    def _has_unsent(self) -> bool:
        return length_hint(self._ahead) > 0

    def wanted(self) -> Optional[Lane]:
        """A lane whose next page is needed before the next batch can be formed, if any."""
        if self.remaining == 0 or self._has_unsent():
            return None
        for lane in self.lanes:
            if lane.position >= len(lane.runs) and not lane.cursor.finished:
                return lane
        return None

    def batch(self) -> Optional[Iterator[ProcessorRunSummary]]:
        """The next runs in order, or ``None`` when the listing is over.

        Call it only when :meth:`wanted` is ``None``. The iterator is the merge's own:
        whatever the caller does not take from it is handed out by the next call.
        """
        if self.remaining == 0:
            return None
        if self._has_unsent():
            return self._ahead
        key, descending = self._key, self._descending
        bounds = [key(lane.runs[-1]) for lane in self.lanes if not lane.cursor.finished]
        bound = (max(bounds) if descending else min(bounds)) if bounds else None
        batch: list[ProcessorRunSummary] = []
        last: dict[int, ProcessorRunSummary] = {}
        for index, lane in enumerate(self.lanes):
            runs, start = lane.runs, lane.position
            end = len(runs) if bound is None else _cut(runs, start, key, bound, descending)
            if end > start:
                batch += runs[start:end]
                last[index] = runs[end - 1]
                lane.position = end
        if not batch:
            return None
        batch.sort(key=key, reverse=descending)
        if self.remaining is not None:
            del batch[self.remaining :]
            self.remaining -= len(batch)
        self._batch, self._last_batched = batch, last
        self._ahead = iter(batch)
        return self._ahead

    def tokens(self) -> dict[str, Optional[str]]:
        """Per partition not yet exhausted, the cursor to resume it from."""
        unsent = self._batch[len(self._batch) - length_hint(self._ahead) :]
        pending = {id(run) for run in unsent}
        tokens: dict[str, Optional[str]] = {}
        for index, lane in enumerate(self.lanes):
            last = self._last_batched.get(index)
            if last is not None and id(last) in pending:
                tokens[str(lane.label)] = lane.page_token  # its page is not all handed out
            elif not lane.done:
                tokens[str(lane.label)] = lane.resume_token
        return tokens


def _cut(
    runs: list[ProcessorRunSummary],
    start: int,
    key: Callable[[ProcessorRunSummary], Any],
    bound: Any,
    descending: bool,
) -> int:
    """The end of the runs from ``start`` that are ordered no later than ``bound``."""
    low, high = start, len(runs)
    while low < high:  # bisect: the lane's runs are in the listing's order
        middle = (low + high) // 2
        value = key(runs[middle])
        if (value >= bound) if descending else (value <= bound):
            low = middle + 1
        else:
            high = middle
    return low
