"""Fixtures for the listing tests: the hostile server on a socket, and sync or async."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .drive import Driver
from .hostile import HostileServer, make_runs, serving


@pytest.fixture
def hostile() -> Iterator[tuple[HostileServer, str]]:
    """A hostile server with 1,500 runs on coarse timestamps, and its base URL."""
    server = HostileServer(make_runs(1500))
    with serving(server) as base_url:
        yield server, base_url


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Driver:
    """The same test through ``Client`` and through ``AsyncClient``."""
    return Driver(request.param)
