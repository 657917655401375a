"""Stopping fetching threads: which connections a stop shuts down, and when.

A request's trace hook is driven by hand here, with the events httpcore sends, over a
socket pair: the far end sees its peer shut down as an empty read. Each test runs the
request in a thread of its own, bound to a signal as a fetching worker is.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any, Callable

import httpx
import pytest

from extend_runs._stopping import BackgroundStopped, StopSignal, bind_stop_signal, sending

TraceHook = Callable[[str, dict[str, Any]], None]


class Stream:
    """Stands in for httpcore's network stream over one end of a socket pair."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    theirs.settimeout(5)
    with ours, theirs:
        yield ours, theirs


def was_shut(theirs: socket.socket) -> bool:
    """Whether our end was shut down (the far end reads an end of file)."""
    theirs.setblocking(False)
    try:
        return theirs.recv(1) == b""
    except BlockingIOError:
        return False


def in_bound_thread(signal: StopSignal, body: Callable[[], None]) -> None:
    failures: list[BaseException] = []

    def run() -> None:
        bind_stop_signal(signal)
        try:
            body()
        except BaseException as error:  # handed to the test's thread
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    if failures:
        raise failures[0]


def request() -> httpx.Request:
    return httpx.Request("GET", "http://127.0.0.1/processor_runs")


@pytest.mark.parametrize("first", ["connect_tcp", "start_tls"])
def test_a_stop_before_the_request_is_on_its_connection_shuts_it_once_it_is(
    pair: tuple[socket.socket, socket.socket], first: str
) -> None:
    ours, theirs = pair
    signal = StopSignal()
    sent = request()

    def body() -> None:
        with sending(sent):
            hook: TraceHook = sent.extensions["trace"]
            hook(f"connection.{first}.complete", {"return_value": Stream(ours)})
            signal.set()
            assert not was_shut(theirs)  # not yet known to be HTTP/1.1
            hook("http11.send_request_headers.started", {"request": None})
            assert was_shut(theirs)
        assert "trace" not in sent.extensions

    in_bound_thread(signal, body)


def test_a_stop_leaves_alone_a_connection_the_request_has_given_back(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    signal = StopSignal()
    sent = request()

    def body() -> None:
        with sending(sent):
            hook: TraceHook = sent.extensions["trace"]
            hook("connection.connect_tcp.complete", {"return_value": Stream(ours)})
            hook("http11.send_request_headers.started", {"request": None})
            hook("http11.response_closed.started", {})
            signal.set()  # the connection is back in the pool, maybe under another request
        assert not was_shut(theirs)

    in_bound_thread(signal, body)


def test_an_http2_connection_is_never_shut(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    signal = StopSignal()
    sent = request()

    def body() -> None:
        with sending(sent):
            hook: TraceHook = sent.extensions["trace"]
            hook("connection.start_tls.complete", {"return_value": Stream(ours)})
            hook("http2.send_request_headers.started", {"request": None})
            signal.set()
        assert not was_shut(theirs)

    in_bound_thread(signal, body)


def test_no_attempt_starts_once_the_signal_is_set() -> None:
    signal = StopSignal()
    signal.set()
    sent = request()

    def body() -> None:
        with pytest.raises(BackgroundStopped), sending(sent):
            raise AssertionError("the attempt started")  # pragma: no cover

    in_bound_thread(signal, body)
    assert "trace" not in sent.extensions


def test_the_callers_own_thread_is_not_traced() -> None:
    sent = request()
    with sending(sent):
        assert "trace" not in sent.extensions


class _Trace:
    """Stands in for httpcore's ``Trace``: the frames between a connection and its hook."""

    def __init__(self, hook: TraceHook) -> None:
        self.hook = hook

    def trace(self, event: str) -> None:
        self.hook(event, {"request": None})

    def __enter__(self) -> None:
        self.trace("http11.send_request_headers.started")

    def __exit__(self, *exc_info: object) -> None:
        pass


class _Connection:
    """Stands in for httpcore's HTTP/1.1 connection, which sends on its own stream."""

    def __init__(self, stream: Stream) -> None:
        self._network_stream = stream

    def handle_request(self, hook: TraceHook) -> None:
        with _Trace(hook):
            pass


def test_a_stop_shuts_the_connection_that_sends_not_one_the_request_opened_and_lost() -> None:
    """With HTTP/2 enabled, another request can take the connection this one opened (it
    is shared while it might turn out HTTP/2); httpcore then sends this one on a kept-alive
    connection. A stop must shut that one, never the other request's."""
    signal = StopSignal()
    sent = request()
    opened_ours, opened_theirs = socket.socketpair()
    kept_ours, kept_theirs = socket.socketpair()
    with opened_ours, opened_theirs, kept_ours, kept_theirs:

        def body() -> None:
            with sending(sent):
                hook: TraceHook = sent.extensions["trace"]
                hook("connection.start_tls.complete", {"return_value": Stream(opened_ours)})
                # ... the other request takes that connection; this one moves:
                _Connection(Stream(kept_ours)).handle_request(hook)
                signal.set()
                assert was_shut(kept_theirs)
                assert not was_shut(opened_theirs)

        in_bound_thread(signal, body)


def test_a_stop_finds_the_connection_through_trace_hooks_that_chain_to_ours(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """A caller's httpx request hook may wrap the trace it finds with its own (to time
    requests, say): a stop still shuts the kept-alive connection the request is on."""
    ours, theirs = pair
    signal = StopSignal()
    sent = request()

    def body() -> None:
        with sending(sent):
            hook: TraceHook = sent.extensions["trace"]
            for _ in range(3):  # three hooks, each chaining to the one it found
                hook = (lambda inner: lambda event, info: inner(event, info))(hook)
            _Connection(Stream(ours)).handle_request(hook)
            signal.set()
            assert was_shut(theirs)

    in_bound_thread(signal, body)


def test_an_attempt_ends_cleanly_when_a_request_hook_replaced_or_dropped_its_trace() -> None:
    signal = StopSignal()
    dropped, replaced = request(), request()

    def theirs(event: str, info: dict[str, Any]) -> None:
        pass  # pragma: no cover

    def body() -> None:
        with sending(dropped):
            del dropped.extensions["trace"]
        with sending(replaced):
            replaced.extensions["trace"] = theirs
        assert replaced.extensions["trace"] is theirs

    in_bound_thread(signal, body)
