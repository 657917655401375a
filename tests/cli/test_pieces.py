"""The command line's parts: JSON append, deferred Ctrl-C, progress, entry point."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
from rich.console import Console

from extend_runs import ProcessorRunSummary
from extend_runs.cli import INSTALL_HINT, main
from extend_runs.cli._export import ExportState, ListingProgress, interrupts_deferred
from extend_runs.cli._formats import AppendError, JsonArrayWriter, reopen_json_array
from tests.conftest import run_json

RUNS = [ProcessorRunSummary.model_validate(run_json(i)) for i in range(3)]


def write_array(path: Path, pages: list[list[ProcessorRunSummary]], *, close: bool = True) -> None:
    continuing: Optional[bool] = reopen_json_array(str(path))
    with open(path, "a", encoding="utf-8") as stream:
        writer = JsonArrayWriter(stream, continuing=continuing)
        for page in pages:
            writer.write_page(page)
        if close:
            writer.close()


def ids(path: Path) -> list[str]:
    return [item["id"] for item in json.loads(path.read_text())]


def test_json_array_is_valid_after_every_close(tmp_path: Path) -> None:
    target = tmp_path / "runs.json"
    write_array(target, [])
    assert json.loads(target.read_text()) == []
    write_array(target, [RUNS[:1], []])
    write_array(target, [RUNS[1:]])
    assert ids(target) == [run.id for run in RUNS]


def test_json_array_left_open_by_a_killed_process_is_continued(tmp_path: Path) -> None:
    target = tmp_path / "runs.json"
    write_array(target, [RUNS[:2]], close=False)
    with pytest.raises(json.JSONDecodeError):
        json.loads(target.read_text())
    write_array(target, [RUNS[2:]])
    assert ids(target) == [run.id for run in RUNS]


@pytest.mark.parametrize("content", ['{"id": 1}\n', "1, 2]\n", "[1, 2] x\n"])
def test_json_append_refuses_other_files(tmp_path: Path, content: str) -> None:
    target = tmp_path / "other.json"
    target.write_text(content)
    with pytest.raises(AppendError):
        reopen_json_array(str(target))
    assert target.read_text() == content


def test_ctrl_c_waits_for_the_block_to_finish() -> None:
    finished = []

    def write_page() -> None:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            finished.append("page written")

    with pytest.raises(KeyboardInterrupt):
        write_page()
    assert finished == ["page written"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_progress_shows_runs_pages_and_rate_on_a_terminal() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    state = ExportState(resume_token=None, runs=1500, pages=3)
    with ListingProgress(console, total=None) as progress:
        assert progress.enabled
        progress.update(state)
    shown = screen.getvalue()
    assert "1,500 runs" in shown
    assert "3 pages" in shown
    assert "runs/s" in shown


@pytest.mark.parametrize(("terminal", "enabled"), [(False, True), (True, False)])
def test_progress_is_off_off_a_terminal_or_when_quiet(terminal: bool, enabled: bool) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=terminal)
    with ListingProgress(console, enabled=enabled) as progress:
        progress.update(ExportState(resume_token=None, runs=10, pages=1))
    assert not progress.enabled
    assert screen.getvalue() == ""


def test_main_without_click_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "click", None)
    with pytest.raises(SystemExit) as exit_info:
        main(["list"])
    assert exit_info.value.code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert INSTALL_HINT in line
    assert INSTALL_HINT == "pip install 'extend-runs[cli]'"


def test_the_sdk_and_the_cli_package_import_without_click_or_rich() -> None:
    # httpx itself imports click and rich when they are installed (for its own command),
    # so the check is that our modules work with both absent, not that they stay unloaded.
    code = (
        "import sys; sys.modules['click'] = sys.modules['rich'] = None; "
        "import extend_runs, extend_runs.cli; "
        "from extend_runs.cli import main; main(['--help'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert INSTALL_HINT in done.stderr
