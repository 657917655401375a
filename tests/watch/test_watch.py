"""Watching over a real socket: each change once, none lost, failures survived or raised."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from extend_runs import AsyncClient, AuthenticationError, Client
from extend_runs._checkpoint import WatchPoint
from extend_runs.testing import FakeExtend, Fault, RecordedRequest, generate_runs

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
POLLS_AT_MOST = 400


class MovingClock:
    """The fake's clock: a millisecond later at every reading, so every change is later."""

    def __init__(self) -> None:
        self.moment = NOW

    def __call__(self) -> datetime:
        self.moment += timedelta(milliseconds=1)
        return self.moment


@pytest.fixture
def fake() -> Iterator[tuple[FakeExtend, str]]:
    runs = generate_runs(300, seed=5, start=NOW - timedelta(days=3), end=NOW)
    fake = FakeExtend(runs, now=MovingClock(), seed=5)
    with fake.serve() as url:
        yield fake, url


class Mutator:
    """Creates and changes runs while the fake answers requests, i.e. while polls run.

    It acts inside the fake's request handling (as a fault predicate that never matches),
    so a change lands between two pages of one poll, or between polls, at random. It lets
    the first request pass untouched: that is the watch's first poll, whose view is where
    the watch starts.
    """

    def __init__(self, fake: FakeExtend, operations: int, seed: int = 1) -> None:
        self.fake = fake
        self.left = operations
        self.first = len(fake.requests) + 1
        self.random = random.Random(seed)
        self.final: dict[str, str] = {}
        """Each touched run's id and its ``updatedAt`` after the last change."""
        self.untouched = {run["id"] for run in fake.runs()}
        fake.inject(Fault.server_error(500), times=None, when=self.maybe_change)

    def maybe_change(self, request: RecordedRequest) -> bool:
        if request.number > self.first and self.left and self.random.random() < 0.6:
            self.left -= 1
            if self.random.random() < 0.3 or not self.untouched:
                run = self.fake.create_run(self.random.choice(["PENDING", "PROCESSING"]))
            else:
                run_id = self.random.choice(sorted(self.untouched | set(self.final)))
                run = self.fake.update_run(run_id, self.random.choice(["PROCESSED", "FAILED"]))
            self.untouched.discard(run["id"])
            self.final[run["id"]] = run["updatedAt"]
        return False


def stamp(run: Any) -> tuple[str, str]:
    return run.id, run.updated_at.isoformat()


def final_stamps(mutator: Mutator) -> set[tuple[str, str]]:
    return {
        (run_id, datetime.fromisoformat(moment.replace("Z", "+00:00")).isoformat())
        for run_id, moment in mutator.final.items()
    }


