"""Export every processor run (optionally of one status) to a CSV file.

Usage:
    python examples/export_csv.py OUTPUT.csv [STATUS]

Sorted by creation time, so runs that change during the export keep their place.
Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import csv
import sys
from typing import Optional

from extend_runs import Client, ListProcessorRunsParams, ProcessorRunStatus, ProcessorRunSummary

COLUMNS = [
    "id",
    "status",
    "type",
    "processor_id",
    "processor_name",
    "processor_version_id",
    "created_at",
    "updated_at",
    "credits",
]


def row(run: ProcessorRunSummary) -> dict[str, Optional[str]]:
    return {
        "id": run.id,
        "status": str(run.status),
        "type": None if run.type is None else str(run.type),
        "processor_id": run.processor_id,
        "processor_name": run.processor_name,
        "processor_version_id": run.processor_version_id,
        "created_at": run.created_at.isoformat(),
        "updated_at": run.updated_at.isoformat(),
        "credits": None if run.usage is None else str(run.usage.credits),
    }


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    status = ProcessorRunStatus(argv[2]) if len(argv) > 2 else None
    params = ListProcessorRunsParams(status=status, sort_by="createdAt", max_page_size=1000)
    written = 0
    with Client() as client, open(argv[1], "w", newline="", encoding="utf-8") as output:
        writer = csv.DictWriter(output, fieldnames=COLUMNS)
        writer.writeheader()
        for page in client.list_processor_runs(params=params).pages():
            writer.writerows(row(run) for run in page.processor_runs)
            written += len(page.processor_runs)
    print(f"wrote {written} runs to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
