"""Run the fault matrix and the load, print the figures and write them into the docs.

Usage, from the repository root::

    python -m tests.reliability.report            # writes docs/reliability.md
    python -m tests.reliability.report --check    # prints only; exits 1 if a cell fails

The pytest run asserts the same cells; this script only records their outcome.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from extend_runs.testing._server import run_in_thread

from .load import async_load, new_load_fake, thread_load
from .matrix import (
    CASES,
    EVERY_ATTEMPT,
    MODES,
    ONCE,
    POSITIONS,
    Outcome,
    new_fake,
    run,
    scenarios,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def run_matrix() -> tuple[list[Outcome], float]:
    fake = new_fake()
    started = time.perf_counter()
    with run_in_thread(fake.asgi_app()) as base_url:
        outcomes = [run(scenario, fake, base_url) for scenario in scenarios()]
    return outcomes, time.perf_counter() - started


def _cell(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "n/a"
    kinds = sorted({outcome.summary for outcome in outcomes})
    good = sum(1 for outcome in outcomes if not outcome.problems())
    return f"{' / '.join(kinds)} ({good}/{len(outcomes)})"


def matrix_table(outcomes: list[Outcome], seconds: float) -> str:
    by_case: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_case[outcome.scenario.case.name].append(outcome)
    cells = len(POSITIONS) * len(MODES)
    lines = [
        f"| Fault (at page 1, 5 or 10; sync and async) | Once: outcome ({cells} cells) "
        f"| On every attempt: outcome ({cells} cells) | Wait before a retry | Lost | Repeated |",
        "|---|---|---|---|---|---|",
    ]
    for case in CASES:
        rows = by_case[case.name]
        once = [o for o in rows if o.scenario.persistence == ONCE]
        every = [o for o in rows if o.scenario.persistence == EVERY_ATTEMPT]
        lines.append(
            f"| {case.name} | {_cell(once)} | "
            f"{_cell(every) if case.retryable else 'same as once (not retried)'} | "
            f"{case.wait_rule} | {sum(o.lost for o in rows)} | {sum(o.repeated for o in rows)} |"
        )
    failed = [o for o in outcomes if o.problems()]
    completed = sum(1 for o in outcomes if o.runs == o.expected)
    lines += [
        "",
        f"**{len(CASES)} faults, {len(outcomes)} listings of {len(outcomes[0].expected)} runs; "
        f"{completed} complete with exactly the expected runs "
        f"({sum(1 for o in outcomes if o.error is None)} without an error, the rest after "
        f"resuming from `pager.next_page_token`); runs lost: {sum(o.lost for o in outcomes)}; "
        f"runs repeated: {sum(o.repeated for o in outcomes)}; cells that broke a promise: "
        f"{len(failed)}.** Requests sent: {sum(o.requests for o in outcomes)}, each one page "
        f"plus exactly one per failed attempt. Matrix wall time {seconds:.1f} s.",
    ]
    return "\n".join(lines)


def load_table() -> str:
    fake = new_load_fake()
    with run_in_thread(fake.asgi_app()) as base_url:
        results = [
            ("50 async listings at once, one `AsyncClient`", async_load(fake, base_url)),
            ("8 threads x 5 listings, one `Client`", thread_load(fake, base_url)),
        ]
    lines = [
        "| Load | Listings correct | Runs | Requests | Wall time (traced) | "
        "tracemalloc peak | Pool after: open / active / waiting |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results:
        lines.append(
            f"| {name} | {r.correct}/{r.listings} | {r.runs} | {r.requests} | "
            f"{r.seconds:.2f} s | {r.peak_bytes / 2**20:.1f} MiB | "
            f"{r.pool.connections} / {r.pool.active} / {r.pool.waiting} |"
        )
    return "\n".join(lines)


def _replace(text: str, name: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", flags=re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{DOC} has no <!-- {name}:begin/end --> markers")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print only, do not write docs")
    args = parser.parse_args(argv)
    outcomes, seconds = run_matrix()
    matrix = matrix_table(outcomes, seconds)
    load = load_table()
    print(matrix, load, sep="\n\n")
    for outcome in outcomes:
        for problem in outcome.problems():
            print(f"FAILED {outcome.scenario.id}: {problem}", file=sys.stderr)
    if not args.check:
        text = DOC.read_text()
        text = _replace(text, "fault-matrix", matrix)
        text = _replace(text, "load", load)
        DOC.write_text(text)
        print(f"\nwrote {DOC}")
    return 1 if any(outcome.problems() for outcome in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
