"""What got in a new user's way on the command line, each checked on a real process."""

from __future__ import annotations

import fcntl
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
from pathlib import Path

import pytest

from extend_runs.testing import Fault
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
