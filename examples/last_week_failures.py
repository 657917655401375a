"""The failed runs of one processor over the last 7 days, newest first.

Usage:
    python examples/last_week_failures.py [PROCESSOR_ID]

With no PROCESSOR_ID, the processor of the most recent failure. The listing stops at the
first run older than a week: only the pages holding last week's runs are requested.
Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

from extend_runs import Client


def main(argv: list[str]) -> int:
    week_ago = datetime.now(timezone.utc) - timedelta(days=7)
    with Client() as client:
        if len(argv) > 1:
            processor_id = argv[1]
        else:
            latest = client.list_processor_runs_page(status="FAILED", max_page_size=1)
            if not latest.processor_runs:
                print("no failed runs at all")
                return 0
            processor_id = latest.processor_runs[0].processor_id
        failures = client.list_processor_runs(
            status="FAILED", processor_id=processor_id, created_since=week_ago
        )
        count = 0
        for run in failures:
            count += 1
            print(f"{run.created_at:%Y-%m-%d %H:%M}  {run.id}  {run.processor_name}")
    print(f"{count} failed runs of {processor_id} since {week_ago:%Y-%m-%d %H:%M} UTC")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
