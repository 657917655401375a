"""Stopping a listing's fetching threads at once: their waits end and their requests are cut.

A thread that fetches pages ahead of the caller is bound to its listing's
:class:`StopSignal`. Once the signal is set, a wait in that thread (retry backoff,
pacing) raises :class:`BackgroundStopped` at once, and the connection of a request the
thread has sent, whether it waits for the response's headers or reads its body, is shut
down, so the request fails now instead of waiting for the client's timeout. Threads not
bound to a signal (the caller's own) are unaffected.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    import httpx

__all__ = [
    "BackgroundStopped",
    "StopSignal",
    "bind_stop_signal",
    "interruptible_sleep",
    "sending",
    "stopped",
]

_worker = threading.local()

_OPENED = frozenset(
    {
        "connection.connect_tcp.complete",
        "connection.connect_unix_socket.complete",
        "connection.start_tls.complete",
    }
)
"""httpcore's trace events that name the stream of a connection opened for the request."""

_FRAMES_UP = 16
"""How many callers of a trace hook may lie between it and httpcore's HTTP/1.1 connection:
httpcore's own four, and room for trace hooks of the caller's that call this one (an
``httpx`` request hook that chains the trace it finds)."""


class BackgroundStopped(Exception):
    """Raised in a fetching thread whose listing was closed while it waited or read."""


class StopSignal:
    """Set once by a closing listing; ends the waits and requests of the threads bound to it."""

    __slots__ = ("_attempts", "_event", "_lock")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._attempts: set[_Attempt] = set()

    def set(self) -> None:
        """Stop: wake every wait and shut every connection a request is on."""
        # Shut while holding the lock: a request that leaves its connection (back to the
        # pool, for another request) takes the lock first, so only its own is shut.
        with self._lock:
            self._event.set()
            for attempt in self._attempts:
                _shut(attempt.stream)

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; ``True`` if the signal was set meanwhile."""
        return self._event.wait(seconds)

    def add(self, attempt: _Attempt) -> None:
        """An attempt starts in a bound thread; refused once the signal is set."""
        with self._lock:
            if self._event.is_set():
                raise BackgroundStopped("the listing was closed")
            self._attempts.add(attempt)

    def place(self, attempt: _Attempt, stream: Any) -> None:
        """``attempt`` is now on ``stream`` (``None``: on none); shut it if already set."""
        with self._lock:
            attempt.stream = stream
            if self._event.is_set():
                _shut(stream)

    def discard(self, attempt: _Attempt) -> None:
        """``attempt`` is over: a stop no longer touches its connection."""
        with self._lock:
            self._attempts.discard(attempt)
            attempt.stream = None


class _Attempt:
    """One attempt at a request in a bound thread, and the HTTP/1.1 connection it is on.

    It follows the request through httpx's ``trace`` extension. An HTTP/2 connection
    carries other requests too, so it is never taken on (and is left to the timeout).
    """

    __slots__ = ("_opened", "_signal", "stream")

    def __init__(self, signal: StopSignal) -> None:
        self._signal = signal
        self._opened: Any = None
        self.stream: Any = None
        """The network stream a stop shuts down; ``None`` while not on a connection."""

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in _OPENED:
            self._opened = info.get("return_value")
        elif event == "http11.send_request_headers.started":
            # The connection that sends is the one found from here. The one the attempt
            # opened may not be it: with HTTP/2 enabled, a request that shares a connection
            # still being opened can take it first, and httpcore then moves this request
            # onto another connection, while the one it opened carries that request.
            opened, self._opened = self._opened, None
            stream = _sending_stream()
            self._signal.place(self, opened if stream is None else stream)
        elif event == "http11.response_closed.started":
            # The connection goes back to the pool, and may carry another request next.
            self._signal.place(self, None)


def bind_stop_signal(signal: StopSignal) -> None:
    """Bind the calling thread (a fetching worker, as it starts) to ``signal``."""
    _worker.stop = signal


def stopped() -> bool:
    """Whether the calling thread is bound to a signal that is set: its request was cut on
    purpose, and is not to be tried again."""
    signal: Optional[StopSignal] = getattr(_worker, "stop", None)
    return signal is not None and signal.is_set()


def interruptible_sleep(seconds: float) -> None:
    """``time.sleep``, except in a thread whose signal is set: then raise at once."""
    signal: Optional[StopSignal] = getattr(_worker, "stop", None)
    if signal is None:
        time.sleep(seconds)
    elif signal.wait(seconds):
        raise BackgroundStopped("the listing was closed")


@contextlib.contextmanager
def sending(request: httpx.Request) -> Iterator[None]:
    """Around one attempt at ``request``, from sending it to reading its body to the end.

    In a bound thread, a stop meanwhile shuts the connection the request is on, ending the
    wait for the headers or the read of the body; once the signal is set, an attempt does
    not start (:class:`BackgroundStopped`).
    """
    signal: Optional[StopSignal] = getattr(_worker, "stop", None)
    if signal is None:
        yield
        return
    attempt = _Attempt(signal)
    signal.add(attempt)
    request.extensions["trace"] = attempt.trace
    try:
        yield
    finally:
        # A request hook of the caller's may have replaced or dropped it meanwhile.
        if request.extensions.get("trace") == attempt.trace:
            del request.extensions["trace"]
        signal.discard(attempt)


def _sending_stream() -> Any:
    # httpcore names the stream of a connection it opens for a request (``_OPENED``), not
    # that of a kept-alive connection it reuses. That one is the ``_network_stream`` of
    # the HTTP/1.1 connection whose ``handle_request`` opened the trace calling this hook.
    import inspect

    frame = inspect.currentframe()
    for _ in range(_FRAMES_UP):
        if frame is None:
            break
        stream = getattr(frame.f_locals.get("self"), "_network_stream", None)
        if stream is not None:
            return stream
        frame = frame.f_back
    return None


def _shut(stream: Any) -> None:
    # Closing a socket does not wake a thread blocked reading it; shutting it down does.
    get_extra_info = getattr(stream, "get_extra_info", None)
    sock = None if get_extra_info is None else get_extra_info("socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
