"""``extend-runs list`` against the fake API over a real socket."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from extend_runs import ProcessorRunSummary
from extend_runs._sender import SyncSender
from extend_runs.cli._app import cli
from extend_runs.cli._formats import CSV_COLUMNS
from extend_runs.testing import Fault
from tests.cli.conftest import ServedFake
from tests.conftest import API_KEY


def invoke(api: ServedFake, *args: str, **env: str) -> Result:
    environment = {"EXTEND_API_KEY": api.api_key, "EXTEND_BASE_URL": api.base_url, **env}
    return CliRunner().invoke(cli, ["list", *args], env=environment)


def read_ids(path: Path, output_format: str) -> list[str]:
    """The run IDs in an export, checking that the file is complete and valid."""
    text = path.read_text(encoding="utf-8")
    if output_format == "jsonl":
        return [
            ProcessorRunSummary.model_validate(json.loads(line)).id for line in text.splitlines()
        ]
    if output_format == "json":
        return [ProcessorRunSummary.model_validate(item).id for item in json.loads(text)]
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    assert [row for row in rows if row[0] == "id"] == [list(CSV_COLUMNS)]
    return [row[0] for row in rows[1:]]


def resume_checkpoint(stderr: str) -> str:
    match = re.search(r"^resume checkpoint: (\S+)$", stderr, re.MULTILINE)
    assert match, stderr
    return match.group(1)


@pytest.mark.parametrize("output_format", ["jsonl", "json", "csv"])
def test_every_run_is_exported_once_in_order(
    fake_api: ServedFake, tmp_path: Path, output_format: str
) -> None:
    target = tmp_path / f"runs.{output_format}"
    result = invoke(fake_api, "--format", output_format, "-o", str(target), "--page-size", "7")
    assert result.exit_code == 0, result.output
    assert read_ids(target, output_format) == fake_api.ids()
    assert "wrote 47 runs (7 pages)" in result.stderr


def test_stdout_defaults_to_json_lines_when_piped(fake_api: ServedFake) -> None:
    result = invoke(fake_api, "--status", "FAILED")
    assert result.exit_code == 0
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == fake_api.ids(status="FAILED")
    assert {query.get("status") for query in fake_api.queries} == {"FAILED"}


def test_output_format_follows_the_file_extension(fake_api: ServedFake, tmp_path: Path) -> None:
    target = tmp_path / "runs.csv"
    assert invoke(fake_api, "-o", str(target), "--limit", "3").exit_code == 0
    assert read_ids(target, "csv") == fake_api.ids()[:3]


def test_csv_row_holds_the_documented_columns(fake_api: ServedFake) -> None:
    result = invoke(fake_api, "--format", "csv", "--limit", "1")
    header, row = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(header) == CSV_COLUMNS
    wire = fake_api.runs()[0]
    run = ProcessorRunSummary.model_validate(wire)
    assert dict(zip(header, row)) == {
        "id": wire["id"],
        "status": wire["status"],
        "type": wire.get("type", ""),
        "processor_id": wire["processorId"],
        "processor_name": wire["processorName"],
        "processor_version_id": wire["processorVersionId"],
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "credits": str(wire["usage"]["credits"]) if "usage" in wire else "",
    }


def test_json_to_stdout_is_one_array(fake_api: ServedFake) -> None:
    result = invoke(fake_api, "--format", "json", "--limit", "12")
    assert [item["id"] for item in json.loads(result.stdout)] == fake_api.ids()[:12]


def test_table_shows_runs(fake_api: ServedFake) -> None:
    result = invoke(fake_api, "--format", "table", "--limit", "4")
    assert result.exit_code == 0
    assert "Status" in result.stdout
    for run_id in fake_api.ids()[:4]:
        assert run_id in result.stdout
    assert fake_api.ids()[4] not in result.stdout


def test_every_filter_reaches_the_server(fake_api: ServedFake) -> None:
    result = invoke(
        fake_api,
        "--status", "FAILED",
        "--processor-id", "dp_1",
        "--processor-type", "SPLITTER",
        "--source-id", "workflow_run_9",
        "--source", "WORKFLOW_RUN",
        "--file-name-contains", "invoice",
        "--sort-by", "createdAt",
        "--sort-dir", "asc",
        "--page-size", "50",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert fake_api.queries[0] == {
        "status": "FAILED",
        "processorId": "dp_1",
        "processorType": "SPLITTER",
        "sourceId": "workflow_run_9",
        "source": "WORKFLOW_RUN",
        "fileNameContains": "invoice",
        "sortBy": "createdAt",
        "sortDir": "asc",
        "maxPageSize": "50",
    }


def test_limit_stops_the_listing(fake_api: ServedFake) -> None:
    result = invoke(fake_api, "--limit", "15", "--page-size", "10")
    assert len(result.stdout.splitlines()) == 15
    assert len(fake_api.queries) == 2


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--status", "failed"], ["'--status'", "FAILED", "CANCELLED"]),
        (["--processor-type", "extract"], ["'--processor-type'", "EXTRACT", "SPLITTER"]),
        (["--source", "api"], ["'--source'", "API", "WORKFLOW_RUN"]),
        (["--sort-by", "created_at"], ["'--sort-by'", "createdAt", "updatedAt"]),
        (["--sort-dir", "DESC"], ["'--sort-dir'", "asc", "desc"]),
        (["--format", "xml"], ["'--format'", "table", "jsonl", "csv"]),
        (["--page-size", "0"], ["'--page-size'", "1<=x<=1000"]),
        (["--page-size", "1001"], ["'--page-size'", "1<=x<=1000"]),
        (["--limit", "-1"], ["'--limit'", "x>=0"]),
        (["--max-retries", "-1"], ["'--max-retries'", "x>=0"]),
        (["--timeout", "0"], ["'--timeout'", "x>0"]),
        (["--processor-id", ""], ["'--processor-id'"]),
        (["--cursor", ""], ["'--cursor'"]),
        (["--append"], ["--append", "--output"]),
        (["--base-url", "ftp://example.com"], ["base_url"]),
        (["--base-url", "http://example.com"], ["--allow-insecure-http"]),
    ],
)
def test_bad_option_is_a_usage_error_naming_what_is_allowed(
    fake_api: ServedFake, args: list[str], named: list[str]
) -> None:
    result = invoke(fake_api, *args)
    assert result.exit_code == 2
    for text in named:
        assert text in result.stderr
    assert "Traceback" not in result.output
    assert fake_api.queries == []


def test_missing_api_key_is_a_usage_error(fake_api: ServedFake) -> None:
    result = CliRunner().invoke(cli, ["list"], env={"EXTEND_BASE_URL": fake_api.base_url})
    assert result.exit_code == 2
    assert "EXTEND_API_KEY" in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert fake_api.queries == []


def test_api_error_is_one_line_with_status_code_message_and_request_id(
    fake_api: ServedFake,
) -> None:
    secret = fake_api.api_key
    fake_api.fail_page(
        1, Fault.http_error(401, code="UNAUTHORIZED", message=f"Key {secret} is\nnot valid.")
    )
    result = invoke(fake_api)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert re.fullmatch(
        r"extend-runs: error: HTTP 401 UNAUTHORIZED: Key \[redacted\] is not valid\. "
        r"\(requestId: req_\w+\)",
        line,
    ), line
    assert secret not in result.output


def test_connection_refused_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        cli,
        ["list", "--max-retries", "0"],
        env={"EXTEND_API_KEY": API_KEY, "EXTEND_BASE_URL": f"http://127.0.0.1:{port}"},
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("extend-runs: error: APIConnectionError: Connection error")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_timeout_is_one_line(silent_server: str) -> None:
    result = CliRunner().invoke(
        cli,
        ["list", "--max-retries", "0", "--timeout", "0.2"],
        env={"EXTEND_API_KEY": API_KEY, "EXTEND_BASE_URL": silent_server},
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("extend-runs: error: APITimeoutError: Request timed out")


def test_bad_server_answer_is_one_line(fake_api: ServedFake) -> None:
    fake_api.fail_page(1, Fault.malformed_json())
    result = invoke(fake_api, "--max-retries", "0")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("extend-runs: error: APIResponseValidationError: ")


@pytest.mark.parametrize("output_format", ["jsonl", "json", "csv"])
def test_failed_export_resumes_with_no_run_lost_or_repeated(
    fake_api: ServedFake, tmp_path: Path, output_format: str
) -> None:
    target = tmp_path / f"runs.{output_format}"
    fake_api.fail_page(3, Fault.drop_connection())
    first = invoke(
        fake_api,
        "-o",
        str(target),
        "--page-size",
        "5",
        "--max-retries",
        "0",
        "--sort-by",
        "createdAt",
    )
    assert first.exit_code == 1
    assert "APIConnectionError" in first.stderr
    assert "10 runs (2 pages) written" in first.stderr
    assert read_ids(target, output_format) == fake_api.ids()[:10]
    checkpoint = resume_checkpoint(first.stderr)
    assert f"--resume {shlex.quote(checkpoint)} --append" in first.stderr

    second = invoke(
        fake_api, "-o", str(target), "--page-size", "5", "--sort-by", "createdAt",
        "--resume", checkpoint, "--append",
    )  # fmt: skip
    assert second.exit_code == 0, second.output
    assert read_ids(target, output_format) == fake_api.ids()


class _InterruptAt:
    """Raises KeyboardInterrupt, as Ctrl-C would, when page ``at`` is requested."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: int) -> None:
        self.calls = 0
        original = SyncSender.get_page

        def get_page(sender: SyncSender, query: dict[str, Any], **options: Any) -> Any:
            self.calls += 1
            if self.calls == at:
                raise KeyboardInterrupt
            return original(sender, query, **options)

        monkeypatch.setattr(SyncSender, "get_page", get_page)


