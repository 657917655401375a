"""``extend-runs sync``: what each sync appends, the state it keeps, and repairs after a crash."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from extend_runs import ProcessorRunSummary
from extend_runs.cli._app import cli
from extend_runs.cli._sync import SyncMark, repair_torn_tail
from extend_runs.testing import FakeExtend, Fault
from tests.cli.conftest import ServedFake

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def changing() -> Iterator[ServedFake]:
    clock = [START]
    fake = FakeExtend(runs=230, seed=9, now=lambda: clock[-1])
    clock.append(START + timedelta(hours=1))
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


def sync(api: ServedFake, tmp_path: Path, *args: str, output: str = "runs.jsonl") -> Result:
    environment = {"EXTEND_API_KEY": api.api_key, "EXTEND_BASE_URL": api.base_url}
    return CliRunner().invoke(
        cli,
        ["sync", "-o", str(tmp_path / output), "--state", str(tmp_path / "state.json"), *args],
        env=environment,
    )


def _key(record: dict[str, Any]) -> tuple[str, datetime]:
    return record["id"], datetime.fromisoformat(record["updatedAt"].replace("Z", "+00:00"))


def records(path: Path) -> list[tuple[str, datetime]]:
    return [_key(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def current(api: ServedFake, **filters: str) -> set[tuple[str, datetime]]:
    return {_key(run) for run in api.runs(**filters)}


def test_each_sync_appends_exactly_what_changed_since_the_last(
    changing: ServedFake, tmp_path: Path
) -> None:
    target, state = tmp_path / "runs.jsonl", tmp_path / "state.json"
    first = sync(changing, tmp_path, "--page-size", "40")
    assert first.exit_code == 0, first.output
    assert sorted(records(target)) == sorted(current(changing))
    assert "appended 230 runs to" in first.stderr
    assert {query["maxPageSize"] for query in changing.queries} == {"40"}
    saved = state.read_text()

    before = target.read_bytes()
    again = sync(changing, tmp_path)
    assert again.exit_code == 0, again.output
    assert target.read_bytes() == before  # no changes: nothing appended
    assert state.read_text() == saved
    assert "no changes since" in again.stderr

    fake = changing.fake
    changed = [fake.update_run(run["id"], "FAILED") for run in fake.runs()[100:103]]
    changed += [fake.create_run("PENDING"), fake.create_run("PROCESSING")]
    changing.fake.clear_requests()
    third = sync(changing, tmp_path)
    assert third.exit_code == 0, third.output
    assert sorted(records(target)[230:]) == sorted(_key(run) for run in changed)
    assert len(changing.queries) == 1  # the listing stopped at the last sync's mark
    assert changing.queries[0]["maxPageSize"] == "1000"

    fourth = sync(changing, tmp_path)
    assert fourth.exit_code == 0 and len(records(target)) == 235


def test_first_sync_since_a_moment_then_only_changes(changing: ServedFake, tmp_path: Path) -> None:
    since = sorted(run["updatedAt"] for run in changing.runs())[-20]
    result = sync(changing, tmp_path, "--since", since, "--status", "PROCESSED")
    assert result.exit_code == 0, result.output
    expected = {_key(run) for run in changing.runs(status="PROCESSED") if run["updatedAt"] >= since}
    assert expected and sorted(records(tmp_path / "runs.jsonl")) == sorted(expected)
    # --since only places the first sync; the state says where the next one starts.
    done = changing.fake.update_run(changing.runs(status="PENDING")[-1]["id"], "PROCESSED")
    result = sync(changing, tmp_path, "--since", since, "--status", "PROCESSED")
    assert records(tmp_path / "runs.jsonl")[len(expected) :] == [_key(done)]


def test_state_of_other_filters_or_format_is_refused(changing: ServedFake, tmp_path: Path) -> None:
    assert sync(changing, tmp_path, "--status", "FAILED").exit_code == 0
    before = (tmp_path / "runs.jsonl").read_bytes()
    changing.fake.clear_requests()
    other = sync(changing, tmp_path, "--status", "PENDING")
    assert other.exit_code == 2
    assert "other filters (status=FAILED; this one has status=PENDING)" in other.stderr
    assert "its own state file" in other.stderr
    csv_too = sync(changing, tmp_path, "--status", "FAILED", "--format", "csv")
    assert csv_too.exit_code == 2 and "writing jsonl, not csv" in csv_too.stderr
    (tmp_path / "state.json").write_text("{}")
    broken = sync(changing, tmp_path, "--status", "FAILED")
    assert broken.exit_code == 2 and "is not a sync state" in broken.stderr
    assert changing.queries == []
    assert (tmp_path / "runs.jsonl").read_bytes() == before


def test_a_torn_last_record_is_cut_off_before_appending(
    changing: ServedFake, tmp_path: Path
) -> None:
    target = tmp_path / "runs.jsonl"
    assert sync(changing, tmp_path, "--status", "FAILED").exit_code == 0
    whole = target.read_bytes()
    torn = b'{"id": "dpr_half", "status": "PROC'
    with target.open("ab") as file:
        file.write(torn)
    run = changing.fake.update_run(changing.runs(status="PENDING")[0]["id"], "FAILED")
    result = sync(changing, tmp_path, "--status", "FAILED")
    assert result.exit_code == 0, result.output
    assert f"cut off its last {len(torn)} bytes" in result.stderr
    assert target.read_bytes().startswith(whole)
    assert records(target)[-1] == _key(run)  # every line is a whole record again


def test_csv_sync_has_one_header_and_carries_id_and_updated_at(
    changing: ServedFake, tmp_path: Path
) -> None:
    assert sync(changing, tmp_path, "--status", "FAILED", output="runs.csv").exit_code == 0
    run = changing.fake.update_run(changing.runs(status="FAILED")[-1]["id"], "FAILED")
    assert sync(changing, tmp_path, "--status", "FAILED", output="runs.csv").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "runs.csv").read_text())))
    assert len(rows) == len(changing.runs(status="FAILED")) + 1
    assert (rows[-1]["id"], datetime.fromisoformat(rows[-1]["updated_at"])) == _key(run)


def test_a_failed_sync_records_nothing_and_the_next_one_repeats_instead_of_skipping(
    changing: ServedFake, tmp_path: Path
) -> None:
    changing.fake.inject(Fault.http_error(500), times=None, when=lambda r: r.page == 3)
    failed = sync(changing, tmp_path, "--page-size", "50", "--max-retries", "0")
    assert failed.exit_code == 1
    assert "100 runs appended to" in failed.stderr and "lists them again" in failed.stderr
    assert not (tmp_path / "state.json").exists()
    changing.fake.clear_faults()
    assert sync(changing, tmp_path, "--page-size", "50").exit_code == 0
    written = records(tmp_path / "runs.jsonl")
    assert len(written) == 330 and set(written) == current(changing)


def _run(run_id: str, updated: str) -> ProcessorRunSummary:
    return ProcessorRunSummary.model_validate(
        {
            "id": run_id,
            "status": "PROCESSED",
            "processorId": "dp_1",
            "processorName": "Invoices",
            "processorVersionId": "dpv_1",
            "createdAt": "2026-12-01T00:00:00Z",
            "updatedAt": updated,
        }
    )


def test_the_mark_keeps_every_id_at_its_newest_moment() -> None:
    a, b, c = (
        _run("a", "2026-12-01T10:00:00Z"),
        _run("b", "2026-12-01T10:00:00Z"),
        _run("c", "2026-12-01T09:00:00Z"),
    )
    mark = SyncMark().after([a, c])
    assert (mark.newest, mark.ids) == (a.updated_at, frozenset({"a"}))
    assert mark.covers(a) and mark.covers(c) and not mark.covers(b)  # a tie, not yet written
    assert mark.after([b]).ids == frozenset({"a", "b"})
    assert not SyncMark().covers(c)


@pytest.mark.parametrize(
    ("content", "kept"),
    [
        (b"", b""),
        (b'{"id": 1}\n', b'{"id": 1}\n'),
        (b'{"id": 1}\n{"id"', b'{"id": 1}\n'),
        (b'{"id"', b""),
        (b"x" * 200_000 + b"\n" + b"y" * 100_000, b"x" * 200_000 + b"\n"),
    ],
)
def test_repair_cuts_back_to_the_last_complete_line(
    tmp_path: Path, content: bytes, kept: bytes
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(content)
    assert repair_torn_tail(str(path)) == len(content) - len(kept)
    assert path.read_bytes() == kept
    assert repair_torn_tail(str(tmp_path / "missing.jsonl")) == 0


GOOD_STATE = {
    "version": 1,
    "filters": {"status": "FAILED"},
    "format": "jsonl",
    "newestUpdatedAt": "2026-12-01T09:00:00+00:00",
    "idsAtNewest": ["dpr_1"],
}


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("not json {", "it is not JSON"),
        ({**GOOD_STATE, "version": 99}, "it has version 99"),
        ({**GOOD_STATE, "filters": ["status"]}, "its filters are not a mapping of strings"),
        ({**GOOD_STATE, "idsAtNewest": "dpr_1"}, "its idsAtNewest are not a list of strings"),
        ({**GOOD_STATE, "format": 3}, "its format is not a string"),
        ({**GOOD_STATE, "newestUpdatedAt": "2026-12-01T09:00:00"}, "is not a sync state"),
    ],
)
def test_a_damaged_state_file_is_refused_before_any_request_naming_what_is_wrong(
    changing: ServedFake, tmp_path: Path, damage: Any, said: str
) -> None:
    from extend_runs.cli._sync import STATE_VERSION

    assert GOOD_STATE["version"] == STATE_VERSION
    state = tmp_path / "state.json"
    state.write_text(damage if isinstance(damage, str) else json.dumps(damage))
    changing.fake.clear_requests()
    result = sync(changing, tmp_path, "--status", "FAILED")
    assert result.exit_code == 2
    assert str(state) in result.stderr and said in result.stderr
    assert changing.queries == []
    assert state.read_text() == (damage if isinstance(damage, str) else json.dumps(damage))


def test_the_undamaged_state_of_those_cases_is_taken(changing: ServedFake, tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(json.dumps(GOOD_STATE))
    result = sync(changing, tmp_path, "--status", "FAILED")
    assert result.exit_code == 0, result.stderr
