"""The SDK leaves process-global state as it found it: here, the garbage collector."""

from __future__ import annotations

import gc

import pytest

from ..conftest import Harness, PagedServer


@pytest.fixture
def untouchable_gc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to switch the collector on or off."""

    def refuse() -> None:
        raise AssertionError("the SDK switched the garbage collector")

    monkeypatch.setattr(gc, "disable", refuse)
    monkeypatch.setattr(gc, "enable", refuse)


@pytest.mark.usefixtures("untouchable_gc")
def test_a_listing_never_switches_the_garbage_collector(harness: Harness) -> None:
    server = PagedServer(total=250, page_size=100)
    runs, _ = harness.collect(server, max_page_size=100)
    assert [run.id for run in runs] == server.ids


def test_a_callers_disabled_collector_stays_disabled(harness: Harness) -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        runs, _ = harness.collect(PagedServer(total=30, page_size=10), max_page_size=10)
        assert len(runs) == 30
        assert not gc.isenabled()
    finally:
        if was_enabled:
            gc.enable()
