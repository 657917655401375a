"""A fake Extend server on a real socket, and an environment that points ``Client()`` at it.

Code in the docs, docstrings and examples is written as users write it: ``Client()`` with
the key and base URL taken from ``EXTEND_API_KEY`` and ``EXTEND_BASE_URL``. These fixtures
make those two variables name a ``FakeExtend`` served on loopback, so that code runs for
real, over HTTP, without an Extend account.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from extend_runs.testing import FakeExtend

DOCS_FAKE_RUNS = 250
"""How many generated runs the docs' fake serves (seed 0)."""


@pytest.fixture(scope="module")
def served_fake() -> Iterator[tuple[FakeExtend, str]]:
    """A ``FakeExtend`` serving on loopback for the whole module, with its base URL."""
    fake = FakeExtend(DOCS_FAKE_RUNS, seed=0)
    with fake.serve() as base_url:
        yield fake, base_url


@pytest.fixture
def docs_env(
    served_fake: tuple[FakeExtend, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeExtend]:
    """Point ``EXTEND_API_KEY``/``EXTEND_BASE_URL`` at the served fake; restore logging after."""
    fake, base_url = served_fake
    fake.clear_faults()
    fake.clear_requests()
    monkeypatch.setenv("EXTEND_API_KEY", fake.api_key)
    monkeypatch.setenv("EXTEND_BASE_URL", base_url)
    root = logging.getLogger()
    package = logging.getLogger("extend_runs")
    saved = (list(root.handlers), root.level, package.level)
    try:
        yield fake
    finally:
        for handler in root.handlers[:]:
            if handler not in saved[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(saved[1])
        package.setLevel(saved[2])
