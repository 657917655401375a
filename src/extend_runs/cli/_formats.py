"""Output formats: each writer takes whole pages and leaves its output valid after each one."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import IO, Any, Optional, Union

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._columns import COLUMN_NAMES, COLUMNS
from .._models import ProcessorRunSummary

FORMATS = ("table", "json", "jsonl", "csv")
"""The values of ``--format``."""

WATCH_FORMATS = ("table", "jsonl")
"""The values of ``extend-runs watch --format``."""

SYNC_FORMATS = ("jsonl", "csv")
"""The values of ``extend-runs sync --format``: formats that can be appended to."""

CSV_COLUMNS = COLUMN_NAMES
"""The header row of ``--format csv``, in order: the same columns as ``to_pandas()``."""

_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}

STATUS_STYLES = {
    "PENDING": "yellow",
    "PROCESSING": "cyan",
    "PROCESSED": "green",
    "FAILED": "bold red",
    "CANCELLED": "dim",
}
"""How the table colours each status."""


class AppendError(Exception):
    """An ``--append`` target that this format cannot continue."""


def default_format(output: Optional[str], stdout_is_terminal: bool) -> str:
    """The format when ``--format`` is not given: from the file's extension, else by where
    the output goes (a table on a terminal, JSON Lines otherwise)."""
    if output is not None and output != "-":
        return _EXTENSIONS.get(os.path.splitext(output)[1].lower(), "jsonl")
    return "table" if stdout_is_terminal else "jsonl"


def default_watch_format(stdout_is_terminal: bool) -> str:
    """A watch prints lines for people on a terminal and JSON Lines anywhere else."""
    return "table" if stdout_is_terminal else "jsonl"


def run_record(run: ProcessorRunSummary) -> dict[str, Any]:
    """A run as JSON: the API's own camelCase shape, with any fields the server added."""
    return run.model_dump(mode="json", by_alias=True)


def _csv_cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "time":
        return str(value.isoformat())
    if kind == "number":
        return repr(value)
    return str(value)


def csv_row(run: ProcessorRunSummary) -> list[str]:
    """A run as one row of :data:`CSV_COLUMNS`."""
    return [_csv_cell(column.kind, column.value(run)) for column in COLUMNS]


class PageWriter:
    """Writes whole pages of runs to a text stream, flushing after each page.

    Each page is formatted first and written with one call, so whatever the stream
    holds after a page is complete.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write_page(self, runs: Sequence[ProcessorRunSummary]) -> None:
        """Write every run of one page, then flush."""
        text = self.format_page(runs)
        if text:
            self.stream.write(text)
        self.stream.flush()

    def format_page(self, runs: Sequence[ProcessorRunSummary]) -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (a closing bracket, a table); safe to call more than once."""
        self.stream.flush()


class JsonLinesWriter(PageWriter):
    """One JSON object per line."""

    def format_page(self, runs: Sequence[ProcessorRunSummary]) -> str:
        return "".join(json.dumps(run_record(run), ensure_ascii=False) + "\n" for run in runs)


class CsvWriter(PageWriter):
    """CSV with a header row, unless it continues a file that already has one."""

    def __init__(self, stream: IO[str], *, header: bool = True) -> None:
        super().__init__(stream)
        if header:
            self.stream.write(self._rows([list(CSV_COLUMNS)]))
            self.stream.flush()

    @staticmethod
    def _rows(rows: list[list[str]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue()

    def format_page(self, runs: Sequence[ProcessorRunSummary]) -> str:
        return self._rows([csv_row(run) for run in runs])


class JsonArrayWriter(PageWriter):
    """One JSON array, one run per line; the closing bracket is written by :meth:`close`.

    The command closes the writer however the listing ends (done, failed, interrupted),
    so the file is a valid array holding every page written. ``continuing`` is what
    :func:`reopen_json_array` returned: ``None`` starts a new array, ``False`` continues
    an open empty one, ``True`` an open one that holds runs.
    """

    def __init__(self, stream: IO[str], *, continuing: Optional[bool] = None) -> None:
        super().__init__(stream)
        self._empty = not continuing
        self._closed = False
        if continuing is None:
            self.stream.write("[")
            self.stream.flush()

    def format_page(self, runs: Sequence[ProcessorRunSummary]) -> str:
        text = "".join(
            ("\n" if self._empty and index == 0 else ",\n")
            + json.dumps(run_record(run), ensure_ascii=False)
            for index, run in enumerate(runs)
        )
        if runs:
            self._empty = False
        return text

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.stream.write("]\n" if self._empty else "\n]\n")
        super().close()


def reopen_json_array(path: str) -> Optional[bool]:
    """Open the array in ``path`` for more runs: cut its closing bracket off.

    Returns ``None`` when the file is empty or missing (start a new array), ``False``
    for an empty array and ``True`` for one that holds runs. An array whose bracket
    was never written (the process was killed) is continued as it is.

    Raises:
        AppendError: the file does not end like a JSON array of objects.
    """
    try:
        with open(path, "rb") as file:
            head = file.read(4096).lstrip()
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - 4096))
            tail = file.read()
    except FileNotFoundError:
        return None
    stripped = tail.rstrip()
    if not stripped:
        if size > len(tail):
            raise AppendError(f"{path} does not end like a JSON array")
        return None
    if not head.startswith(b"["):
        raise AppendError(f"{path} does not hold a JSON array")
    last = stripped[-1:]
    if last == b"]":
        stripped = stripped[:-1].rstrip()
        last = stripped[-1:]
    # Cut right after the last run (or the opening bracket), whitespace included, so the
    # next run's ",\n" follows it directly: no line holding a lone comma.
    end = size - len(tail) + len(stripped)
    if last not in (b"[", b"}"):
        raise AppendError(f"{path} does not end like a JSON array written by extend-runs")
    with open(path, "r+b") as file:
        file.truncate(end)
    return last == b"}"


