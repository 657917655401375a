"""Checkpoints: where a listing stands, as an opaque string safe in a file or a shell.

A checkpoint records, for every partition of a listing, the cursor of the page it is on
and how many of that page's runs were already consumed, the number of runs handed out in
all (so ``limit`` counts across resumptions), and a fingerprint of what was listed (the
filters, sort, partitioning and window), so that it cannot resume a different listing.

The string is ``c1.`` followed by zlib-compressed JSON in URL-safe base64: its alphabet
is ``[A-Za-z0-9_.=-]``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["Checkpoint", "LanePosition", "fingerprint"]

_PREFIX = "c1."

LanePosition = Optional[tuple[Optional[str], int]]
"""One partition: ``(cursor of its page, runs of that page consumed)``, ``None`` when done."""


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

    def encode(self) -> str:
        """The checkpoint as an opaque string over ``[A-Za-z0-9_.=-]``."""
        body = {
            "f": self.fingerprint,
            "n": self.handed_out,
            "l": [None if lane is None else [lane[0], lane[1]] for lane in self.lanes],
        }
        packed = zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 9)
        return _PREFIX + base64.urlsafe_b64encode(packed).decode()

    @classmethod
    def decode(cls, text: object) -> Checkpoint:
        """Read a checkpoint string; :class:`ValueError` if it is not one."""
        problem = "resume_from must be a checkpoint string such as pager.checkpoint"
        if not isinstance(text, str):
            raise ValueError(f"{problem}, got {type(text).__name__}")
        if not text.startswith(_PREFIX):
            raise ValueError(f"{problem}; {_shown(text)} is not one")
        try:
            packed = base64.urlsafe_b64decode(text[len(_PREFIX) :].encode("ascii"))
            body = json.loads(zlib.decompress(packed))
            lanes = tuple(_lane(lane) for lane in body["l"])
            handed_out = body["n"]
            mark = body["f"]
        except (binascii.Error, UnicodeError, ValueError, zlib.error, KeyError, TypeError):
            raise ValueError(f"{problem}; {_shown(text)} is damaged or not one") from None
        if not isinstance(handed_out, int) or handed_out < 0 or not isinstance(mark, str):
            raise ValueError(f"{problem}; {_shown(text)} is damaged or not one")
        return cls(mark, handed_out, lanes)


def _lane(value: Any) -> LanePosition:
    if value is None:
        return None
    token, consumed = value
    if (token is not None and not isinstance(token, str)) or not isinstance(consumed, int):
        raise TypeError("not a lane position")
    if consumed < 0 or token == "":
        raise ValueError("not a lane position")
    return (token, consumed)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
