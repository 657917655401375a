"""The fake Extend API served on a real socket for the command-line tests."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest

from extend_runs.testing import FakeExtend, Fault

TOTAL_RUNS = 47
"""Runs in the fake: pages of 5, 6, 7 or 10 all leave a short last page."""


@dataclass
class ServedFake:
    """A ``FakeExtend`` and the base URL it is served at."""

    fake: FakeExtend
    base_url: str

    @property
    def api_key(self) -> str:
        return self.fake.api_key

    def runs(self, **filters: Any) -> list[dict[str, Any]]:
        """What a full listing with these filters returns, in order."""
        return self.fake.runs(**filters)

    def ids(self, **filters: Any) -> list[str]:
        return [run["id"] for run in self.fake.runs(**filters)]

    @property
    def queries(self) -> list[dict[str, str]]:
        """The query of every request received, oldest first."""
        return [request.query for request in self.fake.requests]

    def fail_page(self, page: int, fault: Fault) -> None:
        """Answer the first request for ``page`` of a listing with ``fault``."""
        self.fake.inject(fault, when=lambda request: request.page == page)


@pytest.fixture(scope="module")
def _served_fake() -> Iterator[ServedFake]:
    fake = FakeExtend(runs=TOTAL_RUNS, seed=11)
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


@pytest.fixture
def fake_api(_served_fake: ServedFake) -> ServedFake:
    """The served fake with no faults armed and no requests recorded."""
    _served_fake.fake.clear_faults()
    _served_fake.fake.clear_requests()
    return _served_fake


def cli_environment(api: ServedFake, **extra: str) -> dict[str, str]:
    """The environment of a real ``extend-runs`` process pointed at ``api``."""
    src = Path(__file__).resolve().parents[2] / "src"
    path = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONPATH": path,
        "EXTEND_API_KEY": api.api_key,
        "EXTEND_BASE_URL": api.base_url,
        **extra,
    }


CLI = [sys.executable, "-m", "extend_runs.cli"]
"""The command line of a real ``extend-runs`` process."""


def run_cli(
    api: ServedFake, *args: str, timeout: float = 60, **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run ``extend-runs ARGS`` to completion as a real process, output piped."""
    return subprocess.run(
        [*CLI, *args],
        env=cli_environment(api, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def recent_api() -> Iterator[ServedFake]:
    """A served fake on the wall clock: 600 runs over the last 90 days, so that windows such
    as "the last 7 days" hold runs."""
    fake = FakeExtend(runs=600, seed=23)
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


@pytest.fixture
def recent(recent_api: ServedFake) -> ServedFake:
    recent_api.fake.clear_faults()
    recent_api.fake.clear_requests()
    return recent_api


class LiveCli:
    """A real ``extend-runs`` process that keeps running: read its lines as they come,
    then stop it with SIGINT as Ctrl-C would."""

    def __init__(self, api: ServedFake, *args: str, stderr: Path, **extra: str) -> None:
        self._stderr_path = stderr
        self._stderr = stderr.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [*CLI, *args],
            env=cli_environment(api, **extra),
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def lines(self, count: int, timeout: float = 15.0) -> list[str]:
        """The next ``count`` lines of stdout; fails if they do not come within ``timeout``."""
        deadline = time.monotonic() + timeout
        found: list[str] = []
        while len(found) < count:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"waited {timeout} s for {count} lines, got {found}") from None
            if line is None:
                raise AssertionError(f"the process ended after {found}: {self.stderr()}")
            found.append(line)
        return found

    def interrupt(self, timeout: float = 15.0) -> int:
        """Send SIGINT and wait for the process to end; its exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def wait(self, timeout: float = 15.0) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self.close()

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self._stderr_path.read_text(encoding="utf-8")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        if not self._stderr.closed:
            self._stderr.close()
