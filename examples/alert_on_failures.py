"""An async service that raises an alert for every run that fails, as it fails.

Usage:
    python examples/alert_on_failures.py [--since-hours H] [--interval S]
                                         [--max-alerts N] [--timeout S]

It watches with ``AsyncClient.watch_processor_runs(status="FAILED")``: each failure is
alerted once, and a failed poll (network, 5xx) is logged and retried at the next
interval. A real service runs until it is stopped; ``--max-alerts`` and ``--timeout``
end it sooner (for a demo, or a test). ``--since-hours`` first alerts the failures of
the last H hours. Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set).
"""

# pyright: basic
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime, timedelta, timezone
from typing import Optional

from extend_runs import AsyncClient, ProcessorRunSummary


async def alert(run: ProcessorRunSummary) -> None:
    """Send the alert: a chat message, a page, a ticket. Here, a line on stdout."""
    print(f"ALERT {run.updated_at:%Y-%m-%d %H:%M:%S}  {run.id} failed  ({run.processor_name})")


async def watch_failures(
    since: Optional[datetime], interval: float, max_alerts: Optional[int]
) -> int:
    alerts = 0
    async with AsyncClient() as client:
        watcher = client.watch_processor_runs(status="FAILED", since=since, interval=interval)
        try:
            async for run in watcher:
                await alert(run)
                alerts += 1
                if max_alerts is not None and alerts >= max_alerts:
                    break
        finally:
            await watcher.aclose()
    return alerts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--since-hours", type=float, help="first alert the last H hours")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between polls")
    parser.add_argument("--max-alerts", type=int, help="stop after N alerts")
    parser.add_argument("--timeout", type=float, help="stop after S seconds")
    args = parser.parse_args(argv[1:])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    since = None
    if args.since_hours is not None:
        since = datetime.now(timezone.utc) - timedelta(hours=args.since_hours)

    async def run() -> int:
        return await asyncio.wait_for(
            watch_failures(since, args.interval, args.max_alerts), args.timeout
        )

    try:
        alerts = asyncio.run(run())
    except asyncio.TimeoutError:
        print(f"stopped after {args.timeout:g} s")
        return 0
    print(f"{alerts} alerts")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
