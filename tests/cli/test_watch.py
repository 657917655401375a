"""``extend-runs watch`` as a real process, while this test changes runs on the served fake."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from extend_runs import Client, ProcessorRunSummary
from extend_runs.cli._formats import ChangeWriter
from extend_runs.testing import FakeExtend, Fault
from tests.cli.conftest import LiveCli, ServedFake, run_cli

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
LATER = START + timedelta(hours=1)
"""The fake's clock once the test starts changing runs: after every generated run."""


@pytest.fixture
def changing() -> Iterator[ServedFake]:
    clock = [START]
    fake = FakeExtend(runs=120, seed=5, now=lambda: clock[-1])
    clock.append(LATER)
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


def _change(line: str) -> tuple[str, datetime]:
    return _key(json.loads(line))


def _key(record: dict[str, Any]) -> tuple[str, datetime]:
    """A change: the run's id and when it changed (however the time is written)."""
    return record["id"], datetime.fromisoformat(record["updatedAt"].replace("Z", "+00:00"))


def _checkpoint(stderr: str) -> str:
    match = re.search(r"^resume checkpoint: ([A-Za-z0-9_.=-]+)$", stderr, re.MULTILINE)
    assert match, stderr
    return match.group(1)


def test_watch_prints_each_change_once_survives_failures_and_resumes(
    changing: ServedFake, tmp_path: Path
) -> None:
    fake = changing.fake
    backlog = [fake.create_run("PROCESSING"), fake.create_run("PENDING")]
    unchanged = {run["id"] for run in fake.runs()} - {run["id"] for run in backlog}
    # The first two polls fail with 503 (no retries here): warnings, and the watch goes on.
    fake.inject(Fault.server_error(503), times=2)
    since = LATER.isoformat().replace("+00:00", "Z")
    args = ("watch", "--since", since, "--interval", "0.05", "-f", "jsonl", "--max-retries", "0")
    watch = LiveCli(changing, *args, stderr=tmp_path / "first.err")
    try:
        first = sorted(_change(line) for line in watch.lines(2))  # they share a timestamp
        assert first == sorted(_key(run) for run in backlog)
        failed = fake.update_run(backlog[0]["id"], "FAILED")
        created = fake.create_run("PROCESSING")
        then = sorted(_change(line) for line in watch.lines(2))
        assert then == sorted(_key(run) for run in (failed, created))
        assert watch.interrupt() == 130
    finally:
        watch.close()
    stderr = watch.stderr()
    assert len(re.findall(r"^extend-runs: warning: watch: a poll failed .*503", stderr, re.M)) == 2
    assert "Traceback" not in stderr
    checkpoint = _checkpoint(stderr)
    assert f"--resume {checkpoint}" in stderr
    assert not unchanged & {run_id for run_id, _ in first + then}

    # Changes made while no watch runs come first when it resumes, and nothing is repeated.
    done = fake.update_run(created["id"], "PROCESSED")
    resumed = LiveCli(
        changing, "watch", "--interval", "0.05", "-f", "jsonl", "--resume", checkpoint,
        stderr=tmp_path / "second.err",
    )  # fmt: skip
    try:
        assert [_change(line) for line in resumed.lines(1)] == [_key(done)]
        assert resumed.interrupt() == 130
    finally:
        resumed.close()


def test_watch_ends_on_an_error_retrying_cannot_fix(changing: ServedFake) -> None:
    done = run_cli(changing, "watch", "--interval", "0.05", EXTEND_API_KEY="sk_wrong")
    assert done.returncode == 1
    assert re.fullmatch(r"extend-runs: error: HTTP 401 \S+: .+\n", done.stderr), done.stderr
    assert done.stdout == ""


def test_watch_refuses_a_checkpoint_of_other_filters(changing: ServedFake) -> None:
    with Client(api_key=changing.api_key, base_url=changing.base_url) as client:
        checkpoint = client.watch_processor_runs(status="FAILED").checkpoint
    done = run_cli(changing, "watch", "--status", "PENDING", "--resume", checkpoint)
    assert done.returncode == 2
    assert "Invalid value for '--resume'" in done.stderr


def test_table_format_is_one_line_per_change() -> None:
    run = ProcessorRunSummary.model_validate(
        {
            "id": "dpr_1",
            "status": "FAILED",
            "processorId": "dp_1",
            "processorName": "Invoice Extractor",
            "processorVersionId": "dpv_1",
            "type": "EXTRACT",
            "createdAt": "2026-12-01T09:00:00Z",
            "updatedAt": "2026-12-01T09:30:05.120Z",
        }
    )
    stream = io.StringIO()
    writer = ChangeWriter(stream, "table")
    writer.console = Console(file=stream, width=40, highlight=False, soft_wrap=True)
    writer.write(run)
    assert stream.getvalue() == (
        "2026-12-01 09:30:05  FAILED      dpr_1  Invoice Extractor (EXTRACT)\n"
    )
