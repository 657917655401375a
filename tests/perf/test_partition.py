"""Partitioned listings: the plain listing's runs, in its order, fetched concurrently."""

from __future__ import annotations

import itertools
from typing import Any, Optional

import httpx
import pytest

from extend_runs import APIStatusError, Client
from tests.conftest import API_KEY, json_response
from tests.perf.server import ListingServer, make_runs

RUNS = make_runs(150)
SORTS = list(itertools.product([None, "updatedAt", "createdAt"], [None, "asc", "desc"]))


def ids(runs: list[Any]) -> list[str]:
    return [run.id for run in runs]


def assert_same_listing(merged: list[Any], plain: list[Any], sort_by: Optional[str] = None) -> None:
    """The same runs, in the same order of timestamps; runs that tie may be in any order."""
    field = "created_at" if sort_by == "createdAt" else "updated_at"
    assert sorted(ids(merged)) == sorted(ids(plain))
    assert [getattr(run, field) for run in merged] == [getattr(run, field) for run in plain]


def assert_starts_listing(received: list[Any], plain: list[Any]) -> None:
    """``received`` could begin the listing: its timestamps, distinct runs of the listing."""
    assert [run.updated_at for run in received] == [run.updated_at for run in plain][
        : len(received)
    ]
    assert len(set(ids(received))) == len(received) and set(ids(received)) <= set(ids(plain))


@pytest.mark.parametrize("partition_by", ["status", "processor_type", "source"])
@pytest.mark.parametrize(("sort_by", "sort_dir"), SORTS)
def test_partitioned_listing_equals_the_plain_one(
    harness: Any, partition_by: str, sort_by: Optional[str], sort_dir: Optional[str]
) -> None:
    kwargs = {"sort_by": sort_by, "sort_dir": sort_dir, "max_page_size": 9}
    plain, _ = harness.collect(ListingServer(RUNS), **kwargs)
    server = ListingServer(RUNS)
    merged, pager = harness.collect(server, partition_by=partition_by, **kwargs)
    assert len(plain) == len(RUNS)
    assert_same_listing(merged, plain, sort_by)
    # A checkpoint taken at the end resumes to nothing, without a request.
    after, _ = harness.collect(
        ListingServer(RUNS), partition_by=partition_by, resume_from=pager.checkpoint, **kwargs
    )
    assert after == []
    sent = {request.url.params[_wire(partition_by)] for request in server.requests}
    assert len(sent) > 1  # really one sub-listing per value


def _wire(partition_by: str) -> str:
    return {"status": "status", "processor_type": "processorType", "source": "source"}[partition_by]


def test_filters_apply_to_every_partition_and_a_limit_caps_the_total(harness: Any) -> None:
    kwargs = {"source": "API", "sort_by": "createdAt", "max_page_size": 4}
    plain, _ = harness.collect(ListingServer(RUNS), **kwargs)
    merged, _ = harness.collect(ListingServer(RUNS), partition_by="status", limit=7, **kwargs)
    assert_same_listing(merged, plain[:7], "createdAt")


def test_an_error_surfaces_and_the_listing_resumes_without_losing_runs(harness: Any) -> None:
    failure = json_response(400, {"code": "BAD", "message": "nope"})
    plain, _ = harness.collect(ListingServer(RUNS), max_page_size=5)
    pager = harness.pager(
        ListingServer(RUNS, fail={9: failure}), partition_by="status", max_page_size=5
    )
    received: list[Any] = []
    with pytest.raises(APIStatusError, match="nope"):
        harness.drain(pager, received)
    assert_starts_listing(received, plain)
    # In another process: resume from the checkpoint, exactly where the listing stopped.
    resumed, _ = harness.collect(
        ListingServer(RUNS), partition_by="status", max_page_size=5, resume_from=pager.checkpoint
    )
    assert_same_listing(received + resumed, plain)
    # In this process: iterate the same pager again to continue exactly where it stopped.
    assert_same_listing(received + harness.resume(pager), plain)


