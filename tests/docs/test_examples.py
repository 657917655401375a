"""Every script in examples/ runs in its own process against a fake served on loopback.

Scripts read ``EXTEND_API_KEY`` and ``EXTEND_BASE_URL`` like any user's program would;
here those name a ``FakeExtend``. Scripts with no case below are run without arguments
and must exit 0.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import extend_runs
from extend_runs.testing import FakeExtend, Fault

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(path.name for path in EXAMPLES.glob("*.py"))
SPECIFIC = {
    "list_failed_runs.py",
    "async_service.py",
    "export_csv.py",
    "resume_from_checkpoint.py",
    "tune_retries_timeouts.py",
    "workflow_run_runs.py",
    "last_week_failures.py",
    "alert_on_failures.py",
    "nightly_sync.py",
    "week_dataframe.py",
}

pytestmark = pytest.mark.integration


def run_example(
    name: str, fake: FakeExtend, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/<name>`` with the environment pointing at the served fake."""
    package_root = str(Path(extend_runs.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_list_failed_runs(docs_env: FakeExtend) -> None:
    expected = docs_env.runs(status="FAILED", processor_type="EXTRACT", file_name_contains="inv")
    result = run_example("list_failed_runs.py", docs_env, "inv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"{len(expected)} failed extraction runs"
    listed = [line.split()[2] for line in result.stdout.splitlines()[:-1]]
    assert listed == [run["id"] for run in reversed(expected)]  # oldest first
    assert {r.query["sortDir"] for r in docs_env.requests} == {"asc"}


def test_async_service_counts_each_processor(docs_env: FakeExtend) -> None:
    processor_ids = sorted({run["processorId"] for run in docs_env.runs()})[:3]
    result = run_example("async_service.py", docs_env, *processor_ids)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "3 processors"
    for processor_id, line in zip(processor_ids, lines):
        runs = docs_env.runs(processor_id=processor_id)
        failed = sum(run["status"] == "FAILED" for run in runs)
        assert line.startswith(processor_id)
        assert f"{len(runs)} runs" in " ".join(line.split())
        assert f"{failed} failed" in " ".join(line.split())


def test_async_service_finds_processors_itself(docs_env: FakeExtend) -> None:
    result = run_example("async_service.py", docs_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith(" processors")


def test_export_csv(docs_env: FakeExtend, tmp_path: Path) -> None:
    output = tmp_path / "runs.csv"
    result = run_example("export_csv.py", docs_env, str(output), "PROCESSED")
    assert result.returncode == 0, result.stderr
    with output.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = docs_env.runs(status="PROCESSED", sort_by="createdAt")
    assert [row["id"] for row in rows] == [run["id"] for run in expected]
    assert {row["status"] for row in rows} == {"PROCESSED"}
    assert result.stdout.strip() == f"wrote {len(rows)} runs to {output}"


def test_export_csv_needs_an_output_path(docs_env: FakeExtend) -> None:
    result = run_example("export_csv.py", docs_env)
    assert result.returncode == 2
    assert "Usage" in result.stderr


def test_resume_from_checkpoint_after_a_crash(docs_env: FakeExtend, tmp_path: Path) -> None:
    output = tmp_path / "runs.jsonl"
    checkpoint = tmp_path / "runs.jsonl.checkpoint"
    # The third page fails on every attempt: the export stops and saves its checkpoint.
    docs_env.inject(Fault.rate_limited(retry_after=0), times=3, when=lambda r: r.page == 3)
    first = run_example("resume_from_checkpoint.py", docs_env, str(output))
    assert first.returncode == 1, first.stderr
    assert "stopped after 200 runs" in first.stderr
    saved = json.loads(checkpoint.read_text(encoding="utf-8"))
    assert re.fullmatch(r"[A-Za-z0-9_.=-]+", saved["checkpoint"])
    assert saved["bytes"] == output.stat().st_size
    # A killed process may have written more after its last checkpoint, even half a line.
    with output.open("a", encoding="utf-8") as sink:
        sink.write('{"id": "written after the checkpoint"}\n{"id": "half a li')

    docs_env.clear_requests()
    second = run_example("resume_from_checkpoint.py", docs_env, str(output))
    assert second.returncode == 0, second.stderr
    assert "resuming from the saved checkpoint" in second.stdout
    assert "export complete: 50 runs written in this run" in second.stdout
    assert not checkpoint.exists()
    ids = [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()]
    expected = docs_env.runs(sort_by="createdAt", sort_dir="asc")
    assert ids == [run["id"] for run in expected]  # every run once, in order
    assert len(docs_env.requests) == 1  # the failed page, fetched again


def test_tune_retries_timeouts(docs_env: FakeExtend) -> None:
    # The export's first request is rate limited once; the patient client retries it.
    docs_env.fail_next(
        1, Fault.rate_limited(retry_after=0), when=lambda r: r.query.get("maxPageSize") == "1000"
    )
    result = run_example("tune_retries_timeouts.py", docs_env)
    assert result.returncode == 0, result.stderr
    assert "Extend is reachable" in result.stdout
    assert f"listed {len(docs_env)} runs" in result.stdout
    assert "quick: read timeout 5.0 s, 0 retries" in result.stdout
    assert "patient: read timeout 120.0 s, 6 retries" in result.stdout
    assert "retrying in" in result.stderr  # the retry was logged


def test_tune_retries_timeouts_fails_fast(docs_env: FakeExtend) -> None:
    docs_env.fail_next(1, Fault.server_error(503))
    result = run_example("tune_retries_timeouts.py", docs_env)
    assert result.returncode == 1
    assert "Extend is not reachable: 503" in result.stdout
    assert len(docs_env.requests) == 1  # the quick client does not retry


def test_workflow_run_runs(docs_env: FakeExtend) -> None:
    source_id = docs_env.runs(source="WORKFLOW_RUN", internal=True)[0]["sourceId"]
    expected = docs_env.runs(
        source="WORKFLOW_RUN", source_id=source_id, sort_by="createdAt", sort_dir="asc"
    )
    result = run_example("workflow_run_runs.py", docs_env, source_id)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[-1] for line in lines[:-1]] == [run["id"] for run in expected]
    assert lines[-1].startswith(f"{len(expected)} runs (")
    assert docs_env.requests[0].query["sourceId"] == source_id


def test_workflow_run_runs_with_no_runs(docs_env: FakeExtend) -> None:
    result = run_example("workflow_run_runs.py", docs_env, "workflow_run_unknown")
    assert result.returncode == 1
    assert "no processor runs for workflow run workflow_run_unknown" in result.stdout


def _moment(wire: str) -> datetime:
    return datetime.fromisoformat(wire.replace("Z", "+00:00"))


def test_last_week_failures(docs_env: FakeExtend) -> None:
    processor_id = docs_env.runs(status="FAILED")[0]["processorId"]
    earliest = datetime.now(timezone.utc) - timedelta(days=7)
    result = run_example("last_week_failures.py", docs_env, processor_id)
    latest = datetime.now(timezone.utc) - timedelta(days=7)
    assert result.returncode == 0, result.stderr
    listed = [line.split()[2] for line in result.stdout.splitlines()[:-1]]
    failures = docs_env.runs(status="FAILED", processor_id=processor_id, sort_by="createdAt")
    must = [run["id"] for run in failures if _moment(run["createdAt"]) >= latest]
    may = [run["id"] for run in failures if _moment(run["createdAt"]) >= earliest]
    assert must and listed[: len(must)] == must and set(listed) <= set(may)
    assert result.stdout.splitlines()[-1].startswith(f"{len(listed)} failed runs of {processor_id}")
    # Only the pages of the last week (and the one that crosses into it) were requested.
    assert len(docs_env.requests) <= len(may) // 10 + 2


def test_alert_on_failures_alerts_the_backlog_oldest_first(docs_env: FakeExtend) -> None:
    # Far enough back to hold five failures: the three oldest of them are alerted first.
    fifth = _moment(docs_env.runs(status="FAILED")[4]["updatedAt"])
    hours = (datetime.now(timezone.utc) - fifth) / timedelta(hours=1) + 1
    args = ["--since-hours", f"{hours:.3f}", "--interval", "0.05", "--max-alerts", "3"]
    result = run_example("alert_on_failures.py", docs_env, *args, "--timeout", "15")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "3 alerts"
    alerted = [line.split()[3] for line in lines[:-1]]
    failed = {run["id"]: _moment(run["updatedAt"]) for run in docs_env.runs(status="FAILED")}
    assert all(
        run_id in failed and failed[run_id] >= fifth - timedelta(hours=1) for run_id in alerted
    )
    assert [failed[run_id] for run_id in alerted] == sorted(failed[run_id] for run_id in alerted)


def test_alert_on_failures_stops_at_its_timeout(docs_env: FakeExtend) -> None:
    result = run_example("alert_on_failures.py", docs_env, "--interval", "0.1", "--timeout", "0.5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["stopped after 0.5 s"]  # nothing failed meanwhile


def test_nightly_sync(docs_env: FakeExtend, tmp_path: Path) -> None:
    output, state = tmp_path / "runs.jsonl", tmp_path / "runs.state.json"
    first = run_example("nightly_sync.py", docs_env, str(output), str(state))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"{len(docs_env)} runs: ")
    assert "appended 250 runs" in first.stderr
    before = output.read_bytes()
    second = run_example("nightly_sync.py", docs_env, str(output), str(state))
    assert second.returncode == 0, second.stderr
    assert "no changes" in second.stderr and output.read_bytes() == before
    assert second.stdout == first.stdout


def test_week_dataframe(docs_env: FakeExtend) -> None:
    result = run_example("week_dataframe.py", docs_env, "7")
    assert result.returncode == 0, result.stderr
    count = int(result.stdout.split()[0])
    end = datetime.now(timezone.utc) - timedelta(days=7)
    start = end - timedelta(days=7)
    created = [_moment(run["createdAt"]) for run in docs_env.runs()]
    near = timedelta(minutes=1)  # the script read the clock a moment before this test
    assert (
        sum(start <= t < end - near for t in created)
        <= count
        <= sum(start - near <= t < end for t in created)
    )
    assert count > 0 and "failures by processor:" in result.stdout
    assert "credits by day: " in result.stdout


@pytest.mark.parametrize("name", sorted(set(SCRIPTS) - SPECIFIC) or ["(none)"])
def test_other_examples_run(name: str, docs_env: FakeExtend, tmp_path: Path) -> None:
    if name == "(none)":
        pytest.skip("every example has its own test")
    result = run_example(name, docs_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_every_specific_case_names_a_script() -> None:
    assert set(SPECIFIC) <= set(SCRIPTS)
