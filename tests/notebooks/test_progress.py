"""``progress=True``: a tqdm bar counting runs and pages, always closed, tqdm only on demand."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from typing import Any, ClassVar

import pytest
import tqdm.auto
import tqdm.std

from tests.conftest import Harness, PagedServer, json_response


class RecordingBar(tqdm.std.tqdm):  # type: ignore[misc]
    """A real tqdm bar, written to a buffer, that remembers every bar made."""

    made: ClassVar[list[RecordingBar]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["file"] = io.StringIO()
        super().__init__(*args, **kwargs)
        RecordingBar.made.append(self)


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> list[RecordingBar]:
    RecordingBar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", RecordingBar)
    return RecordingBar.made


def test_bar_counts_runs_with_pages_beside_them(harness: Harness, bars: list[RecordingBar]) -> None:
    server = PagedServer(total=25, page_size=10)
    runs, _ = harness.collect(server, progress=True)
    assert len(runs) == 25
    (bar,) = bars
    assert bar.n == 25 and bar.total is None
    assert bar.postfix == "pages=3"
    assert bar.disable is True  # closed: tqdm marks a closed bar disabled
    assert "25 runs" in bar.fp.getvalue()


def test_bar_total_is_the_limit(harness: Harness, bars: list[RecordingBar]) -> None:
    server = PagedServer(total=100, page_size=10)
    harness.collect(server, progress=True, limit=15, max_page_size=10)
    (bar,) = bars
    assert (bar.n, bar.total, bar.postfix) == (15, 15, "pages=2")


def test_no_bar_without_progress(harness: Harness, bars: list[RecordingBar]) -> None:
    harness.collect(PagedServer(total=5, page_size=2))
    assert bars == []


def test_bar_is_closed_when_the_listing_fails(harness: Harness, bars: list[RecordingBar]) -> None:
    server = PagedServer(total=30, page_size=10, faults={2: json_response(400, {"code": "BAD"})})
    runs: list[Any] = []
    with pytest.raises(Exception, match="400"):
        harness.drain(harness.pager(server, progress=True), runs)
    (bar,) = bars
    assert len(runs) == 10 and bar.n == 10 and bar.disable is True


def test_bar_is_closed_when_the_loop_is_broken_out_of(bars: list[RecordingBar]) -> None:
    harness = Harness("sync")
    pager = harness.pager(PagedServer(total=30, page_size=10), progress=True)
    for _ in pager:
        break
    (bar,) = bars
    assert bar.disable is True and bar.n == 10


def test_async_bar_is_closed_when_the_walk_is_closed(bars: list[RecordingBar]) -> None:
    harness = Harness("async")
    pager = harness.pager(PagedServer(total=30, page_size=10), progress=True)

    async def main() -> tuple[bool, bool]:
        runs = pager.__aiter__()
        await runs.__anext__()
        open_before = not bars[0].disable
        await runs.aclose()
        return open_before, bars[0].disable

    assert asyncio.run(main()) == (True, True)


def test_async_bar_is_closed_after_a_break(bars: list[RecordingBar]) -> None:
    harness = Harness("async")
    pager = harness.pager(PagedServer(total=30, page_size=10), progress=True)

    async def main() -> None:
        async for _ in pager:
            break

    asyncio.run(main())
    (bar,) = bars
    assert bar.disable is True


def test_without_tqdm_progress_fails_before_any_request(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    server = PagedServer(total=5, page_size=5)
    with pytest.raises(ImportError, match=r"pip install 'extend-runs\[progress\]'"):
        harness.pager(server, progress=True)
    assert server.requests == []
    # Without progress, nothing needs tqdm.
    runs, _ = harness.collect(server)
    assert len(runs) == 5


def test_progress_must_be_a_bool(harness: Harness) -> None:
    server = PagedServer(total=5, page_size=5)
    with pytest.raises(ValueError, match="progress must be True or False"):
        harness.pager(server, progress="yes")
    assert server.requests == []


def test_optional_dependencies_are_imported_only_when_used() -> None:
    script = """
import sys
import httpx
import extend_runs
from extend_runs.testing import FakeExtend

fake = FakeExtend(30, seed=1)
client = extend_runs.Client(
    api_key=fake.api_key, base_url=fake.base_url,
    http_client=httpx.Client(transport=fake.transport()),
)
pager = client.list_processor_runs(max_page_size=7)
pager._repr_html_()
rows = pager.to_dicts()
page = client.list_processor_runs_page()
repr(page), page._repr_html_(), page.to_dicts()
assert len(rows) == 30
loaded = sorted(name for name in ("pandas", "numpy", "tqdm") if name in sys.modules)
print(",".join(loaded))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
