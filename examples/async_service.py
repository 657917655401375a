"""An async service task: count the runs of several processors concurrently.

Each processor gets its own listing; a semaphore bounds how many run at once, so the
organization's rate limit is not spent in one burst. One ``AsyncClient`` (one connection
pool) serves them all.

Usage:
    python examples/async_service.py [PROCESSOR_ID ...]

Without processor IDs, it takes those of the 100 most recently updated runs.
Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from dataclasses import dataclass, field

from extend_runs import AsyncClient

MAX_CONCURRENT_LISTINGS = 4


@dataclass
class ProcessorReport:
    processor_id: str
    processor_name: str = ""
    statuses: Counter[str] = field(default_factory=Counter[str])
    credits: float = 0.0


async def report(
    client: AsyncClient, processor_id: str, slots: asyncio.Semaphore
) -> ProcessorReport:
    result = ProcessorReport(processor_id)
    async with slots:
        async for run in client.list_processor_runs(processor_id=processor_id, max_page_size=500):
            result.processor_name = run.processor_name
            result.statuses[str(run.status)] += 1
            if run.usage is not None:
                result.credits += run.usage.credits
    return result


async def recent_processor_ids(client: AsyncClient) -> list[str]:
    ids = {run.processor_id async for run in client.list_processor_runs(limit=100)}
    return sorted(ids)


async def main(argv: list[str]) -> int:
    async with AsyncClient() as client:
        processor_ids = argv[1:] or await recent_processor_ids(client)
        slots = asyncio.Semaphore(MAX_CONCURRENT_LISTINGS)
        reports = await asyncio.gather(*(report(client, pid, slots) for pid in processor_ids))
    for result in reports:
        total = sum(result.statuses.values())
        failed = result.statuses["FAILED"]
        print(
            f"{result.processor_id}  {result.processor_name or '-':<28} "
            f"{total:>6} runs  {failed:>5} failed  {result.credits:>9.1f} credits"
        )
    print(f"{len(reports)} processors")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv)))
