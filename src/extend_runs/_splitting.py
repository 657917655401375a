"""The split rule of ``partition_by="auto"``: which partitions are worth splitting.

Pure arithmetic on what the listing engine has seen (each partition's first page, the
probes of their far ends, the latency and the budget); no I/O, no state. The engine in
``_listing`` gathers the :class:`Estimate` of each partition and cuts the partitions
:func:`auto_splits` names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Optional

__all__ = ["MIN_PAGE_SPAN", "Estimate", "auto_splits", "split_chain"]


class Estimate(NamedTuple):
    """What ``partition_by="auto"`` knows of one partition when it decides on splits."""

    done: bool
    """The partition has no page after its first, or cannot be split further."""
    runs: int
    """Runs of its first page."""
    page_span: float
    """Seconds of sort key its first page spans."""
    far_span: Optional[float]
    """Seconds of sort key from the end of its first page to its far end (probed), or
    ``None`` before it was probed."""
    took: float
    """Seconds its first page took to arrive."""
    remaining: Optional[int] = None
    """Runs a ``limit`` still lets in (``None``: no limit)."""


MIN_PAGE_SPAN = 0.001
"""Seconds: the least sort-key span a page is taken to cover (a page of ties spans 0)."""

PLANNING_ROUND_TRIPS = 2
"""Round trips before the new partitions of a split bring runs: the probe, then their
first pages."""

LARGEST_PART = 0.5
"""The share of a split partition's pages its largest new partition is taken to hold
(the API gives no counts; half is a cautious guess for the largest source)."""


def split_chain(pages: float) -> float:
    """Round trips until a partition of ``pages`` pages, split, is listed: the planning,
    then the chain of its largest new partition."""
    return PLANNING_ROUND_TRIPS + pages * LARGEST_PART


def auto_splits(
    estimates: Sequence[Optional[Estimate]],
    budget: float,
    cost: int,
    probing: bool,
    in_flight: Optional[int] = None,
) -> list[int]:
    """The partitions ``partition_by="auto"`` splits (or, ``probing``, probes first).

    A partition's pages chain: each request needs the cursor of the one before, so it
    takes ``pages x latency`` however many requests may be in flight. The whole listing
    takes at least ``all pages / budget``. Splitting a partition shortens its chain but
    adds ``cost`` requests (``k``: one per new sub-partition, plus one that the split
    partition may read past its cut). So a partition is split when its chain would outlast
    both the budget's time for every page, the added ones included, and the time its
    split takes to list it (:func:`split_chain`: two round trips of planning, then half
    its pages)::

        pages x latency > max((all pages + k) / budget, (2 + pages / 2) x latency)

    The second term means a partition of 4 pages or fewer is never split.

    ``budget`` is requests per second, no more than ``in_flight / latency`` when at most
    ``in_flight`` requests may be under way at once (``max_concurrency``).
    ``latency`` is the fastest first page (the others may have waited for the budget);
    ``pages`` is the partition's key span (first page to its far end, one probe request
    per partition) over the span of its first page. Partitions not probed are taken to
    span as far as the largest probed one, at their own density. Largest first, while the
    rule holds. A partition is only probed when it could pass the rule on a long listing:
    its share of the runs (by the density of its first page), times latency and budget,
    is over 1.

    Example:
        >>> big = Estimate(False, 100, 60.0, 6000.0, 0.25)
        >>> small = Estimate(False, 100, 600.0, 6000.0, 0.25)
        >>> auto_splits([big, small, None], budget=10.0, cost=8, probing=True)
        [0]
        >>> auto_splits([big, small, None], budget=10.0, cost=8, probing=False)
        [0]
    """
    known = [(i, e) for i, e in enumerate(estimates) if e is not None]
    known_by = dict(known)
    if not known:
        return []
    latency = min(e.took for _, e in known)
    rates = {i: e.runs / max(e.page_span, MIN_PAGE_SPAN) for i, e in known if not e.done}
    if not rates or latency <= 0:
        return []
    if in_flight is not None:
        budget = min(budget, in_flight / latency)
    total_rate = sum(rates.values())
    share = {i: rate / total_rate for i, rate in rates.items()}
    candidates = [i for i in rates if share[i] * latency * budget > 1]
    if probing:
        # With a limit, a partition the limit lets few runs into cannot pay to split,
        # however far it reaches: its probe would be a request the listing never needs.
        return [i for i in candidates if _may_pay(_most_pages(known_by[i], share[i]))]
    spans = {i: e.far_span for i, e in known if e.far_span is not None and i in rates}
    probed = [i for i in candidates if i in spans]
    if not probed:
        return []
    reach = max(spans[i] for i in probed)
    chains: dict[int, float] = {}
    for i, estimate in known:
        if i not in rates:
            continue
        count = 1 + spans.get(i, reach) / max(estimate.page_span, MIN_PAGE_SPAN)
        chains[i] = min(count, _most_pages(estimate, share[i]))
    total = sum(chains.values()) + (len(known) - len(rates)) + len(probed)
    split: list[int] = []
    extra = 0
    for i in sorted(probed, key=chains.__getitem__, reverse=True):
        added = extra + cost
        after_split = max((total + added) / budget, split_chain(chains[i]) * latency)
        if chains[i] * latency <= after_split:
            break
        extra = added
        split.append(i)
    return split


def _most_pages(estimate: Estimate, share: float) -> float:
    """The most pages a partition can take with a ``limit``: the runs it still lets in, at
    the partition's ``share``, in pages of its first page's size (unbounded without one)."""
    if estimate.remaining is None:
        return float("inf")
    return 1 + estimate.remaining * share / max(estimate.runs, 1)


def _may_pay(pages: float) -> bool:
    """Whether a partition of ``pages`` pages could be listed sooner split
    (``pages > split_chain(pages)``: more than 4 pages), ``inf`` included."""
    return pages * (1 - LARGEST_PART) > PLANNING_ROUND_TRIPS
