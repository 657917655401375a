"""The commands as a user meets them: help, a real process, the demo."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from extend_runs.cli._app import cli
from extend_runs.testing import FakeExtend, Fault
from tests.cli.conftest import ServedFake


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], ["list", "demo", "extend-runs demo", "EXTEND_API_KEY", "130"]),
        (
            ["list"],
            [
                "--status [PENDING|PROCESSING|PROCESSED|FAILED|CANCELLED]",
                "--cursor TOKEN",
                "--format [table|json|jsonl|csv]",
                "--append",
                "EXTEND_BASE_URL",
                "Examples:",
            ],
        ),
        (["demo"], ["--runs", "--seed", "no account"]),
    ],
)
def test_help_describes_each_command(command: list[str], expected: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0
    for text in expected:
        assert text in result.output


def _environment(api: ServedFake) -> dict[str, str]:
    src = Path(__file__).resolve().parents[2] / "src"
    path = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONPATH": path,
        "EXTEND_API_KEY": api.api_key,
        "EXTEND_BASE_URL": api.base_url,
    }


def test_runs_as_a_real_process(fake_api: ServedFake) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "extend_runs.cli", "list", "--status", "PENDING"],
        env=_environment(fake_api),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == fake_api.ids(
        status="PENDING"
    )
    assert done.stderr == ""


def test_a_real_process_reports_an_api_error_without_a_traceback(fake_api: ServedFake) -> None:
    fake_api.fail_page(1, Fault.server_error(502, html=True))
    done = subprocess.run(
        [sys.executable, "-m", "extend_runs.cli", "list", "--max-retries", "0"],
        env=_environment(fake_api),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert re.fullmatch(r"extend-runs: error: HTTP 502( \w+)?: .+\n", done.stderr), done.stderr


def test_console_script_prints_its_version() -> None:
    script = shutil.which("extend-runs", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the extend-runs console script is not installed here")
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run(
        [script, "--version"], env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert re.match(r"extend-runs, version \S+", done.stdout)


def test_demo_lists_and_counts_runs_with_no_account() -> None:
    result = CliRunner().invoke(cli, ["demo", "--runs", "120", "--seed", "4", "--show", "5"])
    assert result.exit_code == 0, result.output
    fake = FakeExtend(runs=120, seed=4)
    assert "The 5 newest runs" in result.output
    assert fake.runs(sort_by="createdAt")[0]["id"] in result.output
    for status in ("PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"):
        count = len(fake.runs(status=status))
        assert re.search(rf"{status}\W+{count}\b", result.output), (status, count)
    assert re.search(r"Total\W+120\b", result.output)


def test_demo_needs_no_uvicorn() -> None:
    code = (
        "import sys; sys.modules['uvicorn'] = None; "
        "from extend_runs.cli import main; main(['demo', '--runs', '30', '--show', '3'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment_without_api(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Total" in done.stdout


def _environment_without_api() -> dict[str, str]:
    src = Path(__file__).resolve().parents[2] / "src"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("EXTEND_")}
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(src), os.environ.get("PYTHONPATH")])
    )
    return environment
