"""Full exports at the API's real latency and request budget: how close each way gets.

    python benchmarks/bench_export.py            # 8 scenarios, one round (about 13 minutes)
    python benchmarks/bench_export.py --quick    # 2,000 runs, 100 a page, 250 ms (2.5 minutes)
    python benchmarks/bench_export.py --distributions realistic --page-sizes 100 \\
        --latencies 0.25 --rounds 3              # the scenario the targets are set on

The server is the project's fake (``python -m extend_runs.testing``) in its own process,
answering every request after a fixed latency and allowing ``--rate-limit`` requests in
any one-second window (beyond that: 429 with ``Retry-After``), as Extend's pay-as-you-go
budget does. Each contender exports every run of the fake once per round, unpaced and
paced with ``max_requests_per_second``; rounds are interleaved (each runs every contender
once, in a rotating order) and figures are medians.

For each contender it prints the wall time, the 429 responses received (counted by an
httpx response hook on the client's own ``httpx.Client``: the fake's control interface
has no request counter) and the efficiency, bound / measured, where the bound is the
larger of

- the pages it must request divided by the budget (``--rate-limit``), and
- the pages of its largest partition times the latency (a partition's pages chain: each
  request needs the cursor of the one before).

The partitions of a contender are read from the filters of the requests it sent. The pages
each must request are counted by listing the same filters once, at the same page size, on
a second fake holding the same runs (same seed, same clock) at zero latency and without a
rate limit. A third term, the pages times the latency divided by the requests it may have
in flight (``max_concurrency``), is not in the bound but is named when it is the largest.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))  # measure this checkout, not whatever is installed
API_KEY = "sk_bench_not_a_real_key"
NOW = "2026-06-01T00:00:00Z"  # one clock for both fakes of a scenario: the same runs
FILTERS = ("status", "source", "processorType")  # wire names a partition may filter on
KWARGS = {"status": "status", "source": "source", "processorType": "processor_type"}
KEY = ("realistic", 100, 0.25)  # the scenario issue 15 sets its targets on

Partition = tuple[
    tuple[str, str], ...
]  # the filters of one sub-listing, e.g. (("status", "FAILED"),)


# -- the servers ------------------------------------------------------------------------


@contextlib.contextmanager
def serve(runs: int, distribution: str, latency: float = 0.0, rate_limit: int = 0) -> Iterator[str]:
    """Start the fake in its own process; yield its base URL; stop it."""
    command = [sys.executable, "-m", "extend_runs.testing", "--runs", str(runs)]
    command += ["--api-key", API_KEY, "--distribution", distribution, "--now", NOW]
    if latency:
        command += ["--latency", str(latency)]
    if rate_limit:
        command += ["--rate-limit", str(rate_limit)]
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        url = line.split()[-1] if line else ""
        if not url.startswith("http"):
            raise RuntimeError(f"the fake did not start: {line!r}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


class Survey:
    """Pages (and runs) of any sub-listing, counted once on an unpaced, zero-latency fake."""

    def __init__(self, url: str, page_size: int) -> None:
        self._url = url
        self._page_size = page_size
        self._known: dict[Partition, tuple[int, int]] = {}

    def count(self, partition: Partition) -> tuple[int, int]:
        """``(pages, runs)`` of the listing with these filters; an empty one costs a page."""
        if partition not in self._known:
            import httpx

            from extend_runs import Client

            filters = {KWARGS[name]: value for name, value in partition}
            counted = Export()  # requests, as the exports count them: an empty page too
            hooks = {"response": [Counting(counted)]}
            with httpx.Client(event_hooks=hooks) as http:
                client = Client(api_key=API_KEY, base_url=self._url, http_client=http)
                pager = client.list_processor_runs(max_page_size=self._page_size, **filters)
                runs = sum(1 for _ in pager)
            self._known[partition] = (sum(counted.pages.values()), runs)
        return self._known[partition]

    def pages(self, partition: Partition) -> int:
        return self.count(partition)[0]


# -- one export -------------------------------------------------------------------------


@dataclass
class Export:
    """What one timed export did."""

    seconds: float = 0.0
    runs: int = 0
    limited: int = 0  # responses 429
    pages: Counter[Partition] = field(default_factory=Counter)  # responses 200 by filters
    error: Optional[str] = None


class Counting:
    """An httpx response hook: counts 429s, and pages by the partition filters sent."""

    def __init__(self, export: Export) -> None:
        self._export = export
        self._lock = threading.Lock()

    def __call__(self, response: Any) -> None:
        query = response.request.url.params
        partition = tuple((name, query[name]) for name in FILTERS if name in query)
        with self._lock:
            if response.status_code == 429:
                self._export.limited += 1
            elif response.status_code == 200:
                self._export.pages[partition] += 1


Listing = Callable[[Any, int, float, Optional[int]], Iterable[Any]]
"""(client, page size, latency, max_concurrency) -> the runs of an export, lazily."""


def export(
    url: str,
    listing: Listing,
    page_size: int,
    latency: float,
    pace: Optional[float],
    max_concurrency: Optional[int],
) -> Export:
    """Time one full export through a fresh client; never raises (errors are reported)."""
    import httpx

    from extend_runs import Client

    result = Export()
    http = httpx.Client(event_hooks={"response": [Counting(result)]}, timeout=60)
    client = Client(api_key=API_KEY, base_url=url, http_client=http, max_requests_per_second=pace)
    started = time.perf_counter()
    try:
        for _ in listing(client, page_size, latency, max_concurrency):
            result.runs += 1
    except Exception as error:  # the retries ran out: the table says so
        result.error = f"{type(error).__name__} after {result.runs:,} runs"
    result.seconds = time.perf_counter() - started
    http.close()
    return result


# -- the contenders ---------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    name: str
    listing: Listing
    partitioned: bool = True  # counts towards "the best partitioned export" of the targets
    library: bool = True  # an option of the library as it is, not a sketch built here


def options(**listing: Any) -> Listing:
    """A contender that is one call of ``list_processor_runs`` with these options."""

    def run(
        client: Any, page_size: int, latency: float, max_concurrency: Optional[int]
    ) -> Iterable[Any]:
        extra = {"max_concurrency": max_concurrency} if "partition_by" in listing else {}
        return client.list_processor_runs(max_page_size=page_size, **listing, **extra)

    return run


def split_large_statuses(survey: Survey, budget: float) -> Listing:
    """A sketch of an automatic choice, built from today's pieces (see ``large_statuses``).

    The statuses whose own chain of pages takes longer than the budget needs for a status
    split are listed by source (``partition_by="source"`` with that status); the others as
    one prefetching sub-listing each; all of them merged by ``updatedAt``, newest first.
    """

    def run(
        client: Any, page_size: int, latency: float, max_concurrency: Optional[int]
    ) -> Iterable[Any]:
        large = large_statuses(survey, budget, latency)
        by_source = {"partition_by": "source", "max_concurrency": max_concurrency}
        listings = [
            client.list_processor_runs(
                max_page_size=page_size,
                status=status,
                **(by_source if status in large else {"prefetch": True}),
            )
            for status in statuses()
        ]
        # heapq.merge reads the first run of each sub-listing in turn, so the sub-listings
        # start one after another: about (sub-listings - 1) x latency lost at the start,
        # which the library's own merge (all partitions started at once) would not lose.
        return heapq.merge(*listings, key=lambda run: run.updated_at, reverse=True)

    return run


def statuses() -> list[str]:
    from extend_runs import ProcessorRunStatus

    return [status.value for status in ProcessorRunStatus]


def large_statuses(survey: Survey, budget: float, latency: float) -> set[str]:
    """Statuses worth splitting by source: their chain outlasts the budget time after it.

    Splitting a status into its 7 sources costs about 6 more requests (each sub-listing
    ends on a page of its own), so a status is split only when its chain of pages takes
    longer than the budget needs for every page of the export, those extra ones included.
    """
    pages = {status: survey.pages((("status", status),)) for status in statuses()}
    total = sum(pages.values())
    large: set[str] = set()
    for status in sorted(pages, key=pages.__getitem__, reverse=True):
        if pages[status] * latency <= (total + 6 * (len(large) + 1)) / budget:
            break
        large.add(status)
    return large


def contenders(survey: Survey, budget: float) -> list[Contender]:
    """Everything measured in a scenario, each one unpaced and paced."""
    return [
        Contender("plain", options(), partitioned=False),
        Contender("prefetch=True", options(prefetch=True), partitioned=False),
        Contender('partition_by="status"', options(partition_by="status")),
        Contender('partition_by=("status", "source")', options(partition_by=("status", "source"))),
        Contender('partition_by="auto"', options(partition_by="auto")),
        # The sketch the automatic choice started from, built with the other options: it
        # knows each status's size beforehand, which the library has to estimate.
        Contender(
            "large statuses by source (sketch)", split_large_statuses(survey, budget), library=False
        ),
    ]


# -- measuring a scenario ---------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    rate_limit: int
    pace: float
    max_concurrency: Optional[int]
    rounds: int


@dataclass
class Row:
    """The medians and bound of one contender, unpaced or paced, in one scenario."""

    contender: Contender
    pace: Optional[float]
    exports: list[Export]
    must: int  # pages it must request (the survey)
    partitions: int
    largest: int  # pages of its largest partition
    runs: int  # runs it must list

    @property
    def seconds(self) -> float:
        return statistics.median(e.seconds for e in self.exports)

    @property
    def limited(self) -> int:
        return int(statistics.median(e.limited for e in self.exports))

    def terms(self, latency: float, budget: float, in_flight: int) -> dict[str, float]:
        return {
            "budget": self.must / budget,
            "largest partition": self.largest * latency,
            "in flight": self.must * latency / max(1, min(in_flight, self.partitions)),
        }

    def bound(self, latency: float, budget: float) -> float:
        return max(self.must / budget, self.largest * latency)


def measure(
    url: str, survey: Survey, page_size: int, latency: float, settings: Settings
) -> list[Row]:
    """Run every contender, unpaced and paced, ``rounds`` times in a rotating order."""
    cases = [
        (contender, pace)
        for contender in contenders(survey, settings.rate_limit)
        for pace in (None, settings.pace)
    ]
    results: dict[int, list[Export]] = {i: [] for i in range(len(cases))}
    for round_number in range(settings.rounds):
        shift = round_number % len(cases)
        for i in list(range(len(cases)))[shift:] + list(range(len(cases)))[:shift]:
            contender, pace = cases[i]
            time.sleep(1.1)  # let the fake's one-second window forget the previous export
            results[i].append(
                export(url, contender.listing, page_size, latency, pace, settings.max_concurrency)
            )
    rows = []
    for i, (contender, pace) in enumerate(cases):
        seen: set[Partition] = set()
        for result in results[i]:
            seen.update(result.pages)
        counts = [survey.count(partition) for partition in seen] or [(0, 0)]
        must = sum(pages for pages, _ in counts)
        largest = max(pages for pages, _ in counts)
        runs = sum(runs for _, runs in counts)
        if any(set(a) < set(b) for a in seen for b in seen):
            # Nested partitions (partition_by="auto" splits a status at a cut: the status
            # lists its runs up to the cut, its sources the rest): the survey would count
            # their runs twice, so count the pages each partition was sent instead.
            sent = results[i][0].pages
            must, largest = sum(sent.values()), max(sent.values())
            runs = survey.count(())[1]
        rows.append(Row(contender, pace, results[i], must, len(seen), largest, runs))
    return rows


# -- the report -------------------------------------------------------------------------


def scenario_runs(args: argparse.Namespace, page_size: int, latency: float) -> int:
    """Runs of a scenario: slower pages get fewer runs, so each scenario takes about as long."""
    runs = args.runs_1000 if page_size >= 1000 else args.runs
    return max(page_size, round(runs * min(1.0, 0.25 / latency)))


def report(rows: list[Row], latency: float, settings: Settings) -> None:
    budget = float(settings.rate_limit)
    in_flight = settings.max_concurrency or default_concurrency()
    plain = next(row for row in rows if row.contender.name == "plain" and row.pace is None)
    print(
        "| Contender | Pacing | Time | 429s | Pages | Partitions | Largest | Bound | "
        "Limited by | Efficiency | vs plain |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        terms = row.terms(latency, budget, in_flight)
        bound = row.bound(latency, budget)
        failed = [e.error for e in row.exports if e.error]
        time_text = f"{row.seconds:.2f} s" + (f" ({failed[0]})" if failed else "")
        requested = statistics.median(sum(e.pages.values()) for e in row.exports)
        pages_text = f"{row.must}" + (f" (sent {requested:g})" if requested != row.must else "")
        print(
            f"| {row.contender.name} | {'none' if row.pace is None else f'{row.pace:g}/s'} "
            f"| {time_text} | {row.limited} | {pages_text} | {row.partitions} | {row.largest} "
            f"| {bound:.2f} s | {max(terms, key=lambda name: terms[name])} "
            f"| {bound / row.seconds:.2f} | {plain.seconds / row.seconds:.2f}x |"
        )


def default_concurrency() -> int:
    """``max_concurrency`` when it is not given (docs/listing-faster.md)."""
    return 5


def describe(survey: Survey, latency: float, budget: float) -> None:
    """The shape of the data, from the survey: runs per status, the statuses split by source."""
    counts = {status: survey.count((("status", status),)) for status in statuses()}
    total = sum(runs for _, runs in counts.values()) or 1
    shares = ", ".join(
        f"{status} {runs / total:.0%} ({pages} pages)" for status, (pages, runs) in counts.items()
    )
    print(f"Runs by status: {shares}.")
    large = sorted(large_statuses(survey, budget, latency))
    print(f"The sketch splits by source: {', '.join(large) or 'no status'}.\n")


def summary(key_rows: Optional[list[Row]], settings: Settings) -> None:
    """The targets of issue 15, on skewed data at 250 ms, 100 a page and the rate limit."""
    print(
        "## Targets (realistic data, 250 ms a page, 100 a page, "
        f"{settings.rate_limit} requests/s)\n"
    )
    if key_rows is None:
        print("Not measured: run with the realistic distribution, page size 100, latency 0.25.")
        return
    latency, budget = KEY[2], float(settings.rate_limit)
    plain = next(row for row in key_rows if row.contender.name == "plain" and row.pace is None)
    paced = [row for row in key_rows if row.pace is not None and row.contender.partitioned]
    for label, pool in (
        ("best partitioned export of the library", [r for r in paced if r.contender.library]),
        ("the sketch of an automatic choice", [r for r in paced if not r.contender.library]),
    ):
        if not pool:
            continue
        best = min(pool, key=lambda row: row.seconds)
        efficiency = best.bound(latency, budget) / best.seconds
        speed_up = plain.seconds / best.seconds
        print(f"- {label}: {best.contender.name}, paced at {best.pace:g}/s, {best.seconds:.2f} s")
        print(
            f"  - efficiency {efficiency:.2f} (target 0.9) with {best.limited} responses 429 "
            f"(target 0): {'met' if efficiency >= 0.9 and best.limited == 0 else 'missed'}"
        )
        print(
            f"  - {speed_up:.2f}x the plain listing's {plain.seconds:.2f} s (target 1.7x): "
            f"{'met' if speed_up >= 1.7 else 'missed'}; its bound allows "
            f"{plain.bound(latency, budget) / best.bound(latency, budget):.2f}x"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2,000 runs at 100 a page and 250 ms only"
    )
    parser.add_argument("--runs", type=int, help="runs at page sizes under 1000 (6000)")
    parser.add_argument("--runs-1000", type=int, help="runs at 1000 a page (20000)")
    parser.add_argument(
        "--latencies",
        help="seconds per page, comma-separated (0.25,1); slower pages get proportionally "
        "fewer runs",
    )
    parser.add_argument("--page-sizes", help="comma-separated (100,1000)")
    parser.add_argument(
        "--distributions", default="realistic,even", help="comma-separated (realistic,even)"
    )
    parser.add_argument("--rate-limit", type=int, default=10, help="the fake's budget (10/s)")
    parser.add_argument(
        "--pace", type=float, default=9.5, help="max_requests_per_second when paced (9.5)"
    )
    parser.add_argument(
        "--max-concurrency", type=int, help="for partitioned exports (the library's default)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (1)")
    args = parser.parse_args()
    if args.runs is None:
        args.runs = 2_000 if args.quick else 6_000
    if args.runs_1000 is None:
        args.runs_1000 = 10_000 if args.quick else 20_000
    if args.latencies is None:
        args.latencies = "0.25" if args.quick else "0.25,1"
    if args.page_sizes is None:
        args.page_sizes = "100" if args.quick else "100,1000"
    settings = Settings(args.rate_limit, args.pace, args.max_concurrency, args.rounds)
    in_flight = args.max_concurrency or default_concurrency()

    print(f"# extend-runs export benchmark ({'quick' if args.quick else 'full'} run)\n")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores. "
        f"The fake allows {args.rate_limit} requests/s; paced exports use "
        f"max_requests_per_second={args.pace:g}; partitioned exports keep up to {in_flight} "
        f"requests in flight; {args.rounds} round(s), medians.\n"
        "Pages and partitions: counted by listing each partition's filters once on a "
        "zero-latency, unlimited fake with the same runs. Bound: max(pages / budget, "
        "largest partition's pages x latency). Efficiency: bound / time. vs plain: the "
        "unpaced plain listing's time / this time.\n"
    )
    started = time.perf_counter()
    key_rows = None
    for distribution in args.distributions.split(","):
        for page_size in (int(size) for size in args.page_sizes.split(",")):
            for latency in (float(value) for value in args.latencies.split(",")):
                runs = scenario_runs(args, page_size, latency)
                print(
                    f"## {distribution} data, {runs:,} runs, {page_size} a page, "
                    f"{latency * 1000:g} ms a page, {args.rate_limit} requests/s\n"
                )
                with (
                    serve(runs, distribution) as survey_url,
                    serve(runs, distribution, latency, args.rate_limit) as url,
                ):
                    survey = Survey(survey_url, page_size)
                    describe(survey, latency, args.rate_limit)
                    rows = measure(url, survey, page_size, latency, settings)
                for row in rows:
                    if any(e.runs != row.runs and not e.error for e in row.exports):
                        raise RuntimeError(f"{row.contender.name} did not list {row.runs} runs")
                report(rows, latency, settings)
                print()
                if (distribution, page_size, latency) == KEY:
                    key_rows = rows
    summary(key_rows, settings)
    print(f"Total time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
