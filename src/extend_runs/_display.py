"""How runs, pages and pagers show themselves: short reprs and HTML tables for notebooks.

Nothing here sends a request. A pager shows what it has already fetched, kept in a
:class:`ListingTally` (counts and a few rows, never every run). Every value that came
from the server or from the caller is HTML-escaped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape
from operator import attrgetter
from typing import Any, Optional

from ._columns import COLUMNS, Column

Run = Any
"""A run summary, read by attribute only (this module does not import the models)."""
Page = Any
"""A page of runs: ``processor_runs`` and ``next_page_token``."""

__all__ = [
    "PREVIEW_ROWS",
    "ListingTally",
    "page_html",
    "page_repr",
    "pager_html",
    "pager_repr",
    "run_html",
    "run_repr",
]

PREVIEW_ROWS = 10
"""Runs shown in a page's or pager's HTML table (and kept by a pager for it)."""

_REPR_IDS = 3
"""Run ids named in a page's text repr."""

_status_of = attrgetter("status")

_TABLE_COLUMNS = tuple(
    column for column in COLUMNS if column.name not in ("processor_id", "processor_version_id")
)
"""The columns of the HTML tables: every column but the processor's and its version's IDs."""


class ListingTally:
    """What a pager has fetched so far: runs, pages, counts by status and the first rows.

    Its size is bounded: it keeps at most :data:`PREVIEW_ROWS` runs whatever the listing's
    length.
    """

    __slots__ = ("by_status", "pages", "preview", "runs")

    def __init__(self) -> None:
        self.runs = 0
        self.pages = 0
        # Keyed by the status as parsed: an enum member equals and hashes as its value,
        # and counting members skips building a string per run.
        self.by_status: Counter[str] = Counter()
        self.preview: list[Run] = []

    def add(self, runs: Sequence[Run]) -> None:
        """Count a fetched page by the runs of it that joined the listing."""
        self.pages += 1
        self.runs += len(runs)
        self.by_status.update(map(_status_of, runs))
        room = PREVIEW_ROWS - len(self.preview)
        if room > 0:
            self.preview.extend(runs[:room])


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _when(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _cell(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "time":
        return _when(value)
    if kind == "number":
        return f"{value:g}"
    return str(value)


def _cells(run: Run) -> list[str]:
    return [_cell(column.kind, column.value(run)) for column in _TABLE_COLUMNS]


def _heading(column: Column) -> str:
    # Every run is in UTC; the heading says so, keeping the cells short.
    return f"{column.name} (UTC)" if column.kind == "time" else column.name


def _counts(by_status: Counter[str]) -> dict[str, int]:
    return {str(status): count for status, count in by_status.most_common()}


def _counts_html(by_status: Counter[str]) -> str:
    if not by_status:
        return ""
    parts = ", ".join(
        f"{escape(str(status))}&nbsp;<strong>{count}</strong>"
        for status, count in by_status.most_common()
    )
    return f"<p>By status: {parts}</p>"


def _table_html(runs: list[Run]) -> str:
    if not runs:
        return ""
    head = "".join(f"<th>{_heading(column)}</th>" for column in _TABLE_COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(value)}</td>" for value in _cells(run)) + "</tr>"
        for run in runs
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _box(name: str, headline: str, *parts: str) -> str:
    """A block titled with the object's class name; ``headline`` and ``parts`` are HTML."""
    body = "".join(parts)
    return f'<div class="extend-runs"><p><strong>{escape(name)}</strong>{headline}</p>{body}</div>'


def run_repr(run: Run) -> str:
    credits = None if run.usage is None else run.usage.credits
    return (
        f"{type(run).__name__}(id={run.id!r}, status={str(run.status)!r}, "
        f"type={None if run.type is None else str(run.type)!r}, "
        f"processor_name={run.processor_name!r}, processor_id={run.processor_id!r}, "
        f"created_at='{run.created_at.isoformat()}', updated_at='{run.updated_at.isoformat()}', "
        f"credits={credits!r})"
    )


def run_html(run: Run) -> str:
    return _box(type(run).__name__, "", _table_html([run]))


def page_repr(page: Page) -> str:
    runs = page.processor_runs
    ids = [run.id for run in runs[:_REPR_IDS]]
    more = f" +{len(runs) - len(ids)} more" if len(runs) > len(ids) else ""
    return (
        f"{type(page).__name__}(runs={len(runs)}, "
        f"by_status={_counts(Counter(str(run.status) for run in runs))}, "
        f"ids={ids!r}{more}, next_page_token={page.next_page_token!r})"
    )


def page_html(page: Page) -> str:
    runs = page.processor_runs
    token = page.next_page_token
    more_pages = (
        f"more pages: yes (<code>next_page_token={escape(repr(token))}</code>)"
        if token
        else "last page"
    )
    hidden = len(runs) - PREVIEW_ROWS
    return _box(
        type(page).__name__,
        f": {_plural(len(runs), 'run')}; {more_pages}",
        _counts_html(Counter(str(run.status) for run in runs)),
        _table_html(runs[:PREVIEW_ROWS]),
        f"<p>&hellip; and {hidden} more runs on this page; <code>page.to_pandas()</code> "
        "has them all.</p>"
        if hidden > 0
        else "",
    )


def _position(next_page_token: Optional[str], partitions: int) -> str:
    if partitions:
        return f"partitions={partitions}"
    return f"next_page_token={next_page_token!r}"


def pager_repr(
    name: str,
    query: dict[str, Any],
    limit: Optional[int],
    next_page_token: Optional[str],
    partitions: int,
    tally: ListingTally,
    finished: bool,
) -> str:
    text = f"{name}(params={query!r}, limit={limit!r}, {_position(next_page_token, partitions)}"
    if tally.pages:
        text += (
            f", runs_fetched={tally.runs}, pages_fetched={tally.pages}, "
            f"by_status={_counts(tally.by_status)}, done={finished}"
        )
    return text + ")"


def pager_html(
    name: str,
    query: dict[str, Any],
    limit: Optional[int],
    next_page_token: Optional[str],
    partitions: int,
    tally: ListingTally,
    finished: bool,
) -> str:
    settings = {**query, "limit": limit}
    params = ", ".join(
        f"{escape(key)}=<code>{escape(repr(value))}</code>"
        for key, value in settings.items()
        if value is not None
    )
    params_html = f"<p>Parameters: {params or 'none (every run)'}</p>"
    if not tally.pages:
        return _box(
            name,
            ": not fetched yet",
            params_html,
            "<p>Iterate it, or call <code>.to_pandas()</code>, to send the first request.</p>",
        )
    if finished:
        state = "listing complete"
    elif partitions:
        state = f"more pages to fetch in {_plural(partitions, 'partition')}"
    else:
        state = (
            f"more pages to fetch (<code>next_page_token={escape(repr(next_page_token))}</code>)"
        )
    shown = len(tally.preview)
    return _box(
        name,
        f": {_plural(tally.runs, 'run')} fetched in {_plural(tally.pages, 'page')}; {state}",
        params_html,
        _counts_html(tally.by_status),
        f"<p>The first {shown} runs fetched:</p>" if shown else "",
        _table_html(tally.preview),
    )
