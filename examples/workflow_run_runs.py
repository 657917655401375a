"""List the processor runs that one workflow run created, by its ID (``source_id``).

Usage:
    python examples/workflow_run_runs.py WORKFLOW_RUN_ID

Prints each run in the order it was created, then a count per status and the credits
spent. Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import sys
from collections import Counter

from extend_runs import Client, ProcessorRunSource


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    workflow_run_id = argv[1]
    statuses: Counter[str] = Counter()
    credits = 0.0
    with Client() as client:
        runs = client.list_processor_runs(
            source=ProcessorRunSource.WORKFLOW_RUN,
            source_id=workflow_run_id,
            sort_by="createdAt",
            sort_dir="asc",
        )
        for run in runs:
            statuses[str(run.status)] += 1
            if run.usage is not None:
                credits += run.usage.credits
            when = f"{run.created_at:%Y-%m-%d %H:%M:%S}"
            print(f"{when}  {run.status!s:<10}  {run.processor_name}  {run.id}")
    if not statuses:
        print(f"no processor runs for workflow run {workflow_run_id}")
        return 1
    summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    print(f"{sum(statuses.values())} runs ({summary}), {credits:.1f} credits")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
