"""List the failed runs of one kind of processor, oldest first, with a few filters.

Usage:
    python examples/list_failed_runs.py [FILE_NAME_TEXT]

Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import sys

from extend_runs import Client, ProcessorRunStatus, ProcessorType, SortBy, SortDir


def main(argv: list[str]) -> int:
    file_name_contains = argv[1] if len(argv) > 1 else None
    with Client() as client:
        runs = client.list_processor_runs(
            status=ProcessorRunStatus.FAILED,
            processor_type=ProcessorType.EXTRACT,
            file_name_contains=file_name_contains,
            sort_by=SortBy.CREATED_AT,
            sort_dir=SortDir.ASC,
            max_page_size=100,
        )
        count = 0
        for run in runs:
            count += 1
            print(f"{run.created_at:%Y-%m-%d %H:%M}  {run.id}  {run.processor_name}")
    print(f"{count} failed extraction runs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
