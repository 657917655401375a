"""Partitioned listings against a server that breaks timestamp ties its own way.

The API says nothing about the order of runs that share a timestamp. The hostile server
orders them against the id, or by a hash that differs for every partition, on 1,500
runs spread over 40 distinct seconds: a merge that assumes ties come by id loses runs.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import pytest

from extend_runs import APIResponseValidationError, AsyncClient, Client, ProcessorRunSummary

from .drive import CLIENT_SETTINGS, MODES, assert_same_listing, out_of_order
from .hostile import API_KEY, HostileServer

pytestmark = pytest.mark.integration

SORTS = [(None, None), ("createdAt", "asc")]


def collect(
    kind: str, base_url: str, settings: Optional[dict[str, Any]] = None, **listing: Any
) -> list[ProcessorRunSummary]:
    """A whole listing over the socket, with a client of its own (with ``settings``)."""
    settings = settings or {}
    if kind == "sync":
        with Client(api_key=API_KEY, base_url=base_url, **settings) as client:
            return list(client.list_processor_runs(**listing))

    async def main() -> list[ProcessorRunSummary]:
        async with AsyncClient(api_key=API_KEY, base_url=base_url, **settings) as client:
            return [run async for run in client.list_processor_runs(**listing)]

    return asyncio.run(main())


def wire_sort(sort_by: Any, sort_dir: Any) -> dict[str, str]:
    query = {"sortBy": sort_by, "sortDir": sort_dir}
    return {name: value for name, value in query.items() if value is not None}


@pytest.mark.parametrize(("sort_by", "sort_dir"), SORTS)
@pytest.mark.parametrize("mode", ["status", "status+source", "auto"])
@pytest.mark.parametrize("tie_order", ["reverse_id", "hash"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_partitioned_listing_holds_every_run_whatever_the_tie_order(
    hostile: tuple[HostileServer, str],
    kind: str,
    tie_order: str,
    mode: str,
    sort_by: Any,
    sort_dir: Any,
) -> None:
    server, base_url = hostile
    server.tie_order = tie_order
    sort = {"sort_by": sort_by, "sort_dir": sort_dir}
    plain = collect(kind, base_url, max_page_size=100, **sort)
    expected = [run["id"] for run in server.expected(**wire_sort(sort_by, sort_dir))]
    assert [run.id for run in plain] == expected and len(expected) == 1500
    settings = CLIENT_SETTINGS.get(mode)
    merged = collect(kind, base_url, settings, max_page_size=100, **sort, **MODES[mode])
    assert_same_listing(merged, expected, mode, sort_by, sort_dir)


@pytest.mark.parametrize("mode", ["status", "auto"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_partition_served_out_of_order_raises_instead_of_dropping_runs(
    hostile: tuple[HostileServer, str], kind: str, mode: str
) -> None:
    server, base_url = hostile
    server.disorder = ("status", "FAILED")  # the FAILED partition comes back ascending
    failed = server.expected(status="FAILED")
    assert failed[0]["updatedAt"] < failed[-1]["updatedAt"]  # really out of order
    with pytest.raises(APIResponseValidationError):
        collect(kind, base_url, CLIENT_SETTINGS.get(mode), max_page_size=50, **MODES[mode])


def test_the_hostile_server_really_breaks_ties_otherwise(
    hostile: tuple[HostileServer, str],
) -> None:
    # Without this the tests above could pass against a server that orders ties by id.
    server, base_url = hostile
    for tie_order in ("reverse_id", "hash"):
        server.tie_order = tie_order
        runs = collect("sync", base_url, max_page_size=1000, status="FAILED")
        ties = [(a.id, b.id) for a, b in zip(runs, runs[1:]) if a.updated_at == b.updated_at]
        assert len(ties) > 100
        assert sum(1 for a, b in ties if a > b) < len(ties)  # not all by id, descending
        assert out_of_order(runs) == []
