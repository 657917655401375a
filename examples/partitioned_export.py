"""Export every run to CSV quickly: partitions by source, paced to the read budget.

    python examples/partitioned_export.py runs.csv

Uses your Extend account when EXTEND_API_KEY is set, else a local fake with 5,000 runs.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from collections.abc import Iterator

from extend_runs import Client


@contextlib.contextmanager
def client() -> Iterator[Client]:
    if os.environ.get("EXTEND_API_KEY"):
        with Client(max_requests_per_second=9) as real:
            yield real
        return
    from extend_runs.testing import FakeExtend

    fake = FakeExtend(runs=5000, seed=1)
    with fake.serve() as url, Client(api_key=fake.api_key, base_url=url) as local:
        yield local


def main(path: str) -> None:
    with client() as extend, open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "status", "processor_name", "created_at"])
        pager = extend.list_processor_runs(
            partition_by="source", sort_by="createdAt", max_page_size=1000
        )
        for run in pager:
            writer.writerow([run.id, run.status, run.processor_name, run.created_at.isoformat()])
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs.csv")
