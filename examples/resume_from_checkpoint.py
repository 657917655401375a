"""A long export that survives a crash: it saves its cursor after each page.

Each page's runs are appended to OUTPUT.jsonl, then the cursor of the next page is saved
to OUTPUT.jsonl.checkpoint. If the export stops (an error that outlasted the retries, a
killed process), run the same command again: it continues from the saved cursor. When the
export is complete, the checkpoint is removed.

A crash between writing a page and saving the cursor repeats that page on the next run, so
rows are written at least once; the run IDs make duplicates easy to drop.

Usage:
    python examples/resume_from_checkpoint.py OUTPUT.jsonl

Reads EXTEND_API_KEY (and EXTEND_BASE_URL, if set) from the environment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

from extend_runs import APIError, Client


def load_checkpoint(path: Path) -> Optional[str]:
    if not path.exists():
        return None
    token = json.loads(path.read_text(encoding="utf-8"))["next_page_token"]
    return str(token)


def save_checkpoint(path: Path, token: str) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps({"next_page_token": token}), encoding="utf-8")
    os.replace(temporary, path)  # atomic: a crash leaves the old checkpoint or the new one


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    output = Path(argv[1])
    checkpoint = output.with_name(output.name + ".checkpoint")
    token = load_checkpoint(checkpoint)
    if token is None:
        output.write_text("", encoding="utf-8")
        print("starting a new export")
    else:
        print("resuming from the saved cursor")

    written = 0
    with Client() as client, output.open("a", encoding="utf-8") as sink:
        # A cursor only resumes the listing it came from: keep the filters and sort order
        # the same between runs. Sorting by creation time keeps changing runs in place.
        pager = client.list_processor_runs(
            sort_by="createdAt", sort_dir="asc", max_page_size=100, next_page_token=token
        )
        try:
            for page in pager.pages():
                for run in page.processor_runs:
                    sink.write(run.model_dump_json(by_alias=True) + "\n")
                sink.flush()
                written += len(page.processor_runs)
                if pager.next_page_token is not None:
                    save_checkpoint(checkpoint, pager.next_page_token)
        except APIError as error:
            print(f"stopped after {written} runs: {error}", file=sys.stderr)
            if pager.next_page_token is not None:
                save_checkpoint(checkpoint, pager.next_page_token)
            print("run the same command again to continue", file=sys.stderr)
            return 1
    checkpoint.unlink(missing_ok=True)
    print(f"export complete: {written} runs written in this run")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
