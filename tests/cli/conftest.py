"""The fake Extend API served on a real socket for the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from extend_runs.testing import FakeExtend, Fault

TOTAL_RUNS = 47
"""Runs in the fake: pages of 5, 6, 7 or 10 all leave a short last page."""


@dataclass
class ServedFake:
    """A ``FakeExtend`` and the base URL it is served at."""

    fake: FakeExtend
    base_url: str

    @property
    def api_key(self) -> str:
        return self.fake.api_key

    def runs(self, **filters: Any) -> list[dict[str, Any]]:
        """What a full listing with these filters returns, in order."""
        return self.fake.runs(**filters)

    def ids(self, **filters: Any) -> list[str]:
        return [run["id"] for run in self.fake.runs(**filters)]

    @property
    def queries(self) -> list[dict[str, str]]:
        """The query of every request received, oldest first."""
        return [request.query for request in self.fake.requests]

    def fail_page(self, page: int, fault: Fault) -> None:
        """Answer the first request for ``page`` of a listing with ``fault``."""
        self.fake.inject(fault, when=lambda request: request.page == page)


@pytest.fixture(scope="module")
def _served_fake() -> Iterator[ServedFake]:
    fake = FakeExtend(runs=TOTAL_RUNS, seed=11)
    with fake.serve() as base_url:
        yield ServedFake(fake, base_url)


@pytest.fixture
def fake_api(_served_fake: ServedFake) -> ServedFake:
    """The served fake with no faults armed and no requests recorded."""
    _served_fake.fake.clear_faults()
    _served_fake.fake.clear_requests()
    return _served_fake
