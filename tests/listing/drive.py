"""Driving one listing scenario through ``Client`` or ``AsyncClient``, and judging its output.

A :class:`Driver` builds a client on the in-process fake and runs one step of a listing
(take some runs then leave, raise in the loop body, read the rest, convert the rest) to
completion; for ``AsyncClient`` each step is one ``asyncio.run``, which the in-process
transports allow. The checks at the bottom say what "the same listing" means: exactly
the plain listing for plain and prefetched listings, and for partitioned ones the same
runs (a multiset) in the requested order, ties in any order.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Optional, Union

import httpx

from extend_runs import AsyncClient, Client, ProcessorRunSummary
from extend_runs.testing import FakeExtend

MODES: dict[str, dict[str, Any]] = {
    "plain": {},
    "prefetch": {"prefetch": True},
    "status": {"partition_by": "status"},
    "status+source": {"partition_by": ("status", "source")},
    "auto": {"partition_by": "auto", "max_concurrency": 64},
}
"""Each kind of listing, as the keyword arguments that ask for it."""

CLIENT_SETTINGS: dict[str, dict[str, Any]] = {"auto": {"max_requests_per_second": 1e9}}
"""Client settings a mode is tested with. ``"auto"`` gets a budget (and, above, requests
in flight) so large that every status with a second page is split by source (on
loopback pages take about a millisecond, far less than the budget would need to outlast
them): the hardest case, with a cut in each of those statuses, sub-partitions that skip
what their parent keeps and checkpoints that record all of it."""

PARTITIONED = ("status", "status+source", "auto")

STOPS = (
    ("sync", "break"),
    ("sync", "islice"),
    ("sync", "exception"),
    ("async", "break"),
    ("async", "exception"),
)
"""Each way of leaving a loop early, for each client (``islice`` takes sync iterators)."""

AnyClient = Union[Client, AsyncClient]


class LeftTheLoop(Exception):
    """Raised by a test in the body of a listing loop."""


class Driver:
    """Runs listing steps through ``Client`` (``"sync"``) or ``AsyncClient`` (``"async"``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return self.kind

    @property
    def is_async(self) -> bool:
        return self.kind == "async"

    def client(self, fake: FakeExtend, mode: str = "plain", **settings: Any) -> AnyClient:
        """A client on ``fake``'s in-process transport, set up as ``mode`` is tested."""
        common = {
            "api_key": fake.api_key,
            "base_url": fake.base_url,
            **CLIENT_SETTINGS.get(mode, {}),
            **settings,
        }
        if self.is_async:
            return AsyncClient(
                http_client=httpx.AsyncClient(transport=fake.async_transport()), **common
            )
        return Client(http_client=httpx.Client(transport=fake.transport()), **common)

    def take(
        self,
        pager: Any,
        count: int,
        how: str = "break",
        taken: Optional[list[ProcessorRunSummary]] = None,
    ) -> list[ProcessorRunSummary]:
        """Iterate ``pager`` for ``count`` runs, then leave the loop ``how``.

        ``how`` is ``"break"``, ``"islice"`` (sync only) or ``"exception"`` (raised in the
        loop body after the ``count``-th run was recorded, and caught outside the loop).
        Runs are appended to ``taken`` (a new list if not given) as they arrive, so an
        error from the listing leaves there the runs received before it.
        """
        if taken is None:
            taken = []
        if count == 0:
            return taken
        if how == "islice":
            assert not self.is_async, "islice needs a sync iterator"
            taken += itertools.islice(pager, count)
            return taken
        target = len(taken) + count
        if self.is_async:
            asyncio.run(_take_async(pager, target, how, taken))
        else:
            try:
                for run in pager:
                    taken.append(run)
                    if len(taken) == target:
                        if how == "exception":
                            raise LeftTheLoop
                        break
            except LeftTheLoop:
                pass
        return taken

    def rest(self, pager: Any) -> list[ProcessorRunSummary]:
        """Iterate ``pager`` to its end; errors propagate."""
        if self.is_async:
            return asyncio.run(_rest_async(pager))
        return list(pager)

    def into(self, pager: Any, runs: list[ProcessorRunSummary]) -> None:
        """Iterate ``pager`` to its end, appending each run to ``runs`` as it arrives."""
        if self.is_async:
            asyncio.run(_into_async(pager, runs))
        else:
            for run in pager:
                runs.append(run)

    def to_pandas(self, pager: Any) -> Any:
        return asyncio.run(pager.to_pandas()) if self.is_async else pager.to_pandas()

    def to_dicts(self, pager: Any) -> list[dict[str, Any]]:
        return asyncio.run(pager.to_dicts()) if self.is_async else pager.to_dicts()


async def _take_async(pager: Any, target: int, how: str, taken: list[ProcessorRunSummary]) -> None:
    try:
        async for run in pager:
            taken.append(run)
            if len(taken) == target:
                if how == "exception":
                    raise LeftTheLoop
                break
    except LeftTheLoop:
        pass


async def _rest_async(pager: Any) -> list[ProcessorRunSummary]:
    return [run async for run in pager]


async def _into_async(pager: Any, runs: list[ProcessorRunSummary]) -> None:
    async for run in pager:
        runs.append(run)


# -- judging ---------------------------------------------------------------


def ids(runs: Sequence[ProcessorRunSummary]) -> list[str]:
    return [run.id for run in runs]


def order_key(run: ProcessorRunSummary, sort_by: Any = None) -> datetime:
    """The timestamp a listing sorted by ``sort_by`` (default ``updatedAt``) orders on."""
    return run.created_at if sort_by == "createdAt" else run.updated_at


def out_of_order(
    runs: Sequence[ProcessorRunSummary], sort_by: Any = None, sort_dir: Any = None
) -> list[int]:
    """Positions where a run comes before its predecessor in the requested order."""
    keys = [order_key(run, sort_by) for run in runs]
    if sort_dir == "asc":
        return [i for i in range(1, len(keys)) if keys[i] < keys[i - 1]]
    return [i for i in range(1, len(keys)) if keys[i] > keys[i - 1]]


def assert_same_listing(
    got: Sequence[ProcessorRunSummary],
    expected_ids: Sequence[str],
    mode: str,
    sort_by: Any = None,
    sort_dir: Any = None,
) -> None:
    """``got`` is the listing ``expected_ids`` as a listing in ``mode`` must give it."""
    if mode not in PARTITIONED:
        assert ids(got) == list(expected_ids)
        return
    assert Counter(ids(got)) == Counter(expected_ids), difference(ids(got), expected_ids)
    assert out_of_order(got, sort_by, sort_dir) == []


def difference(got: Sequence[str], expected: Sequence[str]) -> str:
    extra = Counter(got) - Counter(expected)
    missing = Counter(expected) - Counter(got)
    return (
        f"{len(got)} runs for {len(expected)}: {sum(missing.values())} missing, "
        f"{sum(extra.values())} extra or repeated"
    )


def assert_first_of_listing(
    got: Sequence[ProcessorRunSummary],
    plain: Sequence[ProcessorRunSummary],
    count: int,
    mode: str,
    sort_by: Any = None,
    sort_dir: Any = None,
) -> None:
    """``got`` is the first ``count`` runs of the plain listing ``plain``, for ``mode``.

    A partitioned listing may order tied runs differently, so where the cut falls among
    ties it may hold other runs of the same timestamp: every run is one of the plain
    listing's, none twice, in order, and the timestamps are exactly those of the plain
    listing's first ``count`` runs.
    """
    if mode not in PARTITIONED:
        assert ids(got) == ids(plain[:count])
        return
    assert len(got) == count
    assert len(set(ids(got))) == count
    assert set(ids(got)) <= set(ids(plain))
    assert out_of_order(got, sort_by, sort_dir) == []
    keys = Counter(order_key(run, sort_by) for run in got)
    assert keys == Counter(order_key(run, sort_by) for run in plain[:count])
