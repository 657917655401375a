"""Checkpoints: ``pager.checkpoint`` says exactly how far the caller got, and
``resume_from=`` carries on from there in a brand-new pager, for every kind of listing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from extend_runs.testing import FakeExtend

from .drive import MODES, Driver, assert_first_of_listing, assert_same_listing

RUNS = 600
PAGE = 10
SORTED = {"sort_by": "createdAt"}
ALPHABET = re.compile(r"[A-Za-z0-9_.=-]+")

CHECKPOINT_MODES = list(MODES)


@pytest.fixture(scope="module")
def fake() -> FakeExtend:
    return FakeExtend(RUNS, seed=21, distribution="even")


@pytest.fixture
def fresh(fake: FakeExtend) -> FakeExtend:
    """The shared fake, with no requests recorded."""
    fake.clear_requests()
    fake.clear_faults()
    return fake


def listing(driver: Driver, fake: FakeExtend, mode: str, **kwargs: Any) -> Any:
    return driver.client(fake, mode).list_processor_runs(**MODES[mode], **kwargs)


def plain(fake: FakeExtend, **filters: Any) -> list[str]:
    return [run["id"] for run in fake.runs(**filters)]


def open_and_read(driver: Driver, fake: FakeExtend, **kwargs: Any) -> None:
    """Open a listing and read its first run."""
    driver.take(driver.client(fake).list_processor_runs(**kwargs), 1)


@pytest.mark.parametrize("mode", CHECKPOINT_MODES)
def test_a_checkpoint_is_a_string_over_a_safe_alphabet_at_every_stage(
    fresh: FakeExtend, driver: Driver, mode: str
) -> None:
    pager = listing(driver, fresh, mode, max_page_size=PAGE)
    stages = [pager.checkpoint]  # before the first request
    driver.take(pager, 37)  # mid-page
    stages.append(pager.checkpoint)
    driver.rest(pager)
    stages.append(pager.checkpoint)  # after the end
    for checkpoint in stages:
        assert isinstance(checkpoint, str)
        assert ALPHABET.fullmatch(checkpoint), checkpoint
    assert len(set(stages)) == 3


@pytest.mark.parametrize("stop", [1, 37, 40, 333])
@pytest.mark.parametrize("mode", CHECKPOINT_MODES)
def test_resuming_from_a_checkpoint_yields_exactly_the_runs_not_yet_yielded(
    fresh: FakeExtend, driver: Driver, mode: str, stop: int
) -> None:
    pager = listing(driver, fresh, mode, max_page_size=PAGE, **SORTED)
    first = driver.take(pager, stop)
    resumed = listing(
        driver, fresh, mode, max_page_size=PAGE, resume_from=pager.checkpoint, **SORTED
    )
    rest = driver.rest(resumed)
    assert len(first) == stop
    assert_same_listing(first + rest, plain(fresh, **SORTED), mode, **SORTED)


@pytest.mark.parametrize("mode", CHECKPOINT_MODES)
def test_checkpoints_chain_through_several_resumptions(
    fresh: FakeExtend, driver: Driver, mode: str
) -> None:
    got: list[Any] = []
    checkpoint = None
    for count in (13, 1, 22, 9):
        extra = {} if checkpoint is None else {"resume_from": checkpoint}
        pager = listing(driver, fresh, mode, max_page_size=PAGE, **SORTED, **extra)
        got += driver.take(pager, count, "exception")
        checkpoint = pager.checkpoint
    got += driver.rest(
        listing(driver, fresh, mode, max_page_size=PAGE, resume_from=checkpoint, **SORTED)
    )
    assert_same_listing(got, plain(fresh, **SORTED), mode, **SORTED)


@pytest.mark.parametrize("mode", CHECKPOINT_MODES)
def test_limit_counts_across_resumptions(fresh: FakeExtend, driver: Driver, mode: str) -> None:
    everything = driver.rest(listing(driver, fresh, "plain", max_page_size=PAGE))
    pager = listing(driver, fresh, mode, max_page_size=PAGE, limit=50)
    first = driver.take(pager, 23)
    resumed = listing(
        driver, fresh, mode, max_page_size=PAGE, limit=50, resume_from=pager.checkpoint
    )
    rest = driver.rest(resumed)
    assert len(rest) == 27
    assert_first_of_listing(first + rest, everything, 50, mode)


@pytest.mark.parametrize("mode", CHECKPOINT_MODES)
def test_a_different_max_page_size_on_resume_is_still_exact(
    fresh: FakeExtend, driver: Driver, mode: str
) -> None:
    pager = listing(driver, fresh, mode, max_page_size=PAGE)
    first = driver.take(pager, 37)
    resumed = listing(driver, fresh, mode, max_page_size=7, resume_from=pager.checkpoint)
    assert_same_listing(first + driver.rest(resumed), plain(fresh), mode)


@pytest.mark.parametrize("mode", CHECKPOINT_MODES)
def test_a_checkpoint_taken_after_the_end_resumes_to_nothing(
    fresh: FakeExtend, driver: Driver, mode: str
) -> None:
    pager = listing(driver, fresh, mode, max_page_size=100)
    assert len(driver.rest(pager)) == RUNS
    resumed = listing(driver, fresh, mode, max_page_size=100, resume_from=pager.checkpoint)
    assert driver.rest(resumed) == []


OTHER_LISTINGS = [
    ({"status": "FAILED"}, {"status": "PROCESSED"}),
    ({"status": "FAILED"}, {}),
    ({"sort_by": "createdAt"}, {"sort_by": "updatedAt"}),
    ({"sort_by": "createdAt"}, {}),
    ({"sort_dir": "asc"}, {"sort_dir": "desc"}),
    ({"processor_type": "EXTRACT"}, {"processor_type": "CLASSIFY"}),
    ({}, {"partition_by": "status"}),
    ({"partition_by": "status"}, {}),
    ({"partition_by": "status"}, {"partition_by": ("status", "source")}),
    ({"partition_by": "status"}, {"partition_by": "source"}),
    ({"partition_by": "auto"}, {"partition_by": "status"}),
    ({"partition_by": "status"}, {"partition_by": "auto"}),
    ({"partition_by": "auto"}, {}),
    ({}, {"partition_by": "auto"}),
    ({"partition_by": "auto"}, {"partition_by": "auto", "sort_dir": "asc"}),
    ({"partition_by": "auto"}, {"partition_by": "auto", "processor_type": "EXTRACT"}),
]


@pytest.mark.parametrize(("original", "other"), OTHER_LISTINGS)
def test_a_checkpoint_from_another_listing_is_refused_before_any_request(
    fresh: FakeExtend, driver: Driver, original: dict[str, Any], other: dict[str, Any]
) -> None:
    pager = driver.client(fresh).list_processor_runs(max_page_size=PAGE, **original)
    driver.take(pager, 15)
    checkpoint = pager.checkpoint
    fresh.clear_requests()
    with pytest.raises(ValueError, match=r"checkpoint|resume_from"):
        open_and_read(driver, fresh, max_page_size=PAGE, resume_from=checkpoint, **other)
    assert fresh.requests == []


def test_a_string_that_is_not_a_checkpoint_is_refused_before_any_request(
    fresh: FakeExtend, driver: Driver
) -> None:
    page = Driver("sync").client(fresh).list_processor_runs_page(max_page_size=PAGE)
    assert page.next_page_token is not None
    for text in ("", "nonsense", "not a checkpoint!", "=-_.", page.next_page_token):
        fresh.clear_requests()
        with pytest.raises(ValueError, match=r"checkpoint|resume_from"):
            open_and_read(driver, fresh, max_page_size=PAGE, resume_from=text)
        assert fresh.requests == []


def test_resume_from_and_next_page_token_together_are_refused_before_any_request(
    fresh: FakeExtend, driver: Driver
) -> None:
    pager = driver.client(fresh).list_processor_runs(max_page_size=PAGE)
    driver.take(pager, 15)
    checkpoint, token = pager.checkpoint, pager.next_page_token
    assert token is not None
    fresh.clear_requests()
    with pytest.raises(ValueError, match="next_page_token"):
        open_and_read(
            driver, fresh, max_page_size=PAGE, resume_from=checkpoint, next_page_token=token
        )
    assert fresh.requests == []


def test_next_page_token_keeps_its_meaning_beside_checkpoints(
    fresh: FakeExtend, driver: Driver
) -> None:
    # Stopped mid-page, the cursor names the next page to fetch: resuming from it skips
    # the rest of the current page, which only the checkpoint remembers.
    pager = driver.client(fresh).list_processor_runs(max_page_size=PAGE)
    driver.take(pager, 15)
    after_cursor = driver.rest(
        driver.client(fresh).list_processor_runs(
            max_page_size=PAGE, next_page_token=pager.next_page_token
        )
    )
    assert [run.id for run in after_cursor] == plain(fresh)[20:]
    after_checkpoint = driver.rest(
        driver.client(fresh).list_processor_runs(max_page_size=PAGE, resume_from=pager.checkpoint)
    )
    assert [run.id for run in after_checkpoint] == plain(fresh)[15:]


def forged(checkpoint: str, **changes: Any) -> str:
    """The checkpoint with fields of its JSON body replaced, encoded as the SDK does."""
    import base64
    import json
    import zlib

    body = json.loads(zlib.decompress(base64.urlsafe_b64decode(checkpoint[3:])))
    body.update(changes)
    packed = zlib.compress(json.dumps(body).encode())
    return checkpoint[:3] + base64.urlsafe_b64encode(packed).decode()


def test_a_forged_checkpoint_with_counts_of_the_wrong_type_is_refused_before_any_request(
    fresh: FakeExtend, driver: Driver
) -> None:
    pager = driver.client(fresh).list_processor_runs(max_page_size=PAGE)
    driver.take(pager, 15)
    checkpoint = pager.checkpoint
    token = pager.next_page_token
    forgeries = [
        forged(checkpoint, n=True),
        forged(checkpoint, n=-1),
        forged(checkpoint, n=1.5),
        forged(checkpoint, l=[[token, True]]),
        forged(checkpoint, l=[[token, -3]]),
        forged(checkpoint, l=[[7, 0]]),
        forged(checkpoint, l=[[token, 0], [token, 0]]),
        forged(checkpoint, f=None),
    ]
    assert Driver("sync").client(fresh).list_processor_runs(resume_from=forged(checkpoint))
    for text in forgeries:
        fresh.clear_requests()
        with pytest.raises(ValueError, match=r"checkpoint|resume_from"):
            open_and_read(driver, fresh, max_page_size=PAGE, resume_from=text)
        assert fresh.requests == []
