"""Ctrl-C at random moments, and the garbage collector: nothing lost, nothing left changed.

The interrupted listings run in processes of their own (``interrupted.py`` says how they
are interrupted, and why): a listing that deadlocks after an interrupt, holding a lock
every later listing needs, must fail its test, not hang the whole run.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extend_runs.testing import FakeExtend

from .drive import MODES, Driver

ROOT = Path(__file__).resolve().parents[2]

HANG_AFTER = 60.0
"""Seconds after which a process of interrupted listings is taken to be deadlocked;
the slowest needs a few seconds."""

SEEDS = ["0", "1", "2", "7:off"]
"""Three listings with the collector on, one with the caller's collector off."""

PROCESSES = [
    ("timer", "plain"),
    ("timer", "prefetch"),
    ("lines", "plain"),
    ("lines", "prefetch"),
    ("lines", "status"),
    ("lines", "auto"),
]


@pytest.fixture(scope="module")
def interrupted() -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """Every interrupted listing's outcome, by (technique, mode) then seed.

    The processes run at the same time; a seed missing from a result did not finish.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    started = {
        key: subprocess.Popen(
            [sys.executable, "-m", "tests.listing.interrupted", *key, *SEEDS],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key in PROCESSES
    }
    results: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for key, process in started.items():
        try:
            out, err = process.communicate(timeout=HANG_AFTER)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        results[key] = {line["arg"]: line for line in lines}
        results[key]["stderr"] = {"text": err[-2000:]}
    return results


def outcome(results: Any, technique: str, mode: str, seed: str) -> dict[str, Any]:
    found = results[(technique, mode)]
    assert seed in found, (
        f"the {technique} {mode} listing {seed} did not finish: deadlocked or crashed\n"
        f"{found['stderr']['text']}"
    )
    assert found[seed]["raised"] > 0  # else it proved nothing
    return found[seed]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("technique", "mode"), PROCESSES)
def test_random_interrupts_neither_lose_nor_repeat_a_run(
    interrupted: Any, technique: str, mode: str, seed: str
) -> None:
    assert outcome(interrupted, technique, mode, seed)["problem"] == ""


@pytest.mark.parametrize(("technique", "mode"), PROCESSES)
def test_random_interrupts_leave_the_collector_enabled(
    interrupted: Any, technique: str, mode: str
) -> None:
    for seed in SEEDS[:3]:
        result = outcome(interrupted, technique, mode, seed)
        assert result["gc_before"] is True
        assert result["gc_after"] is True, f"seed {seed} left the collector off"


@pytest.mark.parametrize(("technique", "mode"), PROCESSES)
def test_a_callers_gc_disable_survives_random_interrupts(
    interrupted: Any, technique: str, mode: str
) -> None:
    result = outcome(interrupted, technique, mode, "7:off")
    assert result["gc_before"] is False
    assert result["gc_after"] is False


# -- without interrupts, in this process -------------------------------------

RUNS = 3000
PAGE = 500


@pytest.fixture(scope="module")
def fake() -> FakeExtend:
    return FakeExtend(RUNS, seed=9, distribution="even")


@pytest.fixture
def collector() -> Iterator[None]:
    """Put the collector back as it was, whatever the test did to it."""
    was_enabled = gc.isenabled()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()


@pytest.mark.parametrize("mode", ["plain", "prefetch", "status", "auto"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_callers_gc_disable_stays_in_force_through_a_listing(
    fake: FakeExtend, collector: None, kind: str, mode: str
) -> None:
    driver = Driver(kind)
    gc.disable()
    pager = driver.client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    states: list[bool] = []
    if driver.is_async:

        async def main() -> None:
            async for _ in pager:
                states.append(gc.isenabled())

        asyncio.run(main())
    else:
        for _ in pager:
            states.append(gc.isenabled())
    assert len(states) == RUNS
    assert not any(states)
    assert not gc.isenabled()


@pytest.mark.parametrize("mode", ["prefetch", "status", "auto"])
def test_a_gc_disable_made_while_pages_are_parsed_elsewhere_stays_in_force(
    fake: FakeExtend, collector: None, mode: str
) -> None:
    # The caller turns the collector off in the middle of the loop, while the listing's
    # own threads parse the next pages; none of them may turn it back on.
    gc.enable()
    pager = Driver("sync").client(fake, mode).list_processor_runs(max_page_size=PAGE, **MODES[mode])
    got: list[str] = []
    turned_back_on: list[int] = []
    for number, run in enumerate(pager):
        got.append(run.id)
        if number == 7:
            gc.disable()
        elif number > 7 and gc.isenabled():
            turned_back_on.append(number)
            gc.disable()
    assert sorted(got) == sorted(run["id"] for run in fake.runs())
    assert turned_back_on == []
    assert not gc.isenabled()
