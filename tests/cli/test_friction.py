"""What got in a new user's way on the command line, each checked on a real process."""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import pty
import re
import resource
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from extend_runs.testing import FakeExtend, Fault
from tests.cli.conftest import CLI, ServedFake, cli_environment, run_cli

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_no_resume_hint_after_an_error_retrying_cannot_fix(
    fake_api: ServedFake, status: int
) -> None:
    fake_api.fail_page(2, Fault.http_error(status))
    done = run_cli(fake_api, "list", "--page-size", "5", "--format", "jsonl")
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()  # the error, and no advice to resume into it again
    assert line.startswith(f"extend-runs: error: HTTP {status}")
    assert len(done.stdout.splitlines()) == 5


def test_one_page_is_one_page(fake_api: ServedFake, tmp_path: Path) -> None:
    done = run_cli(fake_api, "list", "--limit", "3", "-o", str(tmp_path / "runs.jsonl"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("wrote 3 runs (1 page) to " + str(tmp_path / "runs.jsonl"))


def test_a_resumed_json_export_is_one_clean_array(fake_api: ServedFake, tmp_path: Path) -> None:
    target = tmp_path / "runs.json"
    fake_api.fail_page(3, Fault.drop_connection())
    args = ["list", "-o", str(target), "--page-size", "5", "--sort-by", "createdAt"]
    first = run_cli(fake_api, *args, "--max-retries", "0")
    assert first.returncode == 1
    checkpoint = re.search(r"^resume checkpoint: (\S+)$", first.stderr, re.M)
    assert checkpoint
    second = run_cli(fake_api, *args, "--resume", checkpoint.group(1), "--append")
    assert second.returncode == 0, second.stderr
    text = target.read_text()
    assert [run["id"] for run in json.loads(text)] == fake_api.ids(sort_by="createdAt")
    lines = text.splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    # One run per line, each but the last followed by its comma: no line of a lone comma.
    assert all(line.startswith('{"id"') for line in lines[1:-1]), text


def test_a_bad_answer_is_one_line_and_the_resume_hint(fake_api: ServedFake) -> None:
    fake_api.fail_page(2, Fault.malformed_json())
    done = run_cli(fake_api, "list", "--page-size", "5", "--max-retries", "0", "--format", "csv")
    assert done.returncode == 1
    # Ours only: a child measured for coverage adds its own complaint when the file-size
    # limit stops it saving its data.
    ours = ("extend-runs:", "resume checkpoint:")
    error, hint, checkpoint = [line for line in done.stderr.splitlines() if line.startswith(ours)]
    assert error.startswith("extend-runs: error: APIResponseValidationError: ")
    assert "5 runs (1 page) written; to resume, run the same command with: --resume" in hint
    assert checkpoint.startswith("resume checkpoint: ")
    assert "Traceback" not in done.stderr


def _limit_file_size(limit: int) -> None:
    """In the child: writes past ``limit`` bytes fail with EFBIG, as on a full quota."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_is_one_line_unless_debugging(
    fake_api: ServedFake, tmp_path: Path, debug: bool
) -> None:
    target = tmp_path / "runs.jsonl"
    done = subprocess.run(
        [*CLI, "list", "--page-size", "5", "-o", str(target), *(["--debug"] if debug else [])],
        env=cli_environment(fake_api),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: _limit_file_size(2500),  # about two pages of runs
    )
    assert done.returncode == 1
    if debug:
        assert "Traceback (most recent call last)" in done.stderr
        assert "File too large" in done.stderr
        return
    # Ours only: a child measured for coverage adds its own complaint when the file-size
    # limit stops it saving its data.
    ours = ("extend-runs:", "resume checkpoint:")
    error, hint, checkpoint = [line for line in done.stderr.splitlines() if line.startswith(ours)]
    assert error == "extend-runs: error: File too large"
    assert re.search(r"\d+ runs \(\d+ pages?\) written; to resume, .* --append$", hint), hint
    assert checkpoint.startswith("resume checkpoint: ")


class _Terminal:
    """A real process whose standard output is a terminal 160 columns wide."""

    def __init__(self, api: ServedFake, *args: str) -> None:
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        environment = cli_environment(api, TERM="xterm-256color")
        environment.pop("COLUMNS", None)
        self.process = subprocess.Popen(
            [*CLI, *args], env=environment, stdout=slave, stderr=subprocess.PIPE
        )
        os.close(slave)
        self.text = ""

    def read_until(self, done: object, timeout: float = 15.0) -> str:
        """Read the terminal until ``done(text)`` is true or the process has closed it."""
        deadline = time.monotonic() + timeout
        while not done(self.text):  # type: ignore[operator]
            left = deadline - time.monotonic()
            assert left > 0, f"waited {timeout} s; the terminal shows:\n{self.text}"
            ready, _, _ = select.select([self._master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # the process ended and closed the terminal
                break
            if not chunk:
                break
            self.text += _ANSI.sub("", chunk.decode("utf-8", "replace"))
        return self.text

    def finish(self) -> tuple[int, str]:
        self.read_until(lambda text: False)  # to the end: the terminal closes with the process
        _, stderr = self.process.communicate(timeout=30)
        os.close(self._master)
        return self.process.returncode, stderr.decode()


def test_a_terminal_table_streams_rows_as_pages_arrive(fake_api: ServedFake) -> None:
    second_page = threading.Event()
    # The server holds its answer to page 2 until the rows of page 1 are on the screen.
    fake_api.fake.inject(
        Fault.delay(0), when=lambda request: request.page == 2 and not second_page.wait(15)
    )
    ids = fake_api.ids()
    terminal = _Terminal(fake_api, "list", "--page-size", "10", "--limit", "30")
    try:
        shown = terminal.read_until(lambda text: ids[9] in text)
        assert all(run_id in shown for run_id in ids[:10])
        assert ids[10] not in shown and terminal.process.poll() is None
    finally:
        second_page.set()
    status, stderr = terminal.finish()
    assert status == 0, stderr
    assert all(run_id in terminal.text for run_id in ids[:30]) and ids[30] not in terminal.text
    assert "Status" in terminal.text.splitlines()[0]


def test_a_terminal_table_shows_the_first_50_and_says_how_to_see_more(
    recent: ServedFake,
) -> None:
    terminal = _Terminal(recent, "list", "--status", "PROCESSED")
    status, stderr = terminal.finish()
    assert status == 0, stderr
    ids = recent.ids(status="PROCESSED")
    rows = [line for line in terminal.text.splitlines() if line.startswith("dpr_")]
    assert [row.split()[0] for row in rows] == ids[:50]
    assert "showing the first 50 runs; use --limit N for more" in stderr
    assert [query.get("maxPageSize") for query in recent.queries] == ["50"]

    piped = run_cli(recent, "list", "--status", "PROCESSED", "--format", "table")
    assert all(run_id in piped.stdout for run_id in ids)  # a pipe gets every run
    assert f"{len(ids):,} runs" in piped.stdout and "showing the first" not in piped.stderr


@pytest.mark.parametrize(
    ("args", "page_size"),
    [
        (["-o", "runs.jsonl"], "1000"),
        (["-o", "runs.csv"], "1000"),
        ([], "1000"),  # jsonl into a pipe
        (["--format", "json"], "1000"),
        (["--format", "csv"], "1000"),
        (["--format", "table"], "1000"),  # a table into a pipe holds every run
        (["--format", "csv", "--page-size", "7"], "7"),
        (["--format", "csv", "--limit", "30"], "30"),
    ],
)
def test_a_whole_export_asks_for_1000_runs_a_page_in_a_real_process(
    fake_api: ServedFake, tmp_path: Path, args: list[str], page_size: str
) -> None:
    args = [str(tmp_path / arg) if arg.startswith("runs.") else arg for arg in args]
    done = run_cli(fake_api, "list", *args)
    assert done.returncode == 0, done.stderr
    assert {query.get("maxPageSize") for query in fake_api.queries} == {page_size}


def test_sync_asks_for_1000_runs_a_page_in_a_real_process(
    fake_api: ServedFake, tmp_path: Path
) -> None:
    target, state = tmp_path / "runs.jsonl", tmp_path / "runs.state.json"
    done = run_cli(fake_api, "sync", "-o", str(target), "--state", str(state))
    assert done.returncode == 0, done.stderr
    assert len(target.read_text().splitlines()) == len(fake_api.ids())
    assert [query.get("maxPageSize") for query in fake_api.queries] == ["1000"]


def test_page_size_help_says_what_each_command_asks_for(fake_api: ServedFake) -> None:
    def page_size_help(command: str) -> str:
        done = run_cli(fake_api, command, "--help")
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        first = next(i for i, line in enumerate(lines) if "--page-size" in line)
        rest = itertools.takewhile(
            lambda line: not line.lstrip().startswith("-"), lines[first + 1 :]
        )
        return " ".join(" ".join([lines[first], *rest]).split())

    assert "[default: 1000 for a whole export; with --limit N" in page_size_help("list")
    assert "[default: 1000]" in page_size_help("sync")
    assert "[default: the server's 10]" in page_size_help("watch")


@pytest.fixture(scope="module")
def big_api() -> Iterator[ServedFake]:
    fake = FakeExtend(runs=1500, seed=5)
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


@pytest.mark.parametrize(("flag", "ahead"), [("--prefetch", True), ("--no-prefetch", False)])
def test_prefetch_fetches_the_next_page_while_a_page_is_being_written(
    big_api: ServedFake, flag: str, ahead: bool
) -> None:
    big_api.fake.clear_requests()

    # Nobody reads the pipe at first: writing the first page (about 150 KB of JSON Lines)
    # fills it and blocks. Only a prefetching export asks for page 2 in the meantime.
    def requests() -> int:
        return len(big_api.fake.requests)

    with subprocess.Popen(
        [*CLI, "list", "--page-size", "500", "--format", "jsonl", flag],
        env=cli_environment(big_api),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not requests():
                time.sleep(0.05)
            assert requests() >= 1, "the export never started"
            deadline = time.monotonic() + (15 if ahead else 1.5)
            while time.monotonic() < deadline and requests() < 2:
                time.sleep(0.05)
            assert requests() == (2 if ahead else 1)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, stderr.decode()
    assert [json.loads(line)["id"] for line in stdout.decode().splitlines()] == big_api.ids()


class _BadGzipOnPage2(BaseHTTPRequestHandler):
    """Serves page 1 of two; page 2 says its body is gzip and sends plain JSON."""

    def do_GET(self) -> None:
        second = "nextPageToken" in self.path
        run = {
            "id": "dpr_2" if second else "dpr_1",
            "status": "FAILED",
            "processorId": "dp_1",
            "processorName": "Invoices",
            "processorVersionId": "dpv_1",
            "createdAt": "2026-11-17T22:41:05Z",
            "updatedAt": "2026-11-17T22:41:39Z",
        }
        body = {"success": True, "processorRuns": [run], "nextPageToken": None if second else "p2"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if second:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_undecodable_body_is_one_line_and_the_resume_hint(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadGzipOnPage2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = ServedFake(FakeExtend(0), f"http://127.0.0.1:{server.server_address[1]}")
        done = run_cli(api, "list", "--max-retries", "0", "--format", "jsonl")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert done.returncode == 1
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["dpr_1"]
    ours = ("extend-runs:", "resume checkpoint:")
    error, hint, checkpoint = [line for line in done.stderr.splitlines() if line.startswith(ours)]
    assert error.startswith("extend-runs: error: APIConnectionError: The response body could not")
    assert "1 run (1 page) written; to resume, run the same command with: --resume" in hint
    assert checkpoint.startswith("resume checkpoint: ")
    assert "Traceback" not in done.stderr
