"""Listings interrupted at random moments, run in a process of their own.

Usage: ``python -m tests.listing.interrupted TECHNIQUE MODE SEED...``, where TECHNIQUE is
``timer`` or ``lines``, MODE a key of ``drive.MODES``, and a SEED ending in ``:off``
has the collector turned off first, as a caller may. For each seed it lists the
fake's runs through interrupts and prints one JSON line: how many interrupts were
raised, whether the runs were exactly the plain listing's, and the collector's state
before and after. Seeds whose line is missing did not finish (a deadlock): a process of
their own keeps such a listing, and the lock it holds, away from every other test.

``timer``: a thread sends SIGINT to the main thread (``_thread.interrupt_main()``) at
seeded random moments while it iterates. The handler raises ``KeyboardInterrupt`` only
when the main thread is outside this test package: an interrupt landing in the test's
own loop body (between the pager handing a run over and the test recording it) would
lose a run the pager did hand over, which is the caller's affair and not what is
tested. It is skipped instead; the next one comes soon after.

``lines``: a timer lands where the main thread spends its time, mostly inside long C
calls (parsing a page). The windows that matter are a few bytecodes wide (between moving
the cursor and handing the page over; between turning the collector off and the ``try``
that turns it back on). A trace function reaches them by raising ``KeyboardInterrupt``
at seeded random lines of the SDK, each line about as likely as any other however
often it runs, as a signal landing there would.
"""

from __future__ import annotations

import _thread
import gc
import json
import random
import signal
import sys
import threading
import time
from collections import Counter
from types import FrameType
from typing import Any, Optional

from extend_runs import ProcessorRunSummary
from extend_runs.testing import FakeExtend

from .drive import MODES, Driver, assert_same_listing, difference, ids

RUNS = {"timer": 12000, "lines": 1500}
"""Runs of the fake for each technique..."""
PAGE = {"timer": 1000, "lines": 100}
"""...and the page size: big pages for the timer, many small ones for the lines."""

MOST_INTERRUPTS = 150
"""Timer interrupts one listing gets at most..."""
INTERRUPT_FOR = 5.0
"""...and seconds during which they may come."""
MOST_LINE_INTERRUPTS = 2000
"""A bound on the iterations of a listing interrupted at random lines."""


class Unfinished(Exception):
    """The listing was still not over after the most iterations allowed."""


class Interrupter:
    """Interrupts the main thread at random moments, from a thread of its own."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="interrupter", daemon=True)
        self.armed = False
        """Whether interrupts raise: only while the test iterates."""
        self.raised = 0

    def _run(self) -> None:
        deadline = time.monotonic() + INTERRUPT_FOR
        rng = self._rng
        for _ in range(MOST_INTERRUPTS):
            # Mostly one interrupt now and then; sometimes a second close behind it, as
            # when Ctrl-C is pressed twice, so that one lands in the cleanup of the first.
            pause = (
                rng.uniform(0.00002, 0.0004) if rng.random() < 0.3 else rng.uniform(0.0001, 0.004)
            )
            if self._stop.wait(pause) or time.monotonic() > deadline:
                return
            _thread.interrupt_main()

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if not self.armed or frame is None:
            return
        name = str(frame.f_globals.get("__name__", ""))
        if name == __name__ or name.startswith("tests."):
            return  # the test's own bookkeeping: see the module docstring
        self.raised += 1
        raise KeyboardInterrupt

    def __enter__(self) -> Interrupter:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.armed = False
        self._stop.set()
        self._thread.join()
        signal.signal(signal.SIGINT, self._previous)


def drain_through_interrupts(pager: Any, interrupter: Interrupter) -> list[ProcessorRunSummary]:
    """Iterate ``pager`` to its end, iterating it again after each interrupt."""
    got: list[ProcessorRunSummary] = []
    for _ in range(MOST_INTERRUPTS + 2):
        interrupter.armed = True
        try:
            for run in pager:
                got.append(run)
        except KeyboardInterrupt:
            continue
        interrupter.armed = False
        return got
    raise Unfinished


class LineInterrupter:
    """Raises ``KeyboardInterrupt`` at random lines of the SDK run by the main thread.

    A line that has run ``n`` times so far is picked with probability ``rate / n``, so a
    line run once per page gets about as many interrupts as one run once per run. Python
    drops a trace function that raises, so each interrupt ends the tracing:
    :meth:`arm` starts it again for the next iteration.
    """

    def __init__(self, seed: int, rate: float = 0.05) -> None:
        self._rng = random.Random(seed)
        self._rate = rate
        self._counts: dict[tuple[Any, int], int] = {}
        self.raised = 0

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("extend_runs") and not name.startswith("extend_runs.testing"):
            return self._line
        return None

    def _line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            where = (frame.f_code, frame.f_lineno)
            count = self._counts[where] = self._counts.get(where, 0) + 1
            if self._rng.random() < self._rate / count:
                self.raised += 1
                raise KeyboardInterrupt
        return self._line

    def arm(self) -> None:
        sys.settrace(self._global)

    @staticmethod
    def disarm() -> None:
        sys.settrace(None)


def drain_through_line_interrupts(
    pager: Any, interrupter: LineInterrupter
) -> list[ProcessorRunSummary]:
    """Iterate ``pager`` to its end, iterating it again after each interrupt."""
    got: list[ProcessorRunSummary] = []
    previous = sys.gettrace()
    try:
        for _ in range(MOST_LINE_INTERRUPTS):
            interrupter.arm()
            try:
                for run in pager:
                    got.append(run)
            except KeyboardInterrupt:
                continue
            finally:
                interrupter.disarm()
            return got
        raise Unfinished
    finally:
        sys.settrace(previous)


def listing(technique: str, mode: str, seed: int) -> dict[str, Any]:
    fake = FakeExtend(RUNS[technique], seed=9, distribution="even")
    expected = [run["id"] for run in fake.runs()]
    gc_before = gc.isenabled()
    pager = (
        Driver("sync")
        .client(fake, mode)
        .list_processor_runs(max_page_size=PAGE[technique], **MODES[mode])
    )
    if technique == "timer":
        with Interrupter(seed) as timer:
            got = drain_through_interrupts(pager, timer)
        raised = timer.raised
    else:
        lines = LineInterrupter(seed)
        got = drain_through_line_interrupts(pager, lines)
        raised = lines.raised
    gc_after = gc.isenabled()
    try:
        assert_same_listing(got, expected, mode)
        problem = ""
    except AssertionError as error:
        if Counter(ids(got)) == Counter(expected):
            problem = f"the same runs in another order ({error})"
        else:
            problem = difference(ids(got), expected)
    return {
        "seed": seed,
        "raised": raised,
        "problem": problem,
        "gc_before": gc_before,
        "gc_after": gc_after,
    }


def main(argv: list[str]) -> None:
    technique, mode, *seeds = argv
    for text in seeds:
        seed, _, state = text.partition(":")
        if state == "off":
            gc.disable()
        print(json.dumps({"arg": text, **listing(technique, mode, int(seed))}), flush=True)
        gc.enable()


if __name__ == "__main__":
    main(sys.argv[1:])
