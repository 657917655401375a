"""One week of runs as a pandas DataFrame: failures by processor, credits by day.

Usage:
    python examples/week_dataframe.py [DAYS_AGO]

The week ends DAYS_AGO days ago (default 0: the last 7 days). Only the pages holding
that week are requested. Needs the ``[pandas]`` extra. Reads EXTEND_API_KEY (and
EXTEND_BASE_URL, if set) from the environment.
"""

# pyright: basic
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from extend_runs import Client


def main(argv: list[str]) -> int:
    end = datetime.now(timezone.utc) - timedelta(days=float(argv[1]) if len(argv) > 1 else 0)
    start = end - timedelta(days=7)
    with Client() as client:
        week = client.list_processor_runs(created_since=start, created_before=end).to_pandas()
    print(f"{len(week)} runs created from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")
    if week.empty:
        return 0
    failed: Any = week[week["status"] == "FAILED"]
    print("failures by processor:")
    print(failed.groupby("processor_name", observed=True).size().sort_values(ascending=False))
    daily: Any = week.groupby(week["created_at"].dt.date)["credits"].sum()
    print(f"credits by day: {', '.join(f'{day}: {total:g}' for day, total in daily.items())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
