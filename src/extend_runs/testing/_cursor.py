"""Opaque, signed page cursors in the shape Extend documents (``xxx==:yyy=``).

A cursor is two base64 segments joined by ``:``. The first, 16 bytes, is the position in
the listing (masked) and a short signature; the second, 32 bytes, is a keyed hash of the
filters and sort. A cursor therefore stays valid for as long as the filters are unchanged,
and is refused when it was altered or is sent with other filters. The page size is not
part of the hash: a client may shrink its last page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Mapping, Optional


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

    def encode(self, offset: int, digest: bytes) -> str:
        """The cursor for the run at ``offset`` of the listing identified by ``digest``."""
        masked = offset ^ int.from_bytes(self._mac(b"mask", digest)[:8], "big")
        position = masked.to_bytes(8, "big")
        signature = self._mac(b"position", position, digest)[:8]
        first = base64.b64encode(position + signature).decode()
        return f"{first}:{base64.b64encode(digest).decode()}"

    def decode(self, token: str, digest: bytes) -> int:
        """The offset a cursor points at; ``CursorError`` unless it was made for ``digest``."""
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
        position, signature = head[:8], head[8:]
        if not hmac.compare_digest(signature, self._mac(b"position", position, tail)[:8]):
            raise CursorError("nextPageToken is not a valid page token.")
        if not hmac.compare_digest(tail, digest):
            raise CursorError(
                "nextPageToken was issued for other filters or sort order; send the same "
                "parameters as the request that returned it."
            )
        return int.from_bytes(position, "big") ^ int.from_bytes(
            self._mac(b"mask", digest)[:8], "big"
        )
