"""Run the fake in its own process: ``python -m extend_runs.testing --port 0 --runs 100000``.

Prints the base URL on the first line of stdout once it accepts connections, then serves
until interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime
from typing import Any, List, Optional

from ._data import DISTRIBUTIONS
from ._fake import DEFAULT_API_KEY, FakeExtend


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m extend_runs.testing",
        description="Serve a fake Extend List Processor Runs API on a local port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 lets the OS choose (0)")
    parser.add_argument("--runs", type=int, default=250, help="runs to generate (250)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated runs (0)")
    parser.add_argument(
        "--now",
        type=_moment,
        default=None,
        help="a fixed clock, ISO-8601 with an offset, e.g. 2026-12-01T00:00:00Z "
        "(default: the wall clock); generated runs span the 90 days before it",
    )
    parser.add_argument(
        "--distribution",
        choices=DISTRIBUTIONS,
        default="realistic",
        help="how runs spread over statuses, sources and types (realistic)",
    )
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the accepted API key")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per response")
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="requests per second allowed (unlimited)"
    )
    parser.add_argument(
        "--error-shape", choices=("current", "legacy"), default="current", help="error body shape"
    )
    parser.add_argument(
        "--last-page-token",
        choices=("absent", "null", "empty"),
        default="absent",
        help="how the last page ends",
    )
    return parser


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give an offset or Z: {text!r}")
    return moment


def main(argv: Optional[List[str]] = None) -> int:
    """Parse ``argv``, serve the fake and print its base URL; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        import uvicorn  # noqa: F401  (only to fail early, before generating any run)
    except ImportError:
        print(
            "python -m extend_runs.testing needs uvicorn: pip install 'extend-runs[testing]'",
            file=sys.stderr,
        )
        return 1
    fake = FakeExtend(
        args.runs,
        seed=args.seed,
        now=args.now,
        distribution=args.distribution,
        api_key=args.api_key,
        latency=args.latency,
        rate_limit=args.rate_limit,
        error_shape=args.error_shape,
        last_page_token=args.last_page_token,
    )
    fake._warm()
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with fake.serve(args.host, args.port) as base_url:
        print(base_url, flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
