"""The export loop: whole pages out, the resume cursor kept in step with what was written."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Optional

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from .._models import ProcessorRunSummary
from .._pagination import ProcessorRunPager
from ._formats import PageWriter


@dataclass
class ExportState:
    """How far an export got.

    ``checkpoint`` is the listing's checkpoint after the last page written: the value to
    pass as ``--resume`` to continue exactly there. ``resume_token`` is the cursor of the
    first page not yet written. Both are ``None`` when the export started from the
    beginning and nothing has been written yet; ``resume_token`` also once the listing is
    complete.
    """

    resume_token: Optional[str]
    checkpoint: Optional[str] = None
    runs: int = 0
    pages: int = 0
    done: bool = False
    started: float = field(default_factory=time.perf_counter)

    @property
    def runs_per_second(self) -> float:
        elapsed = time.perf_counter() - self.started
        return self.runs / elapsed if elapsed > 0 else 0.0


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C back until the block ends, then raise it.

    Writing a page and moving the resume cursor past it happen together or not at all.
    Outside the main thread signals cannot be handled, and the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def remember(signum: int, frame: Optional[FrameType]) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, remember)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            raise KeyboardInterrupt


class ListingProgress:
    """A live line on stderr: runs, pages, runs per second and time elapsed.

    It draws nothing unless ``console`` is a terminal and ``enabled`` is true.
    """

    def __init__(
        self, console: Console, total: Optional[int] = None, *, enabled: bool = True
    ) -> None:
        self._progress: Optional[Progress] = None
        if not (enabled and console.is_terminal):
            return
        columns: list[ProgressColumn] = [
            SpinnerColumn(),
            TextColumn("{task.completed:,.0f} runs"),
            TextColumn("[dim]{task.fields[pages]:,} pages"),
            TextColumn("{task.fields[rate]:,.0f} runs/s", style="progress.data.speed"),
            TimeElapsedColumn(),
        ]
        if total is not None:
            columns.insert(1, BarColumn())
        self._progress = Progress(*columns, console=console, transient=False)
        self._task = self._progress.add_task("listing", total=total, pages=0, rate=0.0)

    @property
    def enabled(self) -> bool:
        """Whether anything is drawn."""
        return self._progress is not None

    def __enter__(self) -> ListingProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, state: ExportState) -> None:
        """Show the state after a page."""
        if self._progress is not None:
            self._progress.update(
                self._task, completed=state.runs, pages=state.pages, rate=state.runs_per_second
            )


def export(
    pager: ProcessorRunPager,
    writer: PageWriter,
    state: ExportState,
    progress: Optional[ListingProgress] = None,
    *,
    batch_size: Optional[int] = None,
) -> None:
    """Write every page of ``pager`` with ``writer``, updating ``state`` after each page.

    A partitioned listing has no pages of its own (its runs are merged across
    partitions): give ``batch_size`` and its runs are written that many at a time.
    On an error or Ctrl-C the exception propagates and ``state`` says where to resume:
    every page before ``state.resume_token`` has been written whole, none after.
    """
    partitioned = batch_size is not None
    batches = _batches(pager, batch_size) if batch_size is not None else _pages(pager)
    for runs in batches:
        with interrupts_deferred():
            writer.write_page(runs)
            state.runs += len(runs)
            state.pages += 0 if partitioned else 1
            state.resume_token = None if partitioned else pager.next_page_token
            state.checkpoint = pager.checkpoint
        if progress is not None:
            progress.update(state)
    state.done = True
    state.resume_token = None


def _pages(pager: ProcessorRunPager) -> Iterator[list[ProcessorRunSummary]]:
    for page in pager.pages():
        yield page.processor_runs


def _batches(pager: ProcessorRunPager, size: int) -> Iterator[list[ProcessorRunSummary]]:
    batch: list[ProcessorRunSummary] = []
    for run in pager:
        batch.append(run)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
