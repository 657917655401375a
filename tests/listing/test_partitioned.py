"""Everything a plain listing offers works on a partitioned one too: DataFrames, a
progress bar, a repr and notebook display of what was fetched so far."""

from __future__ import annotations

import re

import pytest

from extend_runs.testing import FakeExtend

from .drive import MODES, PARTITIONED, Driver, assert_same_listing

RUNS = 400
PAGE = 25


@pytest.fixture(scope="module")
def fake() -> FakeExtend:
    return FakeExtend(RUNS, seed=12, distribution="even")


def plain_ids(fake: FakeExtend) -> list[str]:
    return [run["id"] for run in fake.runs()]


@pytest.mark.parametrize("mode", PARTITIONED)
def test_to_pandas_works_on_a_partitioned_listing(
    fake: FakeExtend, driver: Driver, mode: str
) -> None:
    pager = driver.client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    frame = driver.to_pandas(pager)
    assert sorted(frame["id"]) == sorted(plain_ids(fake))
    assert frame["updated_at"].is_monotonic_decreasing


@pytest.mark.parametrize("mode", ["plain", *PARTITIONED])
def test_progress_draws_a_bar_for_a_partitioned_listing(
    fake: FakeExtend, driver: Driver, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pager = driver.client(fake, mode).list_processor_runs(
        max_page_size=PAGE, progress=True, **MODES[mode]
    )
    runs = driver.rest(pager)
    assert_same_listing(runs, plain_ids(fake), mode)
    drawn = capsys.readouterr().err
    assert "runs" in drawn
    assert str(RUNS) in drawn  # the bar counted every run


@pytest.mark.parametrize("mode", PARTITIONED)
def test_repr_and_html_of_a_partitioned_listing_show_what_was_fetched_without_a_request(
    fake: FakeExtend, driver: Driver, mode: str
) -> None:
    pager = driver.client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    fake.clear_requests()
    assert "not fetched yet" in pager._repr_html_()
    taken = driver.take(pager, 30)
    sent = len(fake.requests)
    text, html = repr(pager), pager._repr_html_()
    assert len(fake.requests) == sent  # showing it sent nothing
    fetched = re.search(r"runs_fetched=(\d+)", text)
    assert fetched is not None and int(fetched.group(1)) >= len(taken)
    shown = re.search(r"(\d+) runs fetched", html)
    assert shown is not None and int(shown.group(1)) >= len(taken)
    driver.rest(pager)
    assert f"runs_fetched={RUNS}" in repr(pager)
    assert f"{RUNS} runs fetched" in pager._repr_html_()
    assert "listing complete" in pager._repr_html_()


@pytest.mark.parametrize("mode", PARTITIONED)
def test_repr_of_a_partitioned_listing_shows_next_page_token_as_reading_it_does(
    fake: FakeExtend, driver: Driver, mode: str
) -> None:
    pager = driver.client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    driver.take(pager, 30)
    try:
        token = pager.next_page_token
    except ValueError:
        # No single cursor to show: the repr must not pretend there is none left.
        assert "next_page_token=None" not in repr(pager)
    else:
        assert f"next_page_token={token!r}" in repr(pager)
