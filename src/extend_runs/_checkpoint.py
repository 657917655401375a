"""Checkpoints: where a listing stands, as an opaque string safe in a file or a shell.

A checkpoint records, for every partition of a listing, the cursor of the page it is on
and how many of that page's runs were already consumed, the number of runs handed out in
all (so ``limit`` counts across resumptions), and a fingerprint of what was listed (the
filters, sort, partitioning and window), so that it cannot resume a different listing.

The string is ``c1.`` followed by zlib-compressed JSON in URL-safe base64: its alphabet
is ``[A-Za-z0-9_.=-]``. A listing whose partitions change as it goes
(``partition_by="auto"``) writes ``c2.``: each partition also records the filters that
select it and its edges (the sort keys past which it skips or stops), and whether the
listing has settled its partitions. Both versions load.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

__all__ = ["Checkpoint", "LanePosition", "LaneShape", "WatchPoint", "fingerprint"]

_PREFIX = "c1."
_SHAPED_PREFIX = "c2."
_WATCH_PREFIX = "w1."

LanePosition = Optional[tuple[Optional[str], int]]
"""One partition: ``(cursor of its page, runs of that page consumed)``, ``None`` when done.
For a partition of a ``c2.`` checkpoint with an ``after`` edge, only its runs past the
edge are counted: those before it belong to the partition it was split from."""


@dataclass(frozen=True)
class LaneShape:
    """What one partition of a ``c2.`` checkpoint lists (its position is kept beside it)."""

    values: tuple[tuple[str, str], ...]
    """The partition's filters, as (wire name, value) pairs."""
    after: Optional[str] = None
    """ISO-8601 sort key: the partition skips runs not strictly after it in the order."""
    upto: Optional[str] = None
    """ISO-8601 sort key: the partition ends at its first run strictly after it."""


def fingerprint(identity: dict[str, Any]) -> str:
    """A short digest of what a listing lists; equal listings give equal fingerprints."""
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


@dataclass(frozen=True)
class Checkpoint:
    """The decoded form of a checkpoint string."""

    fingerprint: str
    handed_out: int
    """Runs handed out in all, across the listing and its earlier resumptions."""
    lanes: tuple[LanePosition, ...]
    """One position per partition, in the listing's partition order (one for a plain one)."""
    shapes: Optional[tuple[LaneShape, ...]] = None
    """For a listing whose partitions change (``c2.``): what each partition lists."""
    settled: bool = True
    """For ``c2.``: the listing has decided which partitions to split."""

    def encode(self) -> str:
        """The checkpoint as an opaque string over ``[A-Za-z0-9_.=-]``."""
        positions = [None if lane is None else [lane[0], lane[1]] for lane in self.lanes]
        body: dict[str, Any] = {"f": self.fingerprint, "n": self.handed_out, "l": positions}
        if self.shapes is None:
            return _pack(_PREFIX, body)
        body["s"] = [[[list(pair) for pair in s.values], s.after, s.upto] for s in self.shapes]
        body["d"] = self.settled
        return _pack(_SHAPED_PREFIX, body)

    @classmethod
    def decode(cls, text: object) -> Checkpoint:
        """Read a checkpoint string (``c1.`` or ``c2.``); :class:`ValueError` if it is not one."""
        problem = "resume_from must be a checkpoint string such as pager.checkpoint"
        shaped = isinstance(text, str) and text.startswith(_SHAPED_PREFIX)
        body = _unpack(_SHAPED_PREFIX if shaped else _PREFIX, text, problem)
        try:
            lanes = tuple(_lane(lane) for lane in body["l"])
            handed_out = body["n"]
            mark = body["f"]
            shapes = tuple(_shape(shape) for shape in body["s"]) if shaped else None
            settled = body["d"] if shaped else True
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{problem}; {_shown(str(text))} is damaged or not one") from None
        if (
            not _is_count(handed_out)
            or not isinstance(mark, str)
            or not isinstance(settled, bool)
            or (shapes is not None and len(shapes) != len(lanes))
        ):
            raise ValueError(f"{problem}; {_shown(str(text))} is damaged or not one")
        return cls(mark, handed_out, lanes, shapes, settled)


@dataclass(frozen=True)
class WatchPoint:
    """Where a watch stands: the newest change handed out, and the runs changed at that moment.

    ``newest`` is ``None`` before the first poll (a fresh watch) or, with ``started``,
    when the first poll found no run at all.
    """

    fingerprint: str
    started: bool
    newest: Optional[str]
    """ISO-8601 ``updatedAt`` of the newest change handed out (or seen at the start)."""
    ids_at_newest: tuple[str, ...]

    def encode(self) -> str:
        body: dict[str, Any] = {"f": self.fingerprint, "s": self.started, "t": self.newest}
        body["i"] = list(self.ids_at_newest)
        return _pack(_WATCH_PREFIX, body)

    @classmethod
    def decode(cls, text: object) -> WatchPoint:
        problem = "resume_from must be a checkpoint string such as watcher.checkpoint"
        body = _unpack(_WATCH_PREFIX, text, problem)
        try:
            mark, started, newest = body["f"], body["s"], body["t"]
            ids: list[Any] = body["i"]
        except (KeyError, TypeError):
            raise ValueError(f"{problem}; {_shown(str(text))} is damaged or not one") from None
        if (
            not isinstance(mark, str)
            or not isinstance(started, bool)
            or not (newest is None or isinstance(newest, str))
            or not isinstance(ids, list)
            or not all(isinstance(each, str) for each in ids)
        ):
            raise ValueError(f"{problem}; {_shown(str(text))} is damaged or not one")
        return cls(mark, started, newest, tuple(str(each) for each in ids))


def _pack(prefix: str, body: dict[str, Any]) -> str:
    packed = zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 9)
    return prefix + base64.urlsafe_b64encode(packed).decode()


def _unpack(prefix: str, text: object, problem: str) -> Any:
    if not isinstance(text, str):
        raise ValueError(f"{problem}, got {type(text).__name__}")
    if not text.startswith(prefix):
        raise ValueError(f"{problem}; {_shown(text)} is not one")
    try:
        packed = base64.urlsafe_b64decode(text[len(prefix) :].encode("ascii"))
        return json.loads(zlib.decompress(packed))
    except (binascii.Error, UnicodeError, ValueError, zlib.error, RecursionError):
        # RecursionError: JSON nested too deep to be any checkpoint.
        raise ValueError(f"{problem}; {_shown(text)} is damaged or not one") from None


def _lane(value: Any) -> LanePosition:
    if value is None:
        return None
    token, consumed = value
    if (token is not None and not isinstance(token, str)) or not _is_count(consumed):
        raise TypeError("not a lane position")
    if token == "":
        raise ValueError("not a lane position")
    return (token, consumed)


def _is_count(value: Any) -> bool:
    """A whole number of runs: ``true`` and ``false`` are JSON's, not counts."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shape(value: Any) -> LaneShape:
    values, after, upto = value
    pairs = tuple((wire, each) for wire, each in values)
    if not all(isinstance(part, str) for pair in pairs for part in pair):
        raise TypeError("not a partition")
    for edge in (after, upto):
        if edge is not None and (
            not isinstance(edge, str) or datetime.fromisoformat(edge).tzinfo is None
        ):
            raise ValueError("not a partition edge")
    return LaneShape(pairs, after, upto)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
