"""Leaving a loop early, then iterating the same pager again: the next run is the first
one not yet yielded, for every kind of listing and every way of leaving."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from extend_runs import ProcessorRunSummary
from extend_runs.testing import FakeExtend

from .drive import (
    MODES,
    STOPS,
    Driver,
    assert_first_of_listing,
    assert_same_listing,
    ids,
)

RUNS = 1000
PAGE = 100

REITERATED_MODES = ("plain", "prefetch", "status", "auto")


@pytest.fixture(scope="module")
def fake() -> FakeExtend:
    return FakeExtend(RUNS, seed=5, distribution="even")


def plain_ids(fake: FakeExtend) -> list[str]:
    return [run["id"] for run in fake.runs()]


@pytest.mark.parametrize("mode", REITERATED_MODES)
@pytest.mark.parametrize(("kind", "how"), STOPS)
def test_iterating_again_after_leaving_mid_page_continues_with_the_next_run(
    fake: FakeExtend, kind: str, how: str, mode: str
) -> None:
    driver = Driver(kind)
    pager = driver.client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    first = driver.take(pager, 150, how)  # half way through the second page
    second = driver.take(pager, 120, how)  # and again, into the third
    rest = driver.rest(pager)
    assert len(first) == 150 and len(second) == 120
    assert_same_listing(first + second + rest, plain_ids(fake), mode)
    assert driver.rest(pager) == []  # a finished pager stays finished


@pytest.mark.parametrize("mode", REITERATED_MODES)
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_to_pandas_on_a_partly_read_pager_gives_exactly_the_rest(
    fake: FakeExtend, kind: str, mode: str
) -> None:
    driver = Driver(kind)
    pager = driver.client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    first = driver.take(pager, 3, "islice" if kind == "sync" else "break")
    frame = driver.to_pandas(pager)
    assert len(frame) == RUNS - 3
    rest = frame["id"].tolist()
    if mode in ("plain", "prefetch"):
        assert ids(first) + rest == plain_ids(fake)
    else:
        assert sorted(ids(first) + rest) == sorted(plain_ids(fake))


@pytest.mark.parametrize("mode", REITERATED_MODES)
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_to_dicts_on_a_partly_read_pager_gives_exactly_the_rest(
    fake: FakeExtend, kind: str, mode: str
) -> None:
    driver = Driver(kind)
    pager = driver.client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    first = driver.take(pager, 3, "islice" if kind == "sync" else "break")
    rest = [row["id"] for row in driver.to_dicts(pager)]
    if mode in ("plain", "prefetch"):
        assert ids(first) + rest == plain_ids(fake)
    else:
        assert sorted(ids(first) + rest) == sorted(plain_ids(fake))


def test_islice_then_iterating_the_rest_loses_nothing(fake: FakeExtend) -> None:
    # The report's own example, verbatim: 150 then the rest is 850, not 800.
    driver = Driver("sync")
    pager = driver.client(fake).list_processor_runs(max_page_size=PAGE)
    first = [run.id for run in itertools.islice(pager, 150)]
    rest = [run.id for run in pager]
    assert len(rest) == RUNS - 150
    assert first + rest == plain_ids(fake)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_partitioned_listing_with_a_limit_yields_the_limit_across_iterations(
    fake: FakeExtend, kind: str
) -> None:
    driver = Driver(kind)
    plain = driver.rest(driver.client(fake).list_processor_runs(max_page_size=PAGE))
    pager = driver.client(fake).list_processor_runs(
        max_page_size=PAGE, limit=130, partition_by="status"
    )
    first = driver.take(pager, 30)
    rest = driver.rest(pager)
    assert len(first) == 30
    assert len(first + rest) == 130
    assert_first_of_listing(first + rest, plain, 130, "status")


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_two_iterators_over_one_pager_share_it_like_a_cursor(
    fake: FakeExtend, mode: str, kind: str
) -> None:
    """Two live loops over one pager take turns: each run reaches exactly one of them, and
    neither ends before the listing does."""
    driver = Driver(kind)
    pager = driver.client(fake).list_processor_runs(max_page_size=PAGE // 3, **MODES[mode])
    taken: list[ProcessorRunSummary] = []
    ended_after: list[int] = []
    if driver.is_async:

        async def alternate() -> None:
            loops = [pager.__aiter__(), pager.__aiter__()]
            turn = 0
            while loops:
                loop = loops[turn % len(loops)]
                try:
                    taken.append(await loop.__anext__())
                except StopAsyncIteration:
                    loops.remove(loop)
                    ended_after.append(len(taken))
                turn += 1

        asyncio.run(alternate())
    else:
        loops = [iter(pager), iter(pager)]
        turn = 0
        while loops:
            loop = loops[turn % len(loops)]
            try:
                taken.append(next(loop))
            except StopIteration:
                loops.remove(loop)
                ended_after.append(len(taken))
            turn += 1
    assert_same_listing(taken, plain_ids(fake), mode)
    assert ended_after == [RUNS, RUNS]


def test_pages_taken_while_a_loop_is_mid_page_are_not_handed_to_that_loop_again(
    fake: FakeExtend,
) -> None:
    pager = Driver("sync").client(fake).list_processor_runs(max_page_size=PAGE)
    runs = iter(pager)
    first = [next(runs) for _ in range(5)]
    rest_of_page = next(pager.pages()).processor_runs
    after = list(runs)
    assert ids(first + rest_of_page + after) == plain_ids(fake)


def test_to_dicts_interrupted_before_it_takes_a_page_leaves_a_loop_mid_page_as_it_was(
    fake: FakeExtend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C in to_dicts() before it has taken the runs left of the current page (here as
    its fetcher starts) must not hand those runs to a loop mid-page a second time."""
    import extend_runs._pagination as pagination

    pager = Driver("sync").client(fake).list_processor_runs(max_page_size=PAGE, prefetch=True)
    runs = iter(pager)
    first = [next(runs) for _ in range(5)]

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(pagination, "SyncFetcher", interrupted)
        with pytest.raises(KeyboardInterrupt):
            pager.to_dicts()
    assert ids(first + list(runs)) == plain_ids(fake)


@pytest.mark.parametrize("started_after", [0.015, 0.03, 0.045])
def test_a_loop_in_another_task_takes_no_run_while_to_dicts_may_still_hand_its_runs_back(
    started_after: float,
) -> None:
    """Task A iterates a pager while task B's to_dicts() on it fails: A neither gets a run
    twice nor misses one (it waits for B, whose runs go back to the pager)."""
    from extend_runs import BadRequestError
    from extend_runs.testing import Fault

    fake = FakeExtend(60, seed=1, latency=0.01)
    rule = fake.inject(Fault.http_error(400), times=None, when=lambda request: request.page == 5)
    pager = Driver("async").client(fake, max_retries=0).list_processor_runs(max_page_size=10)
    taken: list[ProcessorRunSummary] = []

    async def loop() -> None:
        async for run in pager:
            taken.append(run)
            await asyncio.sleep(0)

    async def convert() -> None:
        await asyncio.sleep(started_after)
        with pytest.raises(BadRequestError):
            await pager.to_dicts()

    async def both() -> None:
        # The loop may meet the failing page itself: then it ends with the same error.
        results = await asyncio.gather(loop(), convert(), return_exceptions=True)
        for result in results:
            if result is not None and not isinstance(result, BadRequestError):
                raise result
        fake.clear_faults()
        taken.extend([run async for run in pager])

    asyncio.run(both())
    assert rule.hits >= 1
    assert ids(taken) == [run["id"] for run in fake.runs()]