@pytest.mark.parametrize("output_format", ["jsonl", "json", "csv"])
def test_interrupted_export_prints_the_cursor_and_resumes_into_a_second_file(
    fake_api: ServedFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    first_file = tmp_path / f"first.{output_format}"
    second_file = tmp_path / f"second.{output_format}"
    with monkeypatch.context() as patch:
        _InterruptAt(patch, at=4)
        first = invoke(fake_api, "-o", str(first_file), "--page-size", "6")
    assert first.exit_code == 130
    assert "interrupted; 18 runs (3 pages) written" in first.stderr
    checkpoint = resume_checkpoint(first.stderr)

    second = invoke(fake_api, "-o", str(second_file), "--page-size", "6", "--resume", checkpoint)
    assert second.exit_code == 0
    union = read_ids(first_file, output_format) + read_ids(second_file, output_format)
    assert union == fake_api.ids()


def test_interrupt_with_a_limit_resumes_to_the_same_total(
    fake_api: ServedFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        _InterruptAt(patch, at=2)
        result = invoke(fake_api, "--page-size", "10", "--limit", "25", "--format", "jsonl")
    assert result.exit_code == 130
    checkpoint = resume_checkpoint(result.stderr)
    # The checkpoint counts the runs already written: the same --limit finishes the job.
    assert f"--resume {shlex.quote(checkpoint)} --limit 25" in result.stderr
    assert len(result.stdout.splitlines()) == 10
    rest = invoke(
        fake_api, "--page-size", "10", "--limit", "25", "--format", "jsonl", "--resume", checkpoint
    )
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines() + rest.stdout.splitlines()]
    assert ids == fake_api.ids()[:25]


def test_a_page_cursor_still_starts_a_listing_and_the_hint_says_to_drop_it(
    fake_api: ServedFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _second_page_cursor(fake_api)
    with monkeypatch.context() as patch:
        _InterruptAt(patch, at=2)
        result = invoke(fake_api, "--page-size", "5", "--cursor", token, "--format", "jsonl")
    assert result.exit_code == 130
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == fake_api.ids()[5:10]
    assert "run the same command without --cursor, with: --resume" in result.stderr


def test_resume_and_cursor_together_are_refused(fake_api: ServedFake) -> None:
    result = invoke(fake_api, "--resume", "c1.x", "--cursor", "t")
    assert result.exit_code == 2 and "--resume and --cursor" in result.stderr


def test_a_checkpoint_of_another_listing_is_refused(fake_api: ServedFake) -> None:
    result = invoke(fake_api, "--resume", "not-a-checkpoint")
    assert result.exit_code == 2 and "'--resume'" in result.stderr


def test_interrupt_before_any_page_says_to_start_over(
    fake_api: ServedFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    _InterruptAt(monkeypatch, at=1)
    result = invoke(fake_api, "--format", "json")
    assert result.exit_code == 130
    assert json.loads(result.stdout) == []
    assert "run the same command again" in result.stderr


def test_append_refuses_a_file_that_is_not_a_json_array(
    fake_api: ServedFake, tmp_path: Path
) -> None:
    target = tmp_path / "notes.json"
    target.write_text('{"not": "an array"}\n')
    result = invoke(fake_api, "-o", str(target), "--append", "--cursor", "5")
    assert result.exit_code == 2
    assert "cannot --append" in result.stderr
    assert target.read_text() == '{"not": "an array"}\n'


def test_api_key_is_never_printed(fake_api: ServedFake) -> None:
    secret = fake_api.api_key
    result = CliRunner().invoke(cli, ["list", "--help"], env={"EXTEND_API_KEY": secret})
    assert secret not in result.output
    result = invoke(fake_api, "--limit", "1")
    assert secret not in result.output


def _second_page_cursor(fake_api: ServedFake) -> str:
    from extend_runs import Client

    with Client(api_key=fake_api.api_key, base_url=fake_api.base_url) as client:
        token = client.list_processor_runs_page(max_page_size=5).next_page_token
    assert token is not None
    return token
