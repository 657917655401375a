"""Random interleavings of everything that can stop a listing, then its end: the
concatenated output is always the plain listing.

Each example picks a client (sync or async), a kind of listing, a page size and a limit,
then runs steps in order against one fake: take some runs and ``break``; raise in the
loop body; arm a server error (surfacing at once, as ``max_retries=0``) and iterate
into it; save the checkpoint and resume it in a brand-new pager. Every step iterates
the current pager again; at the end the rest is read. For plain and prefetched
listings the runs are exactly the plain listing's first ``limit``; for partitioned
ones, the same runs with the timestamps in order.
"""

from __future__ import annotations

from typing import Any, Optional

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extend_runs import InternalServerError, ProcessorRunSummary
from extend_runs.testing import FakeExtend, Fault

from .drive import MODES, Driver, assert_first_of_listing

RUNS = 120
FAKE = FakeExtend(RUNS, seed=31, distribution="even")
PLAIN: list[ProcessorRunSummary] = Driver("sync").rest(
    Driver("sync").client(FAKE).list_processor_runs(max_page_size=1000)
)

MOST_ERRORS = 20
"""Iterations the final read may take: one per server error still armed, plus one."""

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("break"), st.integers(1, 50)),
        st.tuples(st.just("raise"), st.integers(1, 50)),
        st.tuples(st.just("error"), st.integers(1, 3)),
        st.tuples(st.just("resume"), st.just(0)),
    ),
    max_size=8,
)


class Listing:
    """One example's listing: the current pager, and everything it yielded so far."""

    def __init__(self, driver: Driver, mode: str, page_size: int, limit: Optional[int]) -> None:
        self.driver = driver
        self.client = driver.client(FAKE, mode, max_retries=0)
        self.kwargs: dict[str, Any] = {"max_page_size": page_size, "limit": limit, **MODES[mode]}
        self.pager = self.client.list_processor_runs(**self.kwargs)
        self.got: list[ProcessorRunSummary] = []

    def iterate(self, count: Optional[int], how: str = "break") -> bool:
        """Iterate the current pager again, for ``count`` runs or to its end.

        Returns whether the iteration went as asked, without a server error.
        """
        try:
            if count is None:
                self.driver.into(self.pager, self.got)
            else:
                self.driver.take(self.pager, count, how, self.got)
        except InternalServerError:
            return False
        return True

    def resume(self) -> None:
        checkpoint = self.pager.checkpoint
        self.pager = self.client.list_processor_runs(resume_from=checkpoint, **self.kwargs)


@settings(
    max_examples=70,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["sync", "async"]),
    mode=st.sampled_from(list(MODES)),
    page_size=st.integers(1, 40),
    limit=st.none() | st.integers(0, RUNS + 5),
    steps=STEPS,
)
def test_any_interleaving_of_stops_and_resumptions_gives_the_plain_listing(
    kind: str, mode: str, page_size: int, limit: Optional[int], steps: list[tuple[str, int]]
) -> None:
    FAKE.clear_faults()
    listing = Listing(Driver(kind), mode, page_size, limit)
    for step, number in steps:
        if step == "break":
            listing.iterate(number)
        elif step == "raise":
            listing.iterate(number, "exception")
        elif step == "error":
            # The next request (this iteration's, or a later one's) fails once.
            FAKE.inject(Fault.server_error(503), times=1)
            listing.iterate(number)
        else:
            listing.resume()
    # Read the rest, iterating again after each error armed above that is still to come.
    assert any(listing.iterate(None) for _ in range(MOST_ERRORS))
    expected = RUNS if limit is None else min(limit, RUNS)
    assert_first_of_listing(listing.got, PLAIN, expected, mode)
