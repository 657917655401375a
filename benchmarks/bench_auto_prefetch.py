"""Whole exports with ``prefetch`` left to the SDK, against plain and always-prefetched.

    python benchmarks/bench_auto_prefetch.py            # 0 ms and 250 ms a page, 7 rounds
    python benchmarks/bench_auto_prefetch.py --quick    # fewer runs and rounds (a minute)
    python benchmarks/bench_auto_prefetch.py --latencies 0,0.25,1 --runs 100000,20000,5000

``to_dicts()`` consumes a whole listing. Left to itself (``prefetch=None``, the default) it
fetches inline and turns on fetching ahead only while pages wait on the network longer
than the caller takes over a page (the rule is in docs/listing-faster.md). Here it is timed
against ``prefetch=False`` (never ahead) and ``prefetch=True`` (always one page ahead),
with ``Client`` and ``AsyncClient``, on the project's fake in its own process answering
each page after a fixed latency. Rounds are interleaved (each runs every contender once,
in a rotating order) and the figures are medians. For each latency it prints the seconds
of each contender and the automatic choice's time over the better of the other two: the
target is at most 1.05.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import time
from functools import partial
from typing import Any, Callable

from bench_listing import API_KEY, median, serve

PAGE = 1000
CHOICES: dict[str, Any] = {"plain": False, "prefetch=True": True, "left to the SDK": None}


def export_sync(url: str, total: int, prefetch: Any) -> int:
    from extend_runs import Client

    with Client(api_key=API_KEY, base_url=url) as client:
        pager = client.list_processor_runs(max_page_size=PAGE, limit=total, prefetch=prefetch)
        return len(pager.to_dicts())


def export_async(url: str, total: int, prefetch: Any) -> int:
    from extend_runs import AsyncClient

    async def main() -> int:
        async with AsyncClient(api_key=API_KEY, base_url=url) as client:
            pager = client.list_processor_runs(max_page_size=PAGE, limit=total, prefetch=prefetch)
            return len(await pager.to_dicts())

    return asyncio.run(main())


def interleaved(
    contenders: dict[str, Callable[[], int]], rounds: int, expect: int
) -> dict[str, list[float]]:
    """Time each contender once per round, rotating the order, each from a collected heap.

    A whole export builds every run's dict, so the cyclic collector's work depends on
    what earlier exports left behind; collecting before each (outside the timing) gives
    every contender the same start.
    """
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            started = time.perf_counter()
            count = contenders[name]()
            times[name].append(time.perf_counter() - started)
            if count != expect:
                raise RuntimeError(f"{name} listed {count} runs, not {expect}")
    return times


def scenario(latency: float, total: int, rounds: int) -> list[float]:
    """Print one latency's table; return the automatic choice's ratios (sync, async)."""
    print(f"## {latency * 1000:.0f} ms a page: {total:,} runs at {PAGE} a page, to_dicts()")
    ratios = []
    with serve(total, delay_ms=latency * 1000) as url:
        for flavour, export in (("Client", export_sync), ("AsyncClient", export_async)):
            contenders: dict[str, Callable[[], int]] = {
                name: partial(export, url, total, choice) for name, choice in CHOICES.items()
            }
            for function in contenders.values():  # warm up: imports, first connections
                function()
            times = interleaved(contenders, rounds, total)
            medians = {name: median(values) for name, values in times.items()}
            best = min(medians["plain"], medians["prefetch=True"])
            ratio = medians["left to the SDK"] / best
            ratios.append(ratio)
            spread = max(times["left to the SDK"]) / min(times["left to the SDK"])
            cells = "  ".join(f"{name} {seconds:6.3f} s" for name, seconds in medians.items())
            print(f"  {flavour:12} {cells}")
            print(
                f"  {'':12} left to the SDK / better of the two: {ratio:.3f}"
                f"  (its own max/min over {rounds} rounds: {spread:.3f})"
            )
    print()
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and rounds")
    parser.add_argument("--latencies", default="0,0.25", help="seconds a page, comma-separated")
    parser.add_argument("--runs", help="runs per latency, comma-separated (same count)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 7; quick 3)")
    args = parser.parse_args()
    latencies = [float(value) for value in args.latencies.split(",")]
    if args.runs:
        totals = [int(value) for value in args.runs.split(",")]
    else:
        # A sizeable export at zero latency; 20 pages when each costs a round trip.
        totals = [
            (20_000 if args.quick else 100_000) if not lat else 10_000 if args.quick else 20_000
            for lat in latencies
        ]
    if len(totals) != len(latencies):
        parser.error("--runs needs one count per latency")
    rounds = args.rounds or (3 if args.quick else 7)
    print("# Whole exports: prefetch left to the SDK")
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores; the fake in its own process\n"
    )
    worst = max(
        ratio
        for latency, total in zip(latencies, totals)
        for ratio in scenario(latency, total, rounds)
    )
    print(f"Worst ratio of the automatic choice to the better of plain and prefetch: {worst:.3f}")


if __name__ == "__main__":
    main()
