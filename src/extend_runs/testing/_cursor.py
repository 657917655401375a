"""Opaque, signed keyset cursors in the shape Extend documents (``xxx==:yyy=``).

A cursor is two base64 segments joined by ``:``. The first, 16 bytes, names the last run
of the page it ends: that run's sort timestamp and its row in the fake's table (which
stands for its id), masked, with a short signature. The second, 32 bytes, is a keyed hash
of the filters and sort. The next page starts right after that run's place in the sort
order, wherever the runs around it have moved since, so runs created or changed between
two requests never shift a listing onto runs it has not served. A cursor is refused when
it was altered or is sent with other filters. The page size is not part of it: a client
may shrink its last page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Mapping, Optional, Tuple


class CursorError(ValueError):
    """A ``nextPageToken`` that is malformed, forged, or belongs to other filters."""


class CursorCodec:
    """Makes and checks cursors with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, *parts: bytes) -> bytes:
        return hmac.new(self._secret, b"\x00".join(parts), hashlib.sha256).digest()

    def listing_digest(self, listing: Mapping[str, Optional[str]]) -> bytes:
        """A keyed hash of a listing's filters and sort (``None`` values count as absent)."""
        canonical = "&".join(
            f"{name}={value}" for name, value in sorted(listing.items()) if value is not None
        )
        return self._mac(b"listing", canonical.encode())

    def encode(self, sort_ms: int, row: int, digest: bytes) -> str:
        """The cursor after run ``row`` (sorted at ``sort_ms``) in the listing ``digest``."""
        payload = sort_ms.to_bytes(6, "big", signed=True) + row.to_bytes(4, "big")
        signature = self._mac(b"position", payload, digest)[:6]
        masked = bytes(a ^ b for a, b in zip(payload, self._mac(b"mask", digest, signature)))
        first = base64.b64encode(signature + masked).decode()
        return f"{first}:{base64.b64encode(digest).decode()}"

    def decode(self, token: str, digest: bytes) -> Tuple[int, int]:
        """The ``(sort_ms, row)`` a cursor names; ``CursorError`` unless made for ``digest``."""
        first, colon, second = token.partition(":")
        if not colon:
            raise CursorError("nextPageToken is not a valid page token.")
        try:
            head = base64.b64decode(first, validate=True)
            tail = base64.b64decode(second, validate=True)
        except (binascii.Error, ValueError):
            raise CursorError("nextPageToken is not a valid page token.") from None
        if len(head) != 16 or len(tail) != 32:
            raise CursorError("nextPageToken is not a valid page token.")
        signature, masked = head[:6], head[6:]
        payload = bytes(a ^ b for a, b in zip(masked, self._mac(b"mask", tail, signature)))
        if not hmac.compare_digest(signature, self._mac(b"position", payload, tail)[:6]):
            raise CursorError("nextPageToken is not a valid page token.")
        if not hmac.compare_digest(tail, digest):
            raise CursorError(
                "nextPageToken was issued for other filters or sort order; send the same "
                "parameters as the request that returned it."
            )
        return int.from_bytes(payload[:6], "big", signed=True), int.from_bytes(payload[6:], "big")
