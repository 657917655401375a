"""A program that leaves a listing whose next page is still on its way, then exits.

Usage: ``python -m tests.listing.leave_and_exit BASE_URL API_KEY MODE TIMEOUT``, MODE a key
of ``drive.MODES``. It prints ``first`` once it has the first run, waits for a line on
stdin (the test sends one once the server holds a request of this listing), then breaks
out of the loop and returns from the program without closing the client, as a script
may. Exiting must not wait for the request in flight.
"""

from __future__ import annotations

import sys

from extend_runs import Client

from .drive import MODES


def main(base_url: str, api_key: str, mode: str, timeout: str) -> None:
    client = Client(api_key=api_key, base_url=base_url, timeout=float(timeout))
    for _ in client.list_processor_runs(max_page_size=10, **MODES[mode]):
        print("first", flush=True)
        sys.stdin.readline()
        break
    print("left", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
