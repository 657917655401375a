"""The testing kit as users meet it: the program without its extra, async fixtures, reprs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from extend_runs import Client
from extend_runs.testing import FakeExtend

SECRET = "sk_live_do_not_print_9f8e7d"


def test_recorded_requests_show_the_key_redacted_in_their_repr() -> None:
    fake = FakeExtend(5, api_key=SECRET)
    with httpx.Client(transport=fake.transport()) as http:
        Client(api_key=SECRET, base_url=fake.base_url, http_client=http).list_processor_runs_page()
    fake.handle("GET", "/processor_runs", "", {"Authorization": SECRET, "Cookie": SECRET})
    first, second = fake.requests
    assert first.headers["authorization"] == f"Bearer {SECRET}"  # still there to check
    for shown in (repr(first), str(first), repr(fake.requests), repr(second)):
        assert SECRET not in shown
    assert "'authorization': 'Bearer [redacted]'" in repr(first)
    assert "'x-extend-api-version': '2025-04-21'" in repr(first)
    assert "'authorization': '[redacted]', 'cookie': '[redacted]'" in repr(second)
    # Nor in the message of a failing assertion about it.
    with pytest.raises(AssertionError) as failure:
        assert first.status_code == 500, first
    assert SECRET not in str(failure.value)


def test_the_program_without_the_testing_extra_says_what_to_install(tmp_path: Path) -> None:
    # A package named uvicorn that fails to import, first on the path: as if not installed.
    shim = tmp_path / "uvicorn"
    shim.mkdir()
    (shim / "__init__.py").write_text("raise ImportError(\"No module named 'uvicorn'\")\n")
    path = [str(tmp_path), os.environ.get("PYTHONPATH", ""), *sys.path]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
    result = subprocess.run(
        [sys.executable, "-m", "extend_runs.testing", "--runs", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "pip install 'extend-runs[testing]'" in lines[0]
    assert "Traceback" not in result.stderr


USER_TEST = """\
import pytest


@pytest.mark.{marker}
async def test_async(async_extend_client, extend_fake):
    page = await async_extend_client.list_processor_runs_page(max_page_size=3)
    assert [run.id for run in page.processor_runs] == [
        run["id"] for run in extend_fake.runs()[:3]
    ]
"""


@pytest.mark.parametrize(
    ("marker", "options"),
    [
        ("asyncio", ["-o", "asyncio_mode=strict"]),  # pytest-asyncio, as docs/testing.md shows
        ("anyio", ["-p", "no:asyncio"]),  # anyio's plugin alone
    ],
)
def test_the_async_fixture_with_the_documented_markers(
    tmp_path: Path, marker: str, options: list[str]
) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST.format(marker=marker))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "1 passed" in result.stdout, result.stdout + result.stderr