class TableWriter(PageWriter):
    """A Rich table, drawn once the listing ends (its column widths need every row)."""

    def __init__(self, stream: IO[str], console: Optional[Console] = None) -> None:
        super().__init__(stream)
        if console is None:
            # Off a terminal Rich would squeeze the table into 80 columns.
            console = Console(file=stream, width=None if stream.isatty() else 160)
        self.console = console
        self._rows: list[ProcessorRunSummary] = []
        self._closed = False

    def write_page(self, runs: Sequence[ProcessorRunSummary]) -> None:
        self._rows.extend(runs)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.console.print(runs_table(self._rows, width=self.console.width))
        super().close()


class StreamingTableWriter(PageWriter):
    """A table on a terminal, its rows printed as each page arrives.

    The column widths come from the first page (an id longer than those pushes its row
    out a little) instead of from every row, so nothing waits for the whole listing.
    """

    _PROCESSOR_WIDTH = 28

    def __init__(self, stream: IO[str], console: Optional[Console] = None) -> None:
        super().__init__(stream)
        self.console = console or Console(file=stream, highlight=False)
        self._id_width: Optional[int] = None
        self._rows = 0
        self._closed = False

    def write_page(self, runs: Sequence[ProcessorRunSummary]) -> None:
        if not runs:
            return
        wide = self.console.width >= 120
        if self._id_width is None:
            self._id_width = max(2, *(len(run.id) for run in runs))
            self._print(self._header(wide))
        for run in runs:
            self._print(self._row(run, wide))
        self._rows += len(runs)
        self.stream.flush()

    def _print(self, line: Text) -> None:
        self.console.print(line, no_wrap=True, overflow="ellipsis", crop=True)

    def _cells(self, wide: bool, cells: list[Union[str, Text]]) -> Text:
        widths = [self._id_width or 2, 10] + ([8] if wide else [])
        widths += [self._PROCESSOR_WIDTH, 19 if wide else 16]
        widths += [19, 7] if wide else []
        line = Text()
        for index, (cell, width) in enumerate(zip(cells, widths)):
            text = cell if isinstance(cell, Text) else Text(cell)
            if len(text) > width:
                text.truncate(width, overflow="ellipsis")
            if index:
                line.append("  ")
            last = index == len(widths) - 1
            if widths[index] == 7 and last:
                line.append(" " * (width - len(text)))  # credits line up on the right
                line.append_text(text)
            else:
                line.append_text(text)
                if not last:
                    line.append(" " * (width - len(text)))
        return line

    def _header(self, wide: bool) -> Text:
        names = ["ID", "Status"] + (["Type"] if wide else [])
        names += ["Processor", "Created (UTC)"] + (["Updated (UTC)", "Credits"] if wide else [])
        line = self._cells(wide, list(names))
        line.stylize("bold")
        return line

    def _row(self, run: ProcessorRunSummary, wide: bool) -> Text:
        status = str(run.status)
        cells: list[Union[str, Text]] = [run.id, Text(status, style=STATUS_STYLES.get(status, ""))]
        if wide:
            cells.append("" if run.type is None else str(run.type))
        cells += [run.processor_name, _utc(run.created_at, seconds=wide)]
        if wide:
            cells.append(_utc(run.updated_at))
            cells.append("" if run.usage is None else f"{run.usage.credits:g}")
        return self._cells(wide, cells)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if not self._rows:
                self.console.print("No runs.", style="dim")
        super().close()


def change_line(run: ProcessorRunSummary) -> Text:
    """One line of ``extend-runs watch``: when it changed, status, id, processor and type."""
    status = str(run.status)
    processor = run.processor_name + ("" if run.type is None else f" ({run.type})")
    return Text.assemble(
        _utc(run.updated_at),
        "  ",
        (f"{status:<10}", STATUS_STYLES.get(status, "")),
        "  ",
        run.id,
        "  ",
        processor,
    )


class ChangeWriter:
    """Writes each change of a watch as it comes: one line, flushed at once."""

    def __init__(self, stream: IO[str], output_format: str) -> None:
        self.stream = stream
        self.format = output_format
        self.console = Console(file=stream, highlight=False, soft_wrap=True)

    def write(self, run: ProcessorRunSummary) -> None:
        if self.format == "jsonl":
            self.stream.write(json.dumps(run_record(run), ensure_ascii=False) + "\n")
        else:
            self.console.print(change_line(run))
        self.stream.flush()


def runs_table(
    runs: Sequence[ProcessorRunSummary], title: Optional[str] = None, *, width: int = 160
) -> Table:
    """A Rich table of runs, statuses in colour; under 120 columns wide, the main columns."""
    wide = width >= 120
    table = Table(title=title, header_style="bold", caption=f"{len(runs):,} runs")
    table.add_column("ID", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    if wide:
        table.add_column("Type", no_wrap=True)
    table.add_column("Processor")
    table.add_column("Created (UTC)", no_wrap=True)
    if wide:
        table.add_column("Updated (UTC)", no_wrap=True)
        table.add_column("Credits", justify="right", no_wrap=True)
    for run in runs:
        status = str(run.status)
        cells: list[Union[str, Text]] = [run.id, Text(status, style=STATUS_STYLES.get(status, ""))]
        if wide:
            cells.append("" if run.type is None else str(run.type))
        cells += [run.processor_name, _utc(run.created_at, seconds=wide)]
        if wide:
            cells.append(_utc(run.updated_at))
            cells.append("" if run.usage is None else f"{run.usage.credits:g}")
        table.add_row(*cells)
    return table


def _utc(moment: datetime, *, seconds: bool = True) -> str:
    return moment.astimezone(timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    )
