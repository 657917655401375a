"""A nightly incremental export: ``extend-runs sync``, then the latest version of each run.

Usage:
    python examples/nightly_sync.py OUTPUT.jsonl STATE.json

Run it from cron (``0 2 * * * python nightly_sync.py /data/runs.jsonl /data/runs.state``):
the first night appends every run to OUTPUT, each later night only the runs created or
changed since. A night that is interrupted is repeated in part the next night; nothing
is skipped. OUTPUT may hold several versions of a run: keep the latest ``updatedAt``.
Needs the ``[cli]`` extra. Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from typing import Any


def latest_versions(path: str) -> dict[str, dict[str, Any]]:
    """Each run's newest record in a file written by ``extend-runs sync``."""
    runs: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as file:
        for line in file:
            record = json.loads(line)
            known = runs.get(record["id"])
            # Compare as times, not text: "...:05Z" and "...:05.000000Z" are the same moment.
            if known is None or _moment(record) >= _moment(known):
                runs[record["id"]] = record
    return runs


def _moment(record: dict[str, Any]) -> str:
    return datetime.fromisoformat(record["updatedAt"].replace("Z", "+00:00")).isoformat()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    output, state = argv[1], argv[2]
    command = [sys.executable, "-m", "extend_runs.cli", "sync", "-o", output, "--state", state]
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        return done.returncode  # the sync said why; the next run picks up from the state
    runs = latest_versions(output)
    by_status = Counter(run["status"] for run in runs.values())
    print(f"{len(runs)} runs: " + ", ".join(f"{n} {s}" for s, n in by_status.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
