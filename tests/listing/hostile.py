"""A listing server that is correct by the API's documentation, but unlike our own fake.

``FakeExtend`` breaks timestamp ties on the run id and answers at once. The real API
promises neither. ``HostileServer`` serves ``GET /processor_runs`` on a real loopback
socket (stdlib ``ThreadingHTTPServer`` in a background thread) and can be set to:

- order runs that share a timestamp some other way than by id: reversed, or in a hash
  order that differs from one listing (filters and sort) to the next (``tie_order``);
- serve one partition out of the requested order (``disorder``);
- trickle a body, one byte about every 50 ms for up to a minute, stopping as soon as
  the client goes away (``trickle``), and tell the test what happened through events;
- send a body that claims ``Content-Encoding: gzip`` but is not (``bad_encoding``);
- accept a request and send nothing, not even the headers, until the client goes away
  (``stall``), telling the test through events as for a trickle;
- close each connection after one response (``one_request_per_connection``), so that
  every request comes on a connection of its own.

It honours ``status``, ``source``, ``processorType``, ``sortBy``, ``sortDir``,
``maxPageSize`` and ``nextPageToken`` (opaque offset tokens containing ``+/=:``), checks
the bearer key, and counts every request it receives.
"""

from __future__ import annotations

import hashlib
import json
import random
import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_hostile_KEY"
"""The key the hostile server accepts."""

STATUSES = ("PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED")
SOURCES = (
    "ADMIN",
    "BATCH_PROCESSOR_RUN",
    "PLAYGROUND",
    "WORKFLOW_CONFIGURATION",
    "WORKFLOW_RUN",
    "STUDIO",
    "API",
)
TYPES = ("EXTRACT", "CLASSIFY", "SPLITTER")
_FILTERS = {"status": "status", "source": "source", "processorType": "type"}
_SORT_FIELDS = ("updatedAt", "createdAt")

TRICKLE_INTERVAL = 0.05
"""Seconds between two bytes of a trickled body."""

TRICKLE_FOR = 60.0
"""Seconds a body trickles at most; what is left of it is then sent at once."""

STALL_FOR = 60.0
"""Seconds a stalled request waits at most for its client to go away; it is then answered."""

Query = dict[str, str]


def make_runs(count: int, seed: int = 1, distinct_seconds: int = 40) -> list[dict[str, Any]]:
    """``count`` runs in wire form, plus an internal ``source``, with coarse timestamps.

    Every ``createdAt`` and ``updatedAt`` falls on one of ``distinct_seconds`` whole
    seconds, so most runs tie with many others on the field a listing is sorted by.
    """
    rng = random.Random(seed)
    start = datetime(2025, 11, 3, 9, 0, tzinfo=timezone.utc)
    runs = []
    for index in range(count):
        created = start + timedelta(seconds=rng.randrange(distinct_seconds))
        updated = created + timedelta(seconds=rng.randrange(3))
        runs.append(
            {
                "id": f"dpr_{rng.getrandbits(48):012x}{index:05d}",
                "status": rng.choice(STATUSES),
                "processorId": "dp_hostile",
                "processorName": "Hostile Extractor",
                "processorVersionId": "dpv_1",
                "type": rng.choice(TYPES),
                "createdAt": created.isoformat().replace("+00:00", "Z"),
                "updatedAt": updated.isoformat().replace("+00:00", "Z"),
                "source": rng.choice(SOURCES),
            }
        )
    return runs


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    path: str
    query: Query
    authorization: Optional[str]


@dataclass
class Trickle:
    """How one trickled body went; the events let a test wait without sleeping."""

    started: threading.Event = field(default_factory=threading.Event)
    """The server began trickling a body."""
    finished: threading.Event = field(default_factory=threading.Event)
    """The whole body was sent."""
    disconnected: threading.Event = field(default_factory=threading.Event)
    """The client went away before the body was complete."""


@dataclass
class Stall:
    """How one stalled request went."""

    reused: bool
    """The request came on a connection that had carried an earlier one."""
    started: threading.Event = field(default_factory=threading.Event)
    """The server received the request and is holding back its answer."""
    disconnected: threading.Event = field(default_factory=threading.Event)
    """The client closed the connection while waiting for the headers."""


