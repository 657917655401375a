"""A long export that survives a crash: it saves a checkpoint as it goes.

Every run is appended to OUTPUT.jsonl as one JSON line. Every SAVE_EVERY runs, and when
the export stops on an error from the API, the pager's checkpoint is saved to
OUTPUT.jsonl.checkpoint together with the length of OUTPUT.jsonl at that moment. Run the
same command again and it continues from the checkpoint: it first cuts OUTPUT.jsonl back to
the saved length (dropping lines written after the checkpoint by a process that was
killed or interrupted with Ctrl-C), then lists exactly the runs not yet written. Every run
ends up in the file once, in order. When the export is complete, the checkpoint file is
removed.

Usage:
    python examples/resume_from_checkpoint.py OUTPUT.jsonl

Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Optional

from extend_runs import APIError, Client

SAVE_EVERY = 100
"""Runs written between two saved checkpoints."""


def load_checkpoint(path: Path) -> tuple[Optional[str], int]:
    """The saved checkpoint and the output length that goes with it; ``(None, 0)`` if none."""
    if not path.exists():
        return None, 0
    saved = json.loads(path.read_text(encoding="utf-8"))
    return str(saved["checkpoint"]), int(saved["bytes"])


def save_checkpoint(path: Path, checkpoint: str, sink: IO[str]) -> None:
    """Flush the output, then record the checkpoint with the output's length."""
    sink.flush()
    os.fsync(sink.fileno())  # the lines reach the disk before the checkpoint that covers them
    record = {"checkpoint": checkpoint, "bytes": os.fstat(sink.fileno()).st_size}
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temporary, path)  # atomic: a crash leaves the old checkpoint or the new one


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    output = Path(argv[1])
    checkpoint_file = output.with_name(output.name + ".checkpoint")
    checkpoint, length = load_checkpoint(checkpoint_file)
    if checkpoint is None:
        output.write_text("", encoding="utf-8")
        print("starting a new export")
    else:
        with output.open("r+b") as existing:
            existing.truncate(length)  # drop what was written after the checkpoint
        print("resuming from the saved checkpoint")

    written = 0
    with Client() as client, output.open("a", encoding="utf-8") as sink:
        # A checkpoint only resumes the listing it came from: keep the filters and sort the
        # same between runs. Oldest first by creation time: runs that change, or are created
        # during the export, do not move the runs already written.
        pager = client.list_processor_runs(
            sort_by="createdAt", sort_dir="asc", max_page_size=100, resume_from=checkpoint
        )
        try:
            for run in pager:
                sink.write(run.model_dump_json(by_alias=True) + "\n")
                written += 1
                if written % SAVE_EVERY == 0:
                    # Taken between two runs: it covers exactly the lines written so far.
                    save_checkpoint(checkpoint_file, pager.checkpoint, sink)
        except APIError as error:
            # Raised while the pager fetched a page, so every run it yielded is written.
            save_checkpoint(checkpoint_file, pager.checkpoint, sink)
            print(f"stopped after {written} runs: {error}", file=sys.stderr)
            print("run the same command again to continue", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            # Ctrl-C may land halfway through a line: keep the last checkpoint, and let the
            # next run cut the file back to it.
            print(f"interrupted after {written} runs", file=sys.stderr)
            print("run the same command again to continue", file=sys.stderr)
            return 130
    checkpoint_file.unlink(missing_ok=True)
    print(f"export complete: {written} runs written in this run")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
