"""The run generator and loading users' runs."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone

import pytest

from extend_runs import ProcessorRunSummary
from extend_runs.testing import (
    INTERNAL_FIELDS,
    PROCESSOR_TYPES,
    SOURCES,
    STATUSES,
    FakeExtend,
    generate_runs,
)
from extend_runs.testing._data import generate_table, parse_timestamp

ID = r"[A-Za-z0-9_-]{21}"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
USAGE_START = datetime(2025, 10, 7, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_same_seed_same_runs_and_global_random_untouched() -> None:
    random.seed(5)
    before = random.random()
    random.seed(5)
    first = generate_runs(200, seed=3, end=NOW)
    assert random.random() == before
    assert generate_runs(200, seed=3, end=NOW) == first
    assert generate_runs(200, seed=4, end=NOW) != first


def test_runs_look_real() -> None:
    runs = generate_runs(2000, seed=1, start=datetime(2025, 6, 1, tzinfo=timezone.utc), end=NOW)
    assert {run["status"] for run in runs} == set(STATUSES)
    assert {run["type"] for run in runs} == set(PROCESSOR_TYPES)
    assert {run["source"] for run in runs} == set(SOURCES)
    assert len({run["id"] for run in runs}) == len(runs)
    for run in runs:
        assert re.fullmatch("dpr_" + ID, run["id"])
        assert re.fullmatch("dp_" + ID, run["processorId"])
        assert re.fullmatch("dpv_" + ID, run["processorVersionId"])
        assert run["processorName"]
        assert run["fileName"]
        assert TIMESTAMP.fullmatch(run["createdAt"]) and TIMESTAMP.fullmatch(run["updatedAt"])
        assert parse(run["createdAt"]) <= parse(run["updatedAt"])
        if parse(run["createdAt"]) < USAGE_START:
            assert "usage" not in run
    with_usage = [run for run in runs if "usage" in run]
    assert with_usage and all(isinstance(run["usage"]["credits"], float) for run in with_usage)
    assert any("." in run["updatedAt"] for run in runs)
    # Source ids are shared by runs of one batch or workflow run, so filtering on one finds several.
    batch_ids = [run["sourceId"] for run in runs if run["source"] == "BATCH_PROCESSOR_RUN"]
    assert len(set(batch_ids)) < len(batch_ids)


def test_generated_runs_parse_as_the_sdk_models() -> None:
    for run in generate_runs(50, seed=2):
        ProcessorRunSummary.model_validate(run)


def test_served_runs_leave_out_the_internal_fields_unless_asked() -> None:
    served = FakeExtend(20).runs()
    assert all(not set(INTERNAL_FIELDS) & set(run) for run in served)
    exposed = FakeExtend(20, include_internal_fields=True)
    body = exposed.handle("GET", "/processor_runs", "", exposed.auth_headers()).json()
    assert isinstance(body, dict)
    assert set(INTERNAL_FIELDS) <= set(body["processorRuns"][0])


def test_loads_dicts_and_pydantic_models() -> None:
    dicts = generate_runs(5, seed=9)
    model = ProcessorRunSummary.model_validate(dicts[0] | {"id": "dpr_from_model"})
    fake = FakeExtend([*dicts, model])
    assert len(fake) == 6
    served = {run["id"]: run for run in fake.runs()}
    assert served["dpr_from_model"]["processorId"] == dicts[0]["processorId"]
    assert not set(INTERNAL_FIELDS) & set(served[dicts[1]["id"]])
    assert fake.runs(file_name_contains=dicts[1]["fileName"])[0]["id"] == dicts[1]["id"]


def test_a_run_without_required_fields_is_refused() -> None:
    with pytest.raises(ValueError, match="createdAt"):
        FakeExtend([{"id": "dpr_1", "status": "FAILED", "processorId": "dp_1"}])


def test_generating_many_runs_is_fast_enough_to_serve_a_page() -> None:
    fake = FakeExtend(50_000, seed=1)
    answer = fake.handle("GET", "/processor_runs", "maxPageSize=1000", fake.auth_headers())
    body = answer.json()
    assert isinstance(body, dict) and len(body["processorRuns"]) == 1000


def test_generated_runs_are_sorted_by_the_timestamps_they_show() -> None:
    """The fake sorts by what it serves: no hidden milliseconds behind a whole second."""
    table = generate_table(3000, seed=5)
    for index in range(len(table)):
        run = table.wire(index)
        assert parse_timestamp(run["createdAt"]) == table.created_ms[index]
        assert parse_timestamp(run["updatedAt"]) == table.updated_ms[index]


def test_an_even_distribution_gives_every_value_about_equal_shares() -> None:
    from collections import Counter

    runs = generate_runs(10_000, seed=3, distribution="even")
    for field, values in (("status", STATUSES), ("source", SOURCES), ("type", PROCESSOR_TYPES)):
        shares = Counter(run[field] for run in runs)
        assert set(shares) == set(values)
        expected = len(runs) / len(values)
        assert all(abs(count - expected) < 0.1 * expected for count in shares.values()), shares
    realistic = Counter(run["status"] for run in generate_runs(10_000, seed=3))
    assert realistic["PROCESSED"] > 0.6 * 10_000


def test_an_unknown_distribution_is_refused() -> None:
    with pytest.raises(ValueError, match="distribution must be 'realistic' or 'even', got 'flat'"):
        FakeExtend(10, distribution="flat")  # type: ignore[arg-type]


def created(runs: list[dict[str, object]]) -> list[datetime]:
    return [parse(str(run["createdAt"])) for run in runs]


def test_generated_runs_end_at_the_fakes_now_and_reach_back_90_days() -> None:
    fake = FakeExtend(2000, seed=1, now=NOW)
    runs = fake.runs()
    assert max(created(runs)) == NOW
    assert min(created(runs)) >= NOW - timedelta(days=90)
    assert min(created(runs)) < NOW - timedelta(days=80)
    assert all(parse(run["updatedAt"]) <= NOW for run in runs)
    last_week = [run for run in runs if parse(run["createdAt"]) >= NOW - timedelta(days=7)]
    assert 100 < len(last_week) < 250
    assert fake.now() == NOW


def test_a_fixed_now_gives_the_same_runs_every_time() -> None:
    assert FakeExtend(300, seed=3, now=NOW).runs() == FakeExtend(300, seed=3, now=NOW).runs()
    assert generate_runs(50, seed=3, end=NOW) == generate_runs(50, seed=3, end=NOW)


def test_by_default_runs_end_at_the_wall_clock() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    fake = FakeExtend(300, seed=3)
    after = datetime.now(timezone.utc)
    newest = max(created(fake.runs()))
    assert before <= newest <= after
    assert before <= fake.now() and fake.now() - after < timedelta(seconds=5)
    assert before <= max(created(generate_runs(20, seed=3)))


def test_runs_made_at_two_moments_differ_only_by_a_shift() -> None:
    later = NOW + timedelta(days=3, seconds=17)
    first, second = generate_runs(500, seed=8, end=NOW), generate_runs(500, seed=8, end=later)
    for one, two in zip(first, second):
        assert {k: v for k, v in one.items() if not k.endswith("At")} == {
            k: v for k, v in two.items() if not k.endswith("At")
        }
        assert parse(two["createdAt"]) - parse(one["createdAt"]) == later - NOW
    shifted = FakeExtend(500, seed=8, now=later).runs()
    assert [run["id"] for run in shifted] == [
        run["id"] for run in FakeExtend(500, seed=8, now=NOW).runs()
    ]


def test_generate_runs_between_start_and_end() -> None:
    start, end = (
        datetime(2024, 1, 1, tzinfo=timezone.utc),
        datetime(2024, 2, 1, tzinfo=timezone.utc),
    )
    runs = generate_runs(400, seed=2, start=start, end=end)
    assert start <= min(created(runs)) and max(created(runs)) == end
    assert created(runs) == sorted(created(runs))
    assert all(parse(run["updatedAt"]) <= end for run in runs)
    assert all("usage" not in run for run in runs)  # all before usage was reported
    only_start = generate_runs(10, seed=2, start=datetime.now(timezone.utc) - timedelta(days=1))
    assert min(created(only_start)) >= datetime.now(timezone.utc) - timedelta(days=1, seconds=1)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2024, 1, 1), None, "start must be timezone-aware"),
        (None, datetime(2024, 1, 1), "end must be timezone-aware"),
        (NOW, NOW, "start must be before end"),
        (NOW + timedelta(days=1), NOW, "start must be before end"),
    ],
)
def test_generate_runs_refuses_a_bad_window(
    start: datetime | None, end: datetime | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate_runs(5, start=start, end=end)


def test_a_clock_the_test_moves() -> None:
    moments = [NOW]
    fake = FakeExtend(50, seed=1, now=lambda: moments[-1])
    assert max(created(fake.runs())) == NOW
    moments.append(NOW + timedelta(hours=2))
    assert fake.now() == NOW + timedelta(hours=2)
    fake.add_generated_runs(10, seed=2)
    assert max(created(fake.runs())) == NOW + timedelta(hours=2)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        FakeExtend(5, now=datetime(2026, 1, 1))