class HostileServer:
    """The server's data and settings; a test changes them between listings.

    Args:
        runs: wire dicts as from :func:`make_runs` (``source`` is used for filtering and
            not served).
        tie_order: how runs with equal timestamps are ordered: ``"id"`` (as our fake),
            ``"reverse_id"`` (the opposite of the sort direction) or ``"hash"`` (a hash of
            the id and the listing's filters and sort: a different order per listing).
    """

    def __init__(self, runs: list[dict[str, Any]], tie_order: str = "id") -> None:
        if tie_order not in ("id", "reverse_id", "hash"):
            raise ValueError(f"unknown tie order {tie_order!r}")
        self.runs = runs
        self.tie_order = tie_order
        self.disorder: Optional[tuple[str, str]] = None
        """A ``(wire filter, value)``, e.g. ``("status", "FAILED")``: a listing with that
        filter comes back in the opposite of the requested order."""
        self.trickle: Optional[Callable[[Query], bool]] = None
        """Which requests get a trickled body (by their query); ``None``: none."""
        self.stall: Optional[Callable[[Query], bool]] = None
        """Which requests get no answer, not even headers, while the client waits."""
        self.stalls: list[Stall] = []
        self.stall_started = threading.Event()
        """Set when any request starts stalling."""
        self.one_request_per_connection = False
        self.bad_encoding = 0
        """How many of the next requests get a body that is not the gzip it claims."""
        self.trickles: list[Trickle] = []
        self.trickle_started = threading.Event()
        """Set when any body starts trickling."""
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._seen: list[Seen] = []

    @property
    def requests(self) -> list[Seen]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._seen)

    def clear_requests(self) -> None:
        with self._lock:
            self._seen.clear()

    def expected(self, **query: str) -> list[dict[str, Any]]:
        """The runs a complete listing with this (wire) query returns, in order."""
        return self._ordered(query)

    # -- answering -----------------------------------------------------------

    def record(self, seen: Seen) -> None:
        with self._lock:
            self._seen.append(seen)

    def take_bad_encoding(self) -> bool:
        with self._lock:
            if self.bad_encoding > 0:
                self.bad_encoding -= 1
                return True
            return False

    def answer(self, query: Query) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for an authorised request with ``query``."""
        for name, allowed in (
            ("status", STATUSES),
            ("source", SOURCES),
            ("processorType", TYPES),
            ("sortBy", _SORT_FIELDS),
            ("sortDir", ("asc", "desc")),
        ):
            if name in query and query[name] not in allowed:
                return 400, _error("INVALID_REQUEST", f"{name} is not one of {allowed}")
        size_text = query.get("maxPageSize", "10")
        if not size_text.isdigit() or not 1 <= int(size_text) <= 1000:
            return 400, _error("INVALID_REQUEST", "maxPageSize must be 1 to 1000")
        size = int(size_text)
        runs = self._ordered(query)
        offset = 0
        if "nextPageToken" in query:
            offset = _offset(query["nextPageToken"], _listing_key(query))
            if offset is None:
                return 400, _error("INVALID_REQUEST", "nextPageToken is not valid here")
        body: dict[str, Any] = {
            "success": True,
            "processorRuns": [_served(run) for run in runs[offset : offset + size]],
        }
        if offset + size < len(runs):
            body["nextPageToken"] = _token(offset + size, _listing_key(query))
        return 200, body

    def _ordered(self, query: Query) -> list[dict[str, Any]]:
        runs = [
            run
            for run in self.runs
            if all(run[key] == query[name] for name, key in _FILTERS.items() if name in query)
        ]
        by = query.get("sortBy", "updatedAt")
        descending = query.get("sortDir", "desc") == "desc"
        listing = _listing_key(query)
        if self.tie_order == "hash":
            runs.sort(key=lambda run: hashlib.sha256(f"{listing}|{run['id']}".encode()).digest())
        else:
            # Sorted by id in the direction that, after the stable sort below, leaves ties
            # by id as the sort direction ("id") or against it ("reverse_id").
            runs.sort(key=lambda run: run["id"], reverse=descending == (self.tie_order == "id"))
        # A stable sort on the timestamp alone keeps the tie order chosen above; the
        # ISO strings of one format sort as the times do.
        runs.sort(key=lambda run: run[by], reverse=descending)
        if self.disorder is not None and query.get(self.disorder[0]) == self.disorder[1]:
            runs.reverse()
        return runs


def _served(run: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in run.items() if key != "source"}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "retryable": False}


def _listing_key(query: Query) -> str:
    """The filters and sort of a listing, as one string (page size and cursor left out)."""
    kept = {k: v for k, v in query.items() if k not in ("nextPageToken", "maxPageSize")}
    return "&".join(f"{k}={v}" for k, v in sorted(kept.items()))


def _token(offset: int, listing: str) -> str:
    # Opaque to clients and full of characters that must be percent-encoded.
    digest = hashlib.sha256(listing.encode()).hexdigest()[:8]
    return f"pos+{offset}/{digest}==:{offset * 7 + 3}"


def _offset(token: str, listing: str) -> Optional[int]:
    try:
        head, _, check = token.partition(":")
        offset_text, _, rest = head.removeprefix("pos+").partition("/")
        offset = int(offset_text)
    except ValueError:
        return None
    if rest != hashlib.sha256(listing.encode()).hexdigest()[:8] + "==" or check != str(
        offset * 7 + 3
    ):
        return None
    return offset


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, each
    # request on a kept-alive connection would wait ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: _Server
    requests_on_connection = 0

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        hostile = self.server.hostile
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        authorization = self.headers.get("Authorization")
        hostile.record(Seen(url.path, query, authorization))
        self.requests_on_connection += 1
        if url.path.rstrip("/") != "/processor_runs":
            self._send(404, _error("NOT_FOUND", "no such path"))
        elif authorization != f"Bearer {API_KEY}":
            self._send(401, _error("UNAUTHORIZED", "missing or invalid API key"))
        elif hostile.take_bad_encoding():
            self._send_raw(200, b"this is not gzip at all", [("Content-Encoding", "gzip")])
        else:
            if hostile.stall is not None and hostile.stall(query) and self._stall():
                return
            status, body = hostile.answer(query)
            if status == 200 and hostile.trickle is not None and hostile.trickle(query):
                self._trickle(json.dumps(body).encode())
            else:
                self._send(status, body)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        self._send_raw(status, json.dumps(body).encode(), [])

    def _headers(self, status: int, length: int, extra: list[tuple[str, str]]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length))
        if self.server.hostile.one_request_per_connection:
            self.send_header("Connection", "close")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()

    def _send_raw(self, status: int, data: bytes, extra: list[tuple[str, str]]) -> None:
        self._headers(status, len(data), extra)
        self.wfile.write(data)

    def _trickle(self, data: bytes) -> None:
        hostile = self.server.hostile
        trickle = Trickle()
        hostile.trickles.append(trickle)
        self._headers(200, len(data), [])
        self.wfile.flush()
        trickle.started.set()
        hostile.trickle_started.set()
        sent = 0
        try:
            # One byte per interval; a write to a connection the client closed fails
            # within a byte or two (the first one only draws the peer's reset).
            for _ in range(int(TRICKLE_FOR / TRICKLE_INTERVAL)):
                if sent == len(data) or hostile.stopping.wait(TRICKLE_INTERVAL):
                    break
                self.wfile.write(data[sent : sent + 1])
                self.wfile.flush()
                sent += 1
            self.wfile.write(data[sent:])
            self.wfile.flush()
        except OSError:
            trickle.disconnected.set()
            self.close_connection = True
            return
        trickle.finished.set()

    def _stall(self) -> bool:
        """Hold the answer back until the client goes away (``True``) or for ``STALL_FOR``."""
        hostile = self.server.hostile
        stall = Stall(reused=self.requests_on_connection > 1)
        hostile.stalls.append(stall)
        stall.started.set()
        hostile.stall_started.set()
        for _ in range(int(STALL_FOR / TRICKLE_INTERVAL)):
            if hostile.stopping.is_set():
                break
            readable, _, _ = select.select([self.connection], [], [], TRICKLE_INTERVAL)
            if not readable:
                continue
            try:
                gone = self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                gone = True
            if gone:
                stall.disconnected.set()
                self.close_connection = True
                return True
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, hostile: HostileServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hostile = hostile

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that goes away mid-response is what these tests are about


@contextmanager
def serving(hostile: HostileServer) -> Iterator[str]:
    """Serve ``hostile`` on 127.0.0.1 until the block ends; yields the base URL."""
    server = _Server(hostile)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="hostile-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        hostile.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
