"""The fake Extend server on a real loopback socket, shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from extend_runs.testing import FakeExtend
from extend_runs.testing._server import run_in_thread

from .matrix import new_fake


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeExtend, str]]:
    """A fake with 100 runs (ten pages of ten) and its base URL; faults are cleared per use."""
    fake = new_fake()
    with run_in_thread(fake.asgi_app()) as base_url:
        yield fake, base_url


@pytest.fixture
def fake(served: tuple[FakeExtend, str]) -> FakeExtend:
    """The shared fake, with no faults armed and no requests recorded."""
    served[0].clear_faults()
    served[0].clear_requests()
    return served[0]


@pytest.fixture
def base_url(served: tuple[FakeExtend, str]) -> str:
    return served[1]
