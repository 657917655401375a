"""``extend-runs demo``: the client against the bundled fake server, inside this process."""

from __future__ import annotations

from collections import Counter

import httpx
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._client import Client
from .._models import ProcessorRunStatus
from ._formats import STATUS_STYLES, runs_table

_SNIPPET = """\
from extend_runs import Client

with Client() as client:  # reads EXTEND_API_KEY
    for run in client.list_processor_runs(status="FAILED", sort_by="createdAt"):
        print(run.id, run.processor_name, run.created_at)"""


def run_demo(console: Console, *, count: int, seed: int, show: int) -> None:
    """List ``show`` runs from a fake holding ``count`` generated runs, then count them."""
    from ..testing import FakeExtend

    fake = FakeExtend(runs=count, seed=seed)
    http_client = httpx.Client(transport=fake.transport())
    client = Client(api_key=fake.api_key, base_url=fake.base_url, http_client=http_client)
    with http_client, client:
        console.print(
            f"[bold]extend-runs demo[/]: {count:,} generated runs (seed {seed}) served by\n"
            "a fake Extend API inside this process. No account, no network.\n"
        )
        if show:
            newest = list(client.list_processor_runs(sort_by="createdAt", limit=show))
            title = f"The {len(newest)} newest runs"
            console.print(runs_table(newest, title, width=console.width))
        counts: Counter[str] = Counter()
        pages = 0
        for page in client.list_processor_runs(max_page_size=100).pages():
            pages += 1
            counts.update(str(run.status) for run in page.processor_runs)
        console.print(_status_table(counts, pages))
    console.print("\nThe same from Python, against your account:\n")
    console.print(Text(_SNIPPET, style="cyan"))
    console.print("\nOr from this command, with EXTEND_API_KEY set:\n")
    console.print(Text("extend-runs list --status FAILED --limit 20", style="cyan"))


def _status_table(counts: Counter[str], pages: int) -> Table:
    table = Table(title="Every run, by status", caption=f"{pages} pages read")
    table.add_column("Status")
    table.add_column("Runs", justify="right")
    known = [status.value for status in ProcessorRunStatus]
    for status in known + sorted(set(counts) - set(known)):
        table.add_row(Text(status, style=STATUS_STYLES.get(status, "")), f"{counts[status]:,}")
    table.add_section()
    table.add_row(Text("Total", style="bold"), f"{sum(counts.values()):,}")
    return table