def test_a_429_pauses_every_partition(waits: list[float]) -> None:
    limited = json_response(429, {"code": "RATE_LIMIT_EXCEEDED"}, **{"Retry-After": "2"})
    server = ListingServer(RUNS, fail={1: limited})
    http_client = httpx.Client(transport=httpx.MockTransport(server))
    client = Client(api_key=API_KEY, http_client=http_client)
    runs = list(
        client.list_processor_runs(partition_by="status", max_page_size=20, max_concurrency=1)
    )
    assert len(runs) == len(RUNS)
    # The retry waits 2 s; then every later request, whatever its partition, waits out
    # the shared pause (the test's sleeps return at once, so the pause never ends).
    assert waits[0] == 2.0
    assert len(waits) == len(server.requests)
    assert all(0 < wait <= 2.0 for wait in waits)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"partition_by": "status", "status": "FAILED"}, "partition_by='status'.*status filter"),
        ({"partition_by": "source", "source": "API"}, "partition_by='source'.*source filter"),
        ({"partition_by": "status", "next_page_token": "t"}, "next_page_token.*resume_from"),
        ({"partition_by": "processor_id"}, "partition_by must be one of"),
        ({"partition_by": "status", "max_concurrency": 0}, "max_concurrency"),
        ({"max_concurrency": 3}, "max_concurrency applies only"),
        ({"partition_tokens": {"FAILED": None}}, "partition_tokens applies only"),
        ({"prefetch": "yes"}, "prefetch must be True, False, .auto. or None"),
    ],
)
def test_bad_combinations_are_refused_before_any_request(
    kwargs: dict[str, Any], message: str
) -> None:
    server = ListingServer(RUNS)
    http_client = httpx.Client(transport=httpx.MockTransport(server))
    client = Client(api_key=API_KEY, http_client=http_client)
    with pytest.raises(ValueError, match=message):
        client.list_processor_runs(**kwargs)
    assert server.requests == []


def test_a_partitioned_listing_has_no_single_cursor_nor_pages() -> None:
    pager = Client(api_key=API_KEY).list_processor_runs(partition_by="processor_type")
    with pytest.raises(ValueError, match="checkpoint"):
        _ = pager.next_page_token
    with pytest.raises(ValueError, match="pages"):
        pager.pages()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"partition_by": "status", "partition_tokens": {"failed": "t"}}, "not a status value"),
        ({"partition_by": "status", "partition_tokens": {"FAILED": ""}}, "non-empty string"),
    ],
)
def test_bad_partition_tokens_are_refused_before_any_request(
    kwargs: dict[str, Any], message: str
) -> None:
    server = ListingServer(RUNS)
    client = Client(
        api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(server))
    )
    with (
        pytest.warns(DeprecationWarning, match="resume_from"),
        pytest.raises(ValueError, match=message),
    ):
        client.list_processor_runs(**kwargs)
    assert server.requests == []


def test_partition_tokens_still_resume_a_partitioned_listing_but_are_deprecated() -> None:
    plain = list(_client().list_processor_runs(max_page_size=8))
    pager = _client().list_processor_runs(partition_by="status", max_page_size=8)
    received = list(itertools.islice(pager, 40))
    with pytest.warns(DeprecationWarning, match="checkpoint"):
        tokens = pager.partition_tokens
    assert tokens and set(tokens) <= {"PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"}
    with pytest.warns(DeprecationWarning, match="resume_from"):
        resumed = _client().list_processor_runs(
            partition_by="status", max_page_size=8, partition_tokens=tokens
        )
    # Partitions stopped mid-page start that page again: runs may repeat, none is lost.
    seen = set(ids(received))
    assert_same_listing(received + [run for run in resumed if run.id not in seen], plain)
    with pytest.warns(DeprecationWarning, match="checkpoint"):
        assert Client(api_key=API_KEY).list_processor_runs().partition_tokens is None


def _client() -> Client:
    return Client(
        api_key=API_KEY,
        http_client=httpx.Client(transport=httpx.MockTransport(ListingServer(RUNS))),
    )


@pytest.mark.parametrize("stop_after", [1, 23, 77, 149])
def test_a_listing_left_midway_resumes_from_its_checkpoint_or_by_iterating_again(
    harness: Any, stop_after: int
) -> None:
    plain, _ = harness.collect(ListingServer(RUNS), max_page_size=8)
    pager = harness.pager(ListingServer(RUNS), partition_by="status", max_page_size=8)
    received = harness.take(pager, stop_after)
    assert_starts_listing(received, plain)
    assert len(received) == stop_after
    resumed, _ = harness.collect(
        ListingServer(RUNS), partition_by="status", max_page_size=8, resume_from=pager.checkpoint
    )
    assert_same_listing(received + resumed, plain)
    assert_same_listing(received + harness.resume(pager), plain)
