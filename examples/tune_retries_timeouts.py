"""Tune retries and timeouts: one client, a patient copy for exports and a quick one.

``with_options`` returns copies that share the original client's connection pool, so
each kind of call gets the settings it needs without opening new connections.

Usage:
    python examples/tune_retries_timeouts.py

Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import logging
import sys

import httpx

from extend_runs import APIConnectionError, APIStatusError, Client


def main() -> int:
    # Show each retry the client makes (at INFO) on standard error.
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("extend_runs").setLevel(logging.INFO)

    with Client(timeout=httpx.Timeout(30.0, connect=5.0), max_retries=2) as client:
        # A health check should answer fast or not at all: no retries, a short timeout.
        quick = client.with_options(timeout=5.0, max_retries=0)
        try:
            quick.list_processor_runs_page(max_page_size=1)
            print("Extend is reachable")
        except (APIConnectionError, APIStatusError) as error:
            print(f"Extend is not reachable: {error}")
            return 1

        # An overnight export can wait: more retries, and generous reads for 1000-run pages.
        patient = client.with_options(timeout=httpx.Timeout(120.0, connect=10.0), max_retries=6)
        count = sum(1 for _ in patient.list_processor_runs(max_page_size=1000))
        print(f"listed {count} runs")
        for name, configured in (("default", client), ("quick", quick), ("patient", patient)):
            print(
                f"{name:>8}: read timeout {configured.timeout.read} s, "
                f"{configured.max_retries} retries"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
