"""``extend-runs sync``: append what changed since the last sync, and never skip a change.

Each sync is one listing by ``updatedAt``, newest first, down to the mark the last sync
left: the newest ``updatedAt`` it had seen and the ids it had seen at exactly that moment
(timestamps tie). Runs at or below the mark were written before and are left out. A run
that changes while the listing is under way moves to the front of the listing, past
where it already is, so this sync may miss it; its new ``updatedAt`` is later than the
new mark (or equal to it with an id the mark does not hold), so the next sync has it.

The order of the writes is what makes a crash harmless: records are appended and the
file is flushed and fsynced, and only then is the state replaced (a temporary file in
the same directory, fsynced, renamed over the old one, the directory fsynced). A sync
killed at any moment leaves the old state, so the next one lists the same changes again:
records may repeat, none is skipped. A record half written when the process died is cut
off before anything else is appended.
"""

# pyright: basic
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Optional

from .._models import ProcessorRunSummary
from .._times import aware_time

STATE_VERSION = 1
"""The version of the state file's layout."""

_CHUNK = 64 * 1024


class StateError(Exception):
    """A state file that cannot be used for this sync; the message says why."""


@dataclass(frozen=True)
class SyncMark:
    """Where the synced runs end: every run version at or below it has been written.

    ``newest`` is ``None`` before the first sync (nothing is covered). A version
    ``(id, updated_at)`` is covered when ``updated_at < newest``, or when it equals
    ``newest`` and ``id`` is one of ``ids``.
    """

    newest: Optional[datetime] = None
    ids: frozenset[str] = field(default_factory=frozenset)

    def covers(self, run: ProcessorRunSummary) -> bool:
        newest = self.newest
        if newest is None:
            return False
        return run.updated_at < newest or (run.updated_at == newest and run.id in self.ids)

    def after(self, runs: Iterable[ProcessorRunSummary]) -> SyncMark:
        """The mark once a complete listing down to this one has seen ``runs``."""
        newest, ids = self.newest, set(self.ids)
        for run in runs:
            if newest is None or run.updated_at > newest:
                newest, ids = run.updated_at, {run.id}
            elif run.updated_at == newest:
                ids.add(run.id)
        return SyncMark(newest, frozenset(ids))


@dataclass(frozen=True)
class SyncState:
    """What a state file holds: the filters and format it belongs to, and the mark."""

    filters: Mapping[str, str]
    output_format: str
    mark: SyncMark

    def to_json(self) -> dict[str, Any]:
        newest = self.mark.newest
        return {
            "version": STATE_VERSION,
            "filters": dict(sorted(self.filters.items())),
            "format": self.output_format,
            "newestUpdatedAt": None if newest is None else newest.isoformat(),
            "idsAtNewest": sorted(self.mark.ids),
        }

    @classmethod
    def from_json(cls, data: Any) -> SyncState:
        """Read a state file's contents; :class:`StateError` if they are not one."""
        try:
            if data["version"] != STATE_VERSION:
                raise StateError(f"it has version {data['version']!r}, not {STATE_VERSION}")
            filters = data["filters"]
            ids = data["idsAtNewest"]
            newest = data["newestUpdatedAt"]
            output_format = data["format"]
            if not isinstance(filters, dict) or not all(
                isinstance(key, str) and isinstance(value, str) for key, value in filters.items()
            ):
                raise StateError("its filters are not a mapping of strings")
            if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
                raise StateError("its idsAtNewest are not a list of strings")
            if not isinstance(output_format, str):
                raise StateError("its format is not a string")
            moment = None if newest is None else aware_time("newestUpdatedAt", newest)
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, StateError):
                raise
            raise StateError(f"it is not a sync state ({error})") from None
        return cls(filters, output_format, SyncMark(moment, frozenset(ids)))


def read_state(path: str) -> Optional[SyncState]:
    """The state at ``path``, or ``None`` when there is none yet (the first sync)."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateError(f"cannot read it: {error.strerror or error}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise StateError("it is not JSON") from None
    return SyncState.from_json(data)


def write_state(path: str, state: SyncState) -> None:
    """Replace the state at ``path`` atomically and durably.

    The new state goes to ``PATH.tmp`` in the same directory, is flushed and fsynced,
    and is renamed over ``path``; then the directory is fsynced so the rename itself
    survives a power cut. A reader sees the old state or the new one, never a mix.
    """
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(state.to_json(), file, indent=2)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    fsync_directory(os.path.dirname(os.path.abspath(path)))


def fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # Windows: a rename is durable once it returns
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def repair_torn_tail(path: str) -> int:
    """Cut ``path`` back to its last complete line; the number of bytes dropped.

    A process killed while appending can leave half a record after the last newline.
    Nothing is dropped from a file that ends with a newline, is empty or is missing.
    """
    try:
        file = open(path, "r+b")  # noqa: SIM115  # closed below
    except FileNotFoundError:
        return 0
    with file:
        size = file.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        file.seek(size - 1)
        if file.read(1) == b"\n":
            return 0
        keep, end = 0, size
        while end > 0:
            start = max(0, end - _CHUNK)
            file.seek(start)
            newline = file.read(end - start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        file.truncate(keep)
        file.flush()
        os.fsync(file.fileno())
    return size - keep


def sync_to_disk(stream: IO[str]) -> None:
    """Flush ``stream`` and fsync its file: the records are on disk when this returns."""
    stream.flush()
    os.fsync(stream.fileno())
