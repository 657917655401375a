"""How fast extend-runs lists processor runs, side by side with the alternatives.

    python benchmarks/bench_listing.py            # the full run (under ~10 minutes, 2 cores)
    python benchmarks/bench_listing.py --quick    # a smaller run, about two minutes

Needs the benchmark-only dependency ``extend-ai`` (the official SDK) in the environment.
The server answering every request is the project's fake (``python -m
extend_runs.testing``) in a separate process on a loopback socket; the partitioned exports
of equal partitions ask it for ``--distribution even``. Repetitions are interleaved (each
round runs every contender once, in a rotating order), so a machine that gets busier or
quieter during the run shifts all contenders alike; the figures are medians.

What is measured, with the figures it prints:

1. Listing 100,000 runs at 1,000 per page with ``Client``, ``AsyncClient``, the official
   SDK (paging by hand) and a raw ``httpx.Client`` loop with ``json.loads`` (the floor).
2. Peak memory (``VmHWM``) of a child process streaming 100,000 and 1,000,000 runs.
3. Import plus client construction in fresh processes: ``extend_runs`` against ``extend_ai``.
4. Prefetch: a consumer doing 2 ms of work per 100 runs, a server taking 20 ms a page.
5. Partitioned export by status against the plain listing, server at 20 ms a page.
6. Pacing: a partitioned export against a server allowing 10 requests per second.
7. HTTP/2 against HTTP/1.1, from the fake under hypercorn (``benchmarks/_hypercorn_fake.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))  # measure this checkout, not whatever is installed
API_KEY = "sk_bench_not_a_real_key"
PAGE = 1000


# -- the server -------------------------------------------------------------------------


def serve(
    runs: int, delay_ms: float = 0.0, rate_limit: float = 0.0, distribution: str = "realistic"
) -> contextlib.AbstractContextManager[str]:
    """Start the fake in its own process; yield its base URL; stop it."""
    command = [sys.executable, "-m", "extend_runs.testing", "--runs", str(runs)]
    command += ["--api-key", API_KEY, "--distribution", distribution]
    if delay_ms:
        command += ["--latency", str(delay_ms / 1000)]
    if rate_limit:
        command += ["--rate-limit", str(int(rate_limit))]
    return _child_server(command)


def serve_hypercorn(
    runs: int, delay_ms: float = 0.0, distribution: str = "realistic"
) -> contextlib.AbstractContextManager[str]:
    """The fake under hypercorn (HTTP/1.1 and HTTP/2) in its own process; yield its URL."""
    command = [sys.executable, str(HERE / "_hypercorn_fake.py"), "--runs", str(runs)]
    command += ["--latency", str(delay_ms / 1000), "--distribution", distribution]
    command += ["--api-key", API_KEY]
    return _child_server(command)


@contextlib.contextmanager
def _child_server(command: list[str]) -> Iterator[str]:
    """Run a server that prints its base URL first; yield the URL; stop the server."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=_env(), cwd=HERE.parent
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        url = line.split()[-1] if line else ""
        if not url.startswith("http"):
            raise RuntimeError(f"{' '.join(command[1:3])} did not start: {line!r}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "EXTEND_API_KEY": API_KEY}


# -- the contenders ---------------------------------------------------------------------


def ours_sync(url: str, total: int, **listing: Any) -> int:
    from extend_runs import Client

    with Client(api_key=API_KEY, base_url=url) as client:
        count = 0
        for _ in client.list_processor_runs(max_page_size=PAGE, limit=total, **listing):
            count += 1
        return count


def ours_async(url: str, total: int, **listing: Any) -> int:
    from extend_runs import AsyncClient

    async def main() -> int:
        async with AsyncClient(api_key=API_KEY, base_url=url) as client:
            count = 0
            pager = client.list_processor_runs(max_page_size=PAGE, limit=total, **listing)
            async for _ in pager:
                count += 1
            return count

    return asyncio.run(main())


def official(url: str, total: int) -> int:
    from extend_ai import Extend

    client = Extend(token=API_KEY, base_url=url)
    count, token = 0, None
    while count < total:
        page = client.processor_run.list(max_page_size=PAGE, next_page_token=token)
        for _ in page.processor_runs:
            count += 1
        token = page.next_page_token
        if not token:
            break
    return count


def floor(url: str, total: int) -> int:
    import httpx

    headers = {"Authorization": f"Bearer {API_KEY}", "x-extend-api-version": "2025-04-21"}
    with httpx.Client(base_url=url, headers=headers) as http:
        count, token = 0, None
        while count < total:
            params: dict[str, Any] = {"maxPageSize": PAGE}
            if token:
                params["nextPageToken"] = token
            body = json.loads(http.get("/processor_runs", params=params).content)
            for _ in body["processorRuns"]:
                count += 1
            token = body.get("nextPageToken")
            if not token:
                break
        return count


def interleaved(
    contenders: dict[str, Callable[[], int]], rounds: int, expect: int
) -> dict[str, list[float]]:
    """Time each contender once per round, rotating the order; check each listed ``expect``."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            count = contenders[name]()
            times[name].append(time.perf_counter() - started)
            if count != expect:
                raise RuntimeError(f"{name} listed {count} runs, not {expect}")
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


# -- children in fresh processes --------------------------------------------------------

CHILD_STREAM = """
import sys
from extend_runs import Client
count = 0
with Client(base_url=sys.argv[1]) as client:
    for run in client.list_processor_runs(max_page_size=1000, limit=int(sys.argv[2])):
        count += 1
assert count == int(sys.argv[2]), count
print(open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""

CHILD_IMPORT = """
import time
started = time.perf_counter()
{body}
elapsed = time.perf_counter() - started
print(elapsed, open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""

IMPORTS = {
    "extend_runs": "import extend_runs\nclient = extend_runs.Client()",
    "extend_ai": "from extend_ai import Extend\nclient = Extend()",
}
FIRST_PAGE = {
    "extend_runs": "client.list_processor_runs_page(max_page_size=1000)",
    "extend_ai": "client.processor_run.list(max_page_size=1000)",
}


def child(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=_env()
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout.strip()


def peak_memory_mb(url: str, total: int) -> float:
    return int(child(CHILD_STREAM, url, str(total))) / 1024


def startup(rounds: int, url: str) -> dict[str, tuple[float, float]]:
    """Median seconds and MB of import plus construction, then with a first page too."""
    results: dict[str, tuple[float, float]] = {}
    samples: dict[str, list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for name, body in IMPORTS.items():
            for label, code in (
                (name, body),
                (f"{name} + first page", f"{body}\n{FIRST_PAGE[name]}"),
            ):
                code = code.replace("Client()", f"Client(base_url={url!r})")
                code = code.replace("Extend()", f"Extend(base_url={url!r})")
                seconds, kilobytes = child(CHILD_IMPORT.format(body=code)).split()
                samples.setdefault(label, []).append((float(seconds), int(kilobytes) / 1024))
    for label, values in samples.items():
        results[label] = (median([v[0] for v in values]), median([v[1] for v in values]))
    return results


# -- consumer-side scenarios ------------------------------------------------------------


def busy(seconds: float) -> None:
    """Stand-in for the caller's own work: CPU time, holding the GIL like real Python code."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def consume_sync(url: str, total: int, prefetch: bool, cpu: bool = False) -> int:
    from extend_runs import Client

    with Client(api_key=API_KEY, base_url=url) as client:
        count = 0
        pager = client.list_processor_runs(max_page_size=PAGE, limit=total, prefetch=prefetch)
        for _ in pager:
            count += 1
            if count % 100 == 0:
                if cpu:
                    busy(0.002)
                else:
                    time.sleep(0.002)
        return count


def consume_async(url: str, total: int, prefetch: bool) -> int:
    from extend_runs import AsyncClient

    async def main() -> int:
        async with AsyncClient(api_key=API_KEY, base_url=url) as client:
            count = 0
            pager = client.list_processor_runs(max_page_size=PAGE, limit=total, prefetch=prefetch)
            async for _ in pager:
                count += 1
                if count % 100 == 0:
                    await asyncio.sleep(0.002)
            return count

    return asyncio.run(main())


def paced_export(url: str, total: int, page: int, rate: float | None) -> tuple[int, float, int]:
    """A partitioned export by status; returns runs, seconds and 429s seen."""
    import httpx

    from extend_runs import Client

    limited = 0

    def count_429(response: httpx.Response) -> None:
        nonlocal limited
        limited += response.status_code == 429

    http = httpx.Client(event_hooks={"response": [count_429]}, timeout=60)
    client = Client(api_key=API_KEY, base_url=url, http_client=http, max_requests_per_second=rate)
    started = time.perf_counter()
    count = 0
    try:
        for _ in client.list_processor_runs(
            max_page_size=page, limit=total, partition_by="status", max_concurrency=5
        ):
            count += 1
    except Exception as error:  # the default retries ran out: say so in the report
        print(f"  ! {type(error).__name__}: {error}")
    elapsed = time.perf_counter() - started
    http.close()
    return count, elapsed, limited


def over_http_version(
    url: str, limit: int | None, page: int, http2: bool, partition_by: str | None = None
) -> int:
    """A listing through an httpx client speaking only HTTP/2 or only HTTP/1.1."""
    import httpx

    from extend_runs import Client

    versions: set[str] = set()

    def note_version(response: httpx.Response) -> None:
        versions.add(response.http_version)

    hooks = {"response": [note_version]}
    with httpx.Client(http1=not http2, http2=http2, timeout=60, event_hooks=hooks) as http:
        client = Client(api_key=API_KEY, base_url=url, http_client=http)
        pager = client.list_processor_runs(
            max_page_size=page,
            limit=limit,
            partition_by=partition_by,  # type: ignore[arg-type]
        )
        count = sum(1 for _ in pager)
    expected = "HTTP/2" if http2 else "HTTP/1.1"
    if versions != {expected}:
        raise RuntimeError(f"spoke {sorted(versions)}, not {expected}")
    return count


# -- the report -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and rounds")
    args = parser.parse_args()
    quick = args.quick
    total = 20_000 if quick else 100_000
    rounds = 3 if quick else 5
    big = 300_000 if quick else 1_000_000

    print(f"# extend-runs listing benchmark ({'quick' if quick else 'full'} run)")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} cores; server: the fake in its own process\n"
    )

    with serve(big) as url:
        print(f"## 1. Listing {total:,} runs at {PAGE} per page ({rounds} interleaved rounds)")
        contenders = {
            "floor (httpx + json.loads)": lambda: floor(url, total),
            "extend_runs Client": lambda: ours_sync(url, total),
            "extend_runs AsyncClient": lambda: ours_async(url, total),
        }
        for function in contenders.values():  # warm up: imports, first connections
            function()
        official_rounds = max(2, rounds - 2)
        times = interleaved(contenders, rounds, total)
        official_total = total if not quick else total // 2
        times["extend_ai (official SDK)"] = [
            seconds * total / official_total
            for seconds in interleaved(
                {"official": lambda: official(url, official_total)},
                official_rounds,
                official_total,
            )["official"]
        ]
        base = median(times["floor (httpx + json.loads)"])
        ours = median(times["extend_runs Client"])
        for name, values in times.items():
            rate = total / median(values)
            print(
                f"  {name:30} {median(values):7.3f} s  {rate:9,.0f} runs/s  "
                f"{median(values) / base:5.2f}x floor"
            )
        print(f"  ours/floor (sync):   {ours / base:.2f}")
        print(f"  ours/floor (async):  {median(times['extend_runs AsyncClient']) / base:.2f}")
        print(f"  official/ours:       {median(times['extend_ai (official SDK)']) / ours:.1f}")
        print(f"  (official SDK: {official_rounds} rounds of {official_total:,} runs, scaled)\n")

        print("## 2. Peak resident memory of a process streaming runs (sync Client)")
        small_mb = peak_memory_mb(url, total)
        big_mb = peak_memory_mb(url, big)
        print(f"  {total:>9,} runs: {small_mb:6.1f} MB")
        print(f"  {big:>9,} runs: {big_mb:6.1f} MB   (growth {big_mb - small_mb:+.1f} MB)\n")

        print("## 3. Import plus client construction, fresh processes (medians)")
        starts = startup(5 if quick else 9, url)
        for label, (seconds, megabytes) in starts.items():
            print(f"  {label:32} {seconds * 1000:7.1f} ms  {megabytes:6.1f} MB")
        ratio = starts["extend_runs"][0] / starts["extend_ai"][0]
        print(f"  extend_runs/extend_ai time: {ratio:.2f}\n")

    scenario_total = 20_000 if quick else 50_000
    with serve(200_000, delay_ms=20) as url:
        print(
            f"## 4. Prefetch: {scenario_total:,} runs, 2 ms of caller work per 100 runs, "
            "20 ms per page"
        )
        print("  (the work is waiting, as for I/O: time.sleep / asyncio.sleep; 'sync CPU' spins)")
        cases = {
            "sync, plain": lambda: consume_sync(url, scenario_total, False),
            "sync, prefetch": lambda: consume_sync(url, scenario_total, True),
            "async, plain": lambda: consume_async(url, scenario_total, False),
            "async, prefetch": lambda: consume_async(url, scenario_total, True),
            "sync CPU, plain": lambda: consume_sync(url, scenario_total, False, cpu=True),
            "sync CPU, prefetch": lambda: consume_sync(url, scenario_total, True, cpu=True),
        }
        times = interleaved(cases, 3, scenario_total)
        for name, values in times.items():
            print(f"  {name:20} {median(values):7.3f} s")
        for kind in ("sync", "async", "sync CPU"):
            gain = median(times[f"{kind}, plain"]) / median(times[f"{kind}, prefetch"])
            print(f"  {kind} speed-up: {gain:.2f}x")
        print()

        print(
            f"## 5a. Partitioned export of the fake's {scenario_total:,} newest runs at {PAGE} "
            "per page, 20 ms per page (realistic, skewed partitions: 70% PROCESSED)"
        )
        partitioned(url, scenario_total, PAGE, ("status", "source"))

    balanced_total = 40_000 if quick else 100_000
    with serve(balanced_total, delay_ms=20, distribution="even") as url:
        print(
            f"## 5b. Exporting all {balanced_total:,} runs of the fake with 5 equal status "
            f"partitions (--distribution even) at {PAGE} per page, 20 ms per page"
        )
        partitioned(url, balanced_total, PAGE, ("status",), export=True)
    with serve(balanced_total // 10, delay_ms=20, distribution="even") as url:
        print(f"## 5c. The same at 100 per page, all {balanced_total // 10:,} runs")
        partitioned(url, balanced_total // 10, 100, ("status",), export=True)

    pacing_total, pacing_page = (3_000, 100) if quick else (6_000, 100)
    with serve(100_000, rate_limit=10) as url:
        print(
            f"## 6. Pacing: partitioned export of {pacing_total:,} runs at {pacing_page} per "
            "page against a server allowing 10 requests/s"
        )
        for rate in (None, 9.5, None, 9.5):
            time.sleep(1.5)  # let the server's one-second window forget the previous run
            count, seconds, limited = paced_export(url, pacing_total, pacing_page, rate)
            label = "no pacing" if rate is None else f"max_requests_per_second={rate}"
            print(f"  {label:32} {seconds:7.2f} s  {limited:4d} responses 429  ({count:,} runs)")
    print()

    http2_versus_http1(quick)


def http2_versus_http1(quick: bool) -> None:
    """HTTP/2 against HTTP/1.1, both from the fake under hypercorn."""
    try:
        import h2  # noqa: F401
        import hypercorn  # noqa: F401
    except ImportError:
        print("## 7. HTTP/2: skipped (needs the dev extra: h2 and hypercorn)")
        return
    total = 20_000 if quick else 50_000
    with serve_hypercorn(total) as url:
        print(f"## 7a. HTTP/2 against HTTP/1.1: listing {total:,} runs at {PAGE} per page")
        cases: dict[str, Callable[[], int]] = {
            "HTTP/1.1": lambda: over_http_version(url, None, PAGE, http2=False),
            "HTTP/2": lambda: over_http_version(url, None, PAGE, http2=True),
        }
        _report_versions(interleaved(cases, 3, total))
    small = total // 5
    with serve_hypercorn(small, delay_ms=20, distribution="even") as url:
        print(
            f"## 7b. The same for a partitioned export by status of {small:,} runs at 100 "
            "per page, 20 ms per page (HTTP/2: one connection, five streams)"
        )
        cases = {
            "HTTP/1.1": lambda: over_http_version(url, None, 100, False, "status"),
            "HTTP/2": lambda: over_http_version(url, None, 100, True, "status"),
        }
        _report_versions(interleaved(cases, 3, small))


def _report_versions(times: dict[str, list[float]]) -> None:
    for name, values in times.items():
        print(f"  {name:10} {median(values):7.3f} s")
    ratio = median(times["HTTP/2"]) / median(times["HTTP/1.1"])
    print(f"  HTTP/2 time / HTTP/1.1 time: {ratio:.2f}\n")


def partitioned(
    url: str, total: int, page: int, fields: tuple[str, ...], export: bool = False
) -> None:
    """Time the plain listing against one partitioned by each of ``fields``.

    ``export``: list the whole server (which holds ``total`` runs) instead of its newest
    ``total`` with ``limit``, as an export does; a limit makes partitions fetch ahead
    pages that the merge may not need.
    """
    limit = None if export else total
    cases: dict[str, Callable[[], int]] = {"plain": lambda: _listing(url, limit, page, None)}
    for field in fields:
        cases[f"partition_by={field!r}"] = lambda f=field: _listing(url, limit, page, f)
    times = interleaved(cases, 3, total)
    for name, values in times.items():
        gain = median(times["plain"]) / median(values)
        print(f"  {name:28} {median(values):7.3f} s  {gain:5.2f}x")
    print()


def _listing(url: str, limit: int | None, page: int, partition_by: str | None) -> int:
    from extend_runs import Client

    with Client(api_key=API_KEY, base_url=url) as client:
        pager = client.list_processor_runs(
            max_page_size=page,
            limit=limit,
            partition_by=partition_by,  # type: ignore[arg-type]
        )
        return sum(1 for _ in pager)


if __name__ == "__main__":
    main()
