"""``extend-runs list`` time windows, fetching options and page sizes, as a real process."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from extend_runs.cli._app import cli
from extend_runs.cli._options import parse_moment
from extend_runs.testing import FakeExtend, Fault
from tests.cli.conftest import ServedFake, run_cli

FIELDS = {"created": "createdAt", "updated": "updatedAt"}


def _moment(wire: str) -> datetime:
    return datetime.fromisoformat(wire.replace("Z", "+00:00"))


def _in_window(
    api: ServedFake, field: str, since: datetime | None, before: datetime | None
) -> list[dict[str, Any]]:
    """Brute force: the full listing by ``field``, newest first, filtered to the window."""
    return [
        run
        for run in api.runs(sort_by=field)
        if (since is None or _moment(run[field]) >= since)
        and (before is None or _moment(run[field]) < before)
    ]


def invoke(api: ServedFake, *args: str) -> Result:
    """The command in this process, output piped (not a terminal)."""
    environment = {"EXTEND_API_KEY": api.api_key, "EXTEND_BASE_URL": api.base_url}
    return CliRunner().invoke(cli, list(args), env=environment)


def _ids(stdout: str) -> list[str]:
    return [json.loads(line)["id"] for line in stdout.splitlines()]


@pytest.mark.parametrize(
    ("prefix", "bounds"),
    [("created", ("since",)), ("created", ("since", "before")), ("updated", ("before",))],
)
def test_a_window_lists_exactly_its_runs_and_reads_only_its_pages(
    recent: ServedFake, prefix: str, bounds: tuple[str, ...]
) -> None:
    field = FIELDS[prefix]
    stamps = sorted(_moment(run[field]) for run in recent.runs())
    # Bounds on existing timestamps, so "since" is inclusive and "before" exclusive for real.
    since = stamps[-40] if "since" in bounds else None
    before = stamps[-12] if "before" in bounds else None
    args = []
    if since is not None:
        args += [f"--{prefix}-since", since.isoformat().replace("+00:00", "Z")]
    if before is not None:
        args += [f"--{prefix}-before", before.astimezone(timezone(timedelta(hours=2))).isoformat()]
    done = run_cli(recent, "list", *args, "--page-size", "10")
    assert done.returncode == 0, done.stderr
    expected = _in_window(recent, field, since, before)
    assert expected
    assert _ids(done.stdout) == [run["id"] for run in expected]
    assert {query["sortBy"] for query in recent.queries} == {field}
    if since is not None:
        # Newest first, no page after the one that crosses "since" is requested.
        assert len(recent.queries) == (len(_in_window(recent, field, since, None)) // 10) + 1


def test_an_age_means_now_minus_that(recent: ServedFake) -> None:
    earliest = datetime.now(timezone.utc) - timedelta(days=7)
    done = run_cli(recent, "list", "--created-since", "7d", "--format", "jsonl")
    latest = datetime.now(timezone.utc) - timedelta(days=7)
    assert done.returncode == 0, done.stderr
    ids = _ids(done.stdout)
    # The command read the clock between the two readings above.
    must = [run["id"] for run in _in_window(recent, "createdAt", latest, None)]
    may = [run["id"] for run in _in_window(recent, "createdAt", earliest, None)]
    assert must and ids[: len(must)] == must and set(ids) <= set(may)


def test_ages_in_every_unit() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    assert parse_moment("7d", now) == now - timedelta(days=7)
    assert parse_moment("12h", now) == now - timedelta(hours=12)
    assert parse_moment("30m", now) == now - timedelta(minutes=30)
    assert parse_moment("90s", now) == now - timedelta(seconds=90)
    assert parse_moment("2w", now) == now - timedelta(weeks=2)
    assert parse_moment("2026-11-30T08:00:00-01:00") == datetime(
        2026, 11, 30, 9, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--created-since", "last tuesday"], ["'--created-since'", "7d", "ISO-8601"]),
        (["--updated-before", "2026-11-30T00:00:00"], ["'--updated-before'"]),
        (
            ["--created-since", "7d", "--updated-before", "1d"],
            ["'--created-since'", "--updated-before", "one time window"],
        ),
        (["--created-since", "1d", "--created-before", "2d"], ["'--created-since'", "earlier"]),
        (["--partition-by", "status,colour"], ["'--partition-by'", "processor_type"]),
        (["--max-requests-per-second", "0"], ["'--max-requests-per-second'"]),
    ],
)
def test_bad_window_or_fetching_option_is_a_usage_error_naming_it(
    recent: ServedFake, args: list[str], named: list[str]
) -> None:
    result = invoke(recent, "list", *args)
    assert result.exit_code == 2, result.output
    for text in named:
        assert text in result.stderr
    assert "Traceback" not in result.output
    assert recent.queries == []


def test_a_bad_age_stops_the_real_process_before_any_request(recent: ServedFake) -> None:
    done = run_cli(recent, "list", "--updated-since", "3 days")
    assert done.returncode == 2
    assert "Invalid value for '--updated-since'" in done.stderr
    assert "Traceback" not in done.stderr
    assert recent.queries == []


def test_partitioned_prefetched_and_paced_listings_export_the_same_runs(
    recent: ServedFake, tmp_path: Path
) -> None:
    since = sorted(run["createdAt"] for run in recent.runs())[-60]
    expected = [run["id"] for run in recent.runs(sort_by="createdAt") if run["createdAt"] >= since]
    target = tmp_path / "runs.jsonl"
    done = run_cli(
        recent, "list", "--created-since", since, "--partition-by", "status,source",
        "--page-size", "7", "-o", str(target),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(record["id"] for record in records) == sorted(expected)
    created = [record["createdAt"] for record in records]
    assert created == sorted(created, reverse=True)
    assert {query.get("status") for query in recent.queries} > {"FAILED", "PROCESSED"}

    recent.fake.clear_requests()
    starts: list[float] = []
    recent.fake.inject(
        Fault.server_error(500),
        times=None,
        when=lambda _: starts.append(time.monotonic()) and False,
    )
    done = run_cli(
        recent, "list", "--created-since", since, "--prefetch", "--page-size", "15",
        "--max-requests-per-second", "20",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _ids(done.stdout) == expected
    assert len(starts) == 5
    # 20 a second: 5 request starts span at least 0.2 s (arrival jitter aside).
    assert starts[-1] - starts[0] > 0.15


@pytest.mark.parametrize(
    ("args", "page_size"),
    [
        ([], "1000"),
        (["--format", "csv"], "1000"),
        (["--format", "table"], "1000"),  # a table into a pipe
        (["--page-size", "7"], "7"),
        (["--limit", "30"], "30"),
    ],
)
def test_a_whole_export_asks_for_1000_runs_a_page(
    recent: ServedFake, args: list[str], page_size: str
) -> None:
    result = invoke(recent, "list", "--status", "FAILED", *args)
    assert result.exit_code == 0, result.output
    assert recent.queries[0]["maxPageSize"] == page_size


@pytest.fixture(scope="module")
def slow_api() -> Iterator[ServedFake]:
    """A fake taking 40 ms over every page, as a far-away API does."""
    fake = FakeExtend(runs=300, seed=3, latency=0.04)
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


def _senders(caplog: pytest.LogCaptureFixture) -> set[str]:
    """The threads that sent the CLI's requests, from the SDK's own debug log."""
    return {
        record.threadName for record in caplog.records if "/processor_runs" in record.getMessage()
    }


@pytest.mark.parametrize(
    ("flags", "ahead"),
    [((), True), (("--prefetch",), True), (("--no-prefetch",), False), (("--limit", "200"), False)],
)
def test_a_whole_export_fetches_ahead_by_itself_on_a_slow_api_unless_told_not_to(
    slow_api: ServedFake,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    flags: tuple[str, ...],
    ahead: bool,
) -> None:
    caplog.set_level(logging.DEBUG, logger="extend_runs")
    output = tmp_path / "runs.jsonl"
    result = invoke(slow_api, "list", "--page-size", "20", "-o", str(output), *flags)
    assert result.exit_code == 0, result.output
    expected = slow_api.ids()[: 200 if "--limit" in flags else None]
    assert [json.loads(line)["id"] for line in output.read_text().splitlines()] == expected
    assert (_senders(caplog) != {threading.current_thread().name}) is ahead


def test_partition_by_auto_exports_the_same_runs(recent: ServedFake, tmp_path: Path) -> None:
    expected = [run["id"] for run in recent.runs(sort_by="createdAt")]
    target = tmp_path / "runs.jsonl"
    done = run_cli(
        recent, "list", "--partition-by", "auto", "--sort-by", "createdAt",
        "--page-size", "20", "--max-requests-per-second", "1000000", "-o", str(target),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(record["id"] for record in records) == sorted(expected)
    created = [record["createdAt"] for record in records]
    assert created == sorted(created, reverse=True)
    assert {query.get("status") for query in recent.queries} > {"FAILED", "PROCESSED"}
    assert any("source" in query for query in recent.queries)  # a status was split
