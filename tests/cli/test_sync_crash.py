"""``extend-runs sync`` killed with SIGKILL at random moments, again and again, while runs
change: no run's final state may ever be missing from the file, which stays valid JSON Lines.

Run with ``pytest -s`` to see the figures: kills, runs lost, repeated records.
"""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from extend_runs.testing import FakeExtend
from tests.cli.conftest import CLI, ServedFake, cli_environment

SEED = 20261201
LOOP_SECONDS = 12.0
"""How long the kill loop runs; the whole test stays under about 20 s."""
RUNS = 1500
PAGE_SIZE = "25"


@pytest.fixture
def busy() -> Iterator[ServedFake]:
    fake = FakeExtend(runs=RUNS, seed=4)  # the wall clock: changes land after every run
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


class _Changer:
    """Changes runs on the fake from a thread while syncs run: new runs, new statuses."""

    def __init__(self, fake: FakeExtend, rng: random.Random) -> None:
        self._fake = fake
        self._rng = rng
        self._ids = [run["id"] for run in fake.runs()]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.changes = 0

    def burst(self, count: int) -> None:
        for _ in range(count):
            if self._rng.random() < 0.15:
                self._ids.append(self._fake.create_run("PENDING")["id"])
            else:
                status = self._rng.choice(["PROCESSING", "PROCESSED", "FAILED", "CANCELLED"])
                self._fake.update_run(self._rng.choice(self._ids), status)
            self.changes += 1

    def _loop(self) -> None:
        while not self._stop.wait(0.004):  # a steady trickle of changes, not a wait for one
            self.burst(1)

    def __enter__(self) -> _Changer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _complete_records(path: Path) -> list[tuple[str, str]]:
    """The records of every complete line (a killed sync may leave half of one at the end)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")[:-1]  # whatever follows the last newline is torn
    return [(record["id"], record["updatedAt"]) for record in map(json.loads, lines)]


def _normal(key: tuple[str, str]) -> tuple[str, datetime]:
    """A run version, however its time is written (``...:05Z``, ``...:05.000000Z``)."""
    run_id, moment = key
    return run_id, datetime.fromisoformat(moment.replace("Z", "+00:00"))


def test_sync_killed_at_random_moments_loses_nothing(busy: ServedFake, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    target, state = tmp_path / "runs.jsonl", tmp_path / "state.json"
    command = [*CLI, "sync", "-o", str(target), "--state", str(state), "--page-size", PAGE_SIZE]
    environment = cli_environment(busy)
    kills = syncs = torn = 0
    largest_repeat = 0
    deadline = time.monotonic() + LOOP_SECONDS
    with _Changer(busy.fake, rng) as changer:
        while time.monotonic() < deadline:
            changer.burst(rng.randrange(0, 40))
            before = Counter(_normal(key) for key in _complete_records(target))
            size = target.stat().st_size if target.exists() else 0
            process = subprocess.Popen(
                command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            syncs += 1
            if rng.random() < 0.5:
                # Anywhere: while starting, listing, writing, saving the state, or not at all.
                try:
                    process.wait(timeout=rng.uniform(0.0, 0.9))
                except subprocess.TimeoutExpired:
                    process.kill()
            else:
                # While appending: once the file grows, a moment later.
                bound = time.monotonic() + 5
                while process.poll() is None and time.monotonic() < bound:
                    if target.exists() and target.stat().st_size > size:
                        time.sleep(rng.uniform(0.0, 0.03))
                        break
                    time.sleep(0.001)
                process.kill()
            _, stderr = process.communicate(timeout=30)
            if process.returncode == -9:
                kills += 1
            else:
                assert process.returncode == 0, stderr.decode()
            torn += b"incomplete record" in stderr
            after = Counter(_normal(key) for key in _complete_records(target))
            repeated = sum(count for key, count in (after - before).items() if key in before)
            largest_repeat = max(largest_repeat, repeated)

    # No more changes: one sync to completion, then one that must append nothing.
    final = subprocess.run(command, env=environment, capture_output=True, timeout=60)
    assert final.returncode == 0, final.stderr.decode()
    torn += b"incomplete record" in final.stderr
    text = target.read_text(encoding="utf-8")
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]  # valid JSON Lines throughout
    written = Counter(_normal((record["id"], record["updatedAt"])) for record in records)
    final_states = {_normal((run["id"], run["updatedAt"])) for run in busy.runs()}
    lost = final_states - set(written)
    again = subprocess.run(command, env=environment, capture_output=True, timeout=60)
    assert again.returncode == 0 and target.read_text(encoding="utf-8") == text

    repeated_total = sum(written.values()) - len(written)
    print(
        f"\nkill -9 loop: {syncs} syncs, {kills} killed with SIGKILL, {changer.changes} "
        f"changes to {len(final_states)} runs while they ran; runs lost: {len(lost)}; "
        f"repeated records: {repeated_total} in all, at most {largest_repeat} after one "
        f"kill; torn last records repaired: {torn}"
    )
    assert kills >= 10
    assert not lost, sorted(lost)[:5]