def test_every_change_is_yielded_once_and_no_unchanged_run_appears(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake
    with Client(api_key=server.api_key, base_url=url) as client:
        watcher = client.watch_processor_runs(interval=0.001, max_page_size=7)
        mutator = Mutator(server, operations=80)
        seen: list[tuple[str, str]] = []
        for polls, run in enumerate(watcher):
            seen.append(stamp(run))
            if not mutator.left and final_stamps(mutator) <= set(seen):
                break
            assert polls < POLLS_AT_MOST * 10
    assert len(seen) == len(set(seen)), "a change was yielded twice"
    assert not {run_id for run_id, _ in seen} & mutator.untouched
    assert final_stamps(mutator) <= set(seen)
    by_run: dict[str, list[str]] = {}
    for run_id, moment in seen:
        by_run.setdefault(run_id, []).append(moment)
    assert all(moments == sorted(moments) for moments in by_run.values())


def test_a_watch_resumes_from_its_checkpoint_with_nothing_lost(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake
    with Client(api_key=server.api_key, base_url=url) as client:
        first = client.watch_processor_runs(interval=0.001)
        mutator = Mutator(server, operations=40, seed=2)
        seen = []
        for run in first:
            seen.append(stamp(run))
            if len(seen) == 10:
                break
        saved = first.checkpoint
        first.close()
        assert list(first) == []  # closed: over for good
        second = client.watch_processor_runs(interval=0.001, resume_from=saved)
        for run in second:
            seen.append(stamp(run))
            if not mutator.left and final_stamps(mutator) <= set(seen):
                break
    assert len(seen) == len(set(seen))
    assert final_stamps(mutator) <= set(seen)


def test_since_yields_the_backlog_oldest_first(fake: tuple[FakeExtend, str]) -> None:
    server, url = fake
    since = NOW - timedelta(hours=12)
    with Client(api_key=server.api_key, base_url=url) as client:
        expected = list(client.list_processor_runs(updated_since=since, sort_dir="asc"))
        watcher = client.watch_processor_runs(since=since, interval=60)
        got = list(itertools.islice(watcher, len(expected)))
        watcher.close()
    assert expected and sorted(stamp(run) for run in got) == sorted(map(stamp, expected))
    moments = [run.updated_at for run in got]
    assert moments == sorted(moments)


def test_transient_failures_are_logged_and_survived_but_a_401_raises(
    fake: tuple[FakeExtend, str], caplog: pytest.LogCaptureFixture, waits: list[float]
) -> None:
    server, url = fake
    with Client(api_key=server.api_key, base_url=url, max_retries=1) as client:
        watcher = client.watch_processor_runs(since=server.now(), interval=0.001)
        iterator = iter(watcher)
        server.fail_next(6, Fault.server_error(503))  # three polls' worth of attempts
        created = server.create_run("PENDING")
        with caplog.at_level(logging.WARNING, logger="extend_runs"):
            run = next(iterator)  # three polls fail; the fourth finds the change
        assert run.id == created["id"]
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 3 and "503" in warnings[0].getMessage()
        assert len(waits) == 3  # one retry per poll, then the watch's own interval
        server.fail_next(1, Fault.http_error(401, code="UNAUTHORIZED"))
        with pytest.raises(AuthenticationError):
            next(iterator)


def test_an_async_watch_yields_changes_and_survives_a_503(fake: tuple[FakeExtend, str]) -> None:
    server, url = fake

    async def main() -> tuple[list[tuple[str, str]], str]:
        async with AsyncClient(api_key=server.api_key, base_url=url, max_retries=0) as client:
            watcher = client.watch_processor_runs(since=server.now(), interval=0.001)
            created = server.create_run("PENDING")
            server.fail_next(2, Fault.server_error(503))
            seen: list[tuple[str, str]] = []
            async for run in watcher:
                seen.append(stamp(run))
                if len(seen) == 1:
                    server.update_run(created["id"], "FAILED")  # a second change
                if len(seen) == 2:
                    break
            await watcher.aclose()
            assert [run async for run in watcher] == []  # closed: over for good
            return seen, created["id"]

    seen, run_id = asyncio.run(main())
    assert [each[0] for each in seen] == [run_id, run_id] and seen[0][1] < seen[1][1]


def test_bad_arguments_are_refused_before_any_request(fake: tuple[FakeExtend, str]) -> None:
    server, url = fake
    with Client(api_key=server.api_key, base_url=url) as client:
        for kwargs, message in [
            ({"interval": 0}, "interval must be"),
            ({"since": "2026-01-01T00:00:00"}, "since must say its timezone"),
            ({"status": "failed"}, "status"),
            ({"resume_from": "c1.nope"}, "resume_from"),
        ]:
            with pytest.raises(ValueError, match=message):
                client.watch_processor_runs(**kwargs)
    assert server.requests == []


def _first_poll_seen(server: FakeExtend) -> threading.Event:
    """Set once the fake has answered the watch's first request."""
    seen = threading.Event()

    def note(request: RecordedRequest) -> bool:
        seen.set()
        return False

    server.inject(Fault.server_error(500), times=None, when=note)
    return seen


def test_close_from_another_thread_ends_the_wait_between_polls(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake
    polled = _first_poll_seen(server)
    with Client(api_key=server.api_key, base_url=url) as client:
        watcher = client.watch_processor_runs(interval=3600)
        yielded: list[Any] = []
        loop = threading.Thread(target=lambda: yielded.extend(watcher), daemon=True)
        loop.start()
        assert polled.wait(10)
        watcher.close()
        loop.join(timeout=10)  # an hour-long wait would still be running
        assert not loop.is_alive() and yielded == []
    assert list(watcher) == []


def test_ctrl_c_during_the_wait_between_polls_propagates_at_once(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake
    interval = 3600.0
    started = threading.Event()

    def interrupt() -> None:
        # Once the first poll is over (the watch has started), the loop is in its wait.
        for _ in range(10_000):
            if WatchPoint.decode(watcher.checkpoint).started:
                break
            started.wait(0.001)
        # A real SIGINT, as Ctrl-C sends: it wakes a blocked wait, as a flag would not.
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    with Client(api_key=server.api_key, base_url=url) as client:
        watcher = client.watch_processor_runs(interval=interval)
        threading.Thread(target=interrupt, daemon=True).start()
        began = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            list(watcher)
        # Not a speed claim: without an interruptible wait it would have sat out the hour.
        assert time.monotonic() - began < interval / 10
        # Paused, not broken: its checkpoint resumes it, and the next poll finds the change.
        created = server.create_run("FAILED")
        resumed = client.watch_processor_runs(interval=interval, resume_from=watcher.checkpoint)
        assert next(iter(resumed)).id == created["id"]


async def _until_started(watcher: Any) -> None:
    """Wait until the watch's first poll is over and the watch has gone into its wait."""
    deadline = time.monotonic() + 10
    while not WatchPoint.decode(watcher.checkpoint).started:
        assert time.monotonic() < deadline, "the watch never polled"
        await asyncio.sleep(0.001)
    for _ in range(10):  # a few turns of the loop: enough to start waiting, on any Python
        await asyncio.sleep(0)


async def _all(watcher: Any) -> list[Any]:
    return [run async for run in watcher]


def test_an_async_watcher_carries_on_in_a_second_asyncio_run(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake
    client = AsyncClient(api_key=server.api_key, base_url=url)
    watcher = client.watch_processor_runs(interval=0.2)

    async def next_change() -> str:
        async for run in watcher:
            return run.id
        raise AssertionError("the watch ended")  # pragma: no cover

    async def change_once_waiting() -> tuple[str, str]:
        seen = asyncio.ensure_future(next_change())
        await _until_started(watcher)  # now waiting between polls, in this loop
        return server.create_run("PENDING")["id"], await seen

    created, seen = asyncio.run(change_once_waiting())
    assert seen == created
    second = server.create_run("FAILED")["id"]

    async def then_close() -> str:
        run_id = await next_change()  # waits between polls again, in this new loop
        await watcher.aclose()
        await client.aclose()
        return run_id

    assert asyncio.run(then_close()) == second
    assert asyncio.run(_all(watcher)) == []  # closed: over for good


def test_aclose_ends_the_wait_between_polls_in_a_later_asyncio_run(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake
    client = AsyncClient(api_key=server.api_key, base_url=url)
    watcher = client.watch_processor_runs(interval=3600)

    async def leave_while_waiting() -> None:
        task = asyncio.ensure_future(_all(watcher))
        await _until_started(watcher)
        task.cancel()  # the watch is paused, not ended
        with pytest.raises(asyncio.CancelledError):
            await task

    async def wait_then_aclose() -> list[Any]:
        task = asyncio.ensure_future(_all(watcher))
        for _ in range(10):
            await asyncio.sleep(0)
        await watcher.aclose()
        yielded = await asyncio.wait_for(task, 10)  # an hour-long wait would time out
        await client.aclose()
        return yielded

    asyncio.run(leave_while_waiting())
    assert asyncio.run(wait_then_aclose()) == []


def test_aclose_from_another_event_loop_ends_the_wait_between_polls(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake

    async def main() -> list[Any]:
        async with AsyncClient(api_key=server.api_key, base_url=url) as client:
            watcher = client.watch_processor_runs(interval=3600)
            task = asyncio.ensure_future(_all(watcher))
            await _until_started(watcher)
            closer = threading.Thread(target=close_in_a_loop_of_its_own, args=(watcher,))
            closer.start()
            yielded = await asyncio.wait_for(task, 10)  # an hour-long wait would time out
            closer.join(10)
            return yielded

    failures: list[BaseException] = []

    def close_in_a_loop_of_its_own(watcher: Any) -> None:
        try:
            asyncio.run(watcher.aclose())
        except BaseException as error:  # handed to the test's thread
            failures.append(error)

    # In debug mode asyncio refuses a call from another thread that is not thread-safe;
    # such a call would leave the watch's task stuck for good, so the loop runs in a
    # thread of its own that the test gives up on instead of hanging with it.
    outcome: list[Any] = []
    loop = threading.Thread(
        target=lambda: outcome.append(asyncio.run(main(), debug=True)), daemon=True
    )
    loop.start()
    loop.join(30)
    assert not loop.is_alive(), "the watch was never woken"
    assert failures == [] and outcome == [[]]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_dropped_connection_is_logged_and_survived(
    fake: tuple[FakeExtend, str], caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    server, url = fake
    settings = {"api_key": server.api_key, "base_url": url, "max_retries": 0}
    server.fail_next(1, Fault.drop_connection())
    created = server.create_run("PENDING")
    since = datetime.fromisoformat(created["updatedAt"].replace("Z", "+00:00"))
    with caplog.at_level(logging.WARNING, logger="extend_runs"):
        if kind == "sync":
            with Client(**settings) as client:  # type: ignore[arg-type]
                run = next(iter(client.watch_processor_runs(since=since, interval=0.001)))
        else:

            async def first() -> Any:
                async with AsyncClient(**settings) as client:  # type: ignore[arg-type]
                    async for found in client.watch_processor_runs(since=since, interval=0.001):
                        return found

            run = asyncio.run(first())
    assert run.id == created["id"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "onnection" in warnings[0]
    assert server.api_key not in warnings[0]


def test_a_watcher_used_as_a_context_manager_is_closed_on_leaving(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake
    with Client(api_key=server.api_key, base_url=url) as client:
        with client.watch_processor_runs(status="FAILED", interval=30) as watcher:
            assert watcher.interval == 30
            described = repr(watcher)
        assert list(watcher) == []  # closed: nothing more, and no request sent
    assert server.requests == []
    assert "'status': 'FAILED'" in described and "interval=30" in described
    assert "not started" in described and server.api_key not in described


def test_an_async_watcher_used_as_a_context_manager_is_closed_on_leaving(
    fake: tuple[FakeExtend, str],
) -> None:
    server, url = fake

    async def main() -> list[Any]:
        async with AsyncClient(api_key=server.api_key, base_url=url) as client:
            async with client.watch_processor_runs(interval=30) as watcher:
                pass
            return [run async for run in watcher]

    assert asyncio.run(main()) == []
    assert server.requests == []
