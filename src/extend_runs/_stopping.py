"""Stopping a listing's fetching threads at once: their waits end and their reads are cut.

A thread that fetches pages ahead of the caller is bound to its listing's
:class:`StopSignal`. Once the signal is set, a wait in that thread (retry backoff,
pacing) raises :class:`BackgroundStopped` at once, and a response body the thread is
reading has its connection shut down, so the read fails now instead of trickling on until
the client's timeout. Threads not bound to a signal (the caller's own) are unaffected.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import httpx

__all__ = ["BackgroundStopped", "StopSignal", "bind_stop_signal", "interruptible_sleep", "reading"]

_worker = threading.local()


class BackgroundStopped(Exception):
    """Raised in a fetching thread whose listing was closed while it waited or read."""


class StopSignal:
    """Set once by a closing listing; ends the waits and reads of the threads bound to it."""

    __slots__ = ("_event", "_lock", "_reading")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._reading: set[httpx.Response] = set()

    def set(self) -> None:
        """Stop: wake every wait and shut every connection whose body is being read."""
        with self._lock:
            self._event.set()
            reading, self._reading = self._reading, set()
        for response in reading:
            _shut(response)

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; ``True`` if the signal was set meanwhile."""
        return self._event.wait(seconds)

    def _enter(self, response: httpx.Response) -> None:
        with self._lock:
            if self._event.is_set():
                raise BackgroundStopped("the listing was closed")
            self._reading.add(response)

    def _leave(self, response: httpx.Response) -> None:
        with self._lock:
            self._reading.discard(response)


def bind_stop_signal(signal: StopSignal) -> None:
    """Bind the calling thread (a fetching worker, as it starts) to ``signal``."""
    _worker.stop = signal


def interruptible_sleep(seconds: float) -> None:
    """``time.sleep``, except in a thread whose signal is set: then raise at once."""
    signal: Optional[StopSignal] = getattr(_worker, "stop", None)
    if signal is None:
        time.sleep(seconds)
    elif signal.wait(seconds):
        raise BackgroundStopped("the listing was closed")


@contextlib.contextmanager
def reading(response: httpx.Response) -> Iterator[None]:
    """Around reading ``response``'s body: a stop shuts its connection, ending the read."""
    signal: Optional[StopSignal] = getattr(_worker, "stop", None)
    if signal is None:
        yield
        return
    signal._enter(response)
    try:
        yield
    finally:
        signal._leave(response)


def _shut(response: httpx.Response) -> None:
    # Closing a socket does not wake a thread blocked reading it; shutting it down does.
    # An HTTP/2 connection carries other requests too, so it is left to the timeout.
    if response.http_version != "HTTP/1.1":
        return
    stream = response.extensions.get("network_stream")
    sock = None if stream is None else stream.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
