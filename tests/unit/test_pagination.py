"""Listing across pages: laziness, cursors, limits, resuming, loops."""

from __future__ import annotations

import httpx
import pytest

from extend_runs import (
    APIResponseValidationError,
    Client,
    InternalServerError,
    ListProcessorRunsParams,
    ProcessorRunSummary,
)

from ..conftest import API_KEY, Harness, PagedServer, json_response, page_json, run_json


def test_every_run_across_every_page(harness: Harness) -> None:
    server = PagedServer(total=25, page_size=10)
    runs, pager = harness.collect(server)
    assert [run.id for run in runs] == server.ids
    assert len(server.requests) == 3
    assert pager.next_page_token is None


def test_the_cursor_is_sent_exactly_and_filters_repeat_on_every_page(harness: Harness) -> None:
    server = PagedServer(total=30, page_size=10)
    harness.collect(server, status="FAILED", sort_by="createdAt", max_page_size=10)
    queries = [dict(request.url.params) for request in server.requests]
    base = {"status": "FAILED", "sortBy": "createdAt", "maxPageSize": "10"}
    assert queries == [
        base,
        {**base, "nextPageToken": "c1+/=:1"},
        {**base, "nextPageToken": "c2+/=:2"},
    ]
    assert b"nextPageToken=c1%2B%2F%3D%3A1" in server.requests[1].url.raw_path


@pytest.mark.parametrize("last_token", ["absent", None, ""])
def test_the_listing_ends_on_an_absent_null_or_empty_cursor(
    harness: Harness, last_token: str | None
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(200, json=page_json([run_json(1)], "next"))
        body = page_json([run_json(2)], None)
        if last_token != "absent":
            body["nextPageToken"] = last_token
        return httpx.Response(200, json=body)

    runs, pager = harness.collect(handler)
    assert [run.id for run in runs] == ["dpr_000001", "dpr_000002"]
    assert len(calls) == 2 and pager.next_page_token is None


def test_nothing_is_sent_until_iteration_starts(harness: Harness) -> None:
    server = PagedServer(total=5, page_size=10)
    pager = harness.pager(server, status="FAILED")
    repr(pager)
    assert pager.next_page_token is None
    assert server.requests == []


def test_limit_stops_without_fetching_past_the_page_that_reaches_it(harness: Harness) -> None:
    server = PagedServer(total=100, page_size=10)
    runs, pager = harness.collect(server, limit=15, max_page_size=10)
    assert [run.id for run in runs] == server.ids[:15]
    assert len(server.requests) == 2
    assert pager.next_page_token == "c2+/=:2"


def test_limit_alone_asks_for_pages_no_bigger_than_needed(harness: Harness) -> None:
    server = PagedServer(total=100, page_size=10)
    harness.collect(server, limit=7)
    assert server.requests[0].url.params["maxPageSize"] == "7"
    server = PagedServer(total=100, page_size=10)
    harness.collect(server, limit=5000)
    assert server.requests[0].url.params["maxPageSize"] == "1000"


def test_limit_zero_sends_nothing(harness: Harness) -> None:
    server = PagedServer(total=10, page_size=10)
    runs, _ = harness.collect(server, limit=0)
    assert runs == [] and server.requests == []


@pytest.mark.parametrize("limit", [-1, 2.5, True, "10"])
def test_a_bad_limit_is_rejected(harness: Harness, limit: object) -> None:
    server = PagedServer(total=10, page_size=10)
    with pytest.raises(ValueError, match="limit"):
        harness.collect(server, limit=limit)
    assert server.requests == []


def test_pages_yields_whole_pages_and_truncates_the_last_to_the_limit(harness: Harness) -> None:
    server = PagedServer(total=25, page_size=10)
    pages = harness.pages(server, limit=12, max_page_size=10)
    assert [len(page.processor_runs) for page in pages] == [10, 2]
    assert [page.next_page_token for page in pages] == ["c1+/=:1", "c2+/=:2"]


def test_a_listing_can_start_from_a_saved_cursor(harness: Harness) -> None:
    server = PagedServer(total=30, page_size=10)
    runs, _ = harness.collect(server, next_page_token="c2+/=:2")
    assert [run.id for run in runs] == server.ids[20:]
    assert server.requests[0].url.params["nextPageToken"] == "c2+/=:2"


def test_params_object_is_accepted_but_not_together_with_keywords(harness: Harness) -> None:
    server = PagedServer(total=3, page_size=10)
    runs, _ = harness.collect(server, params=ListProcessorRunsParams(status="FAILED"))
    assert len(runs) == 3 and server.requests[0].url.params["status"] == "FAILED"
    with pytest.raises(ValueError, match="not both"):
        harness.collect(server, params=ListProcessorRunsParams(), status="FAILED")
    with pytest.raises(TypeError, match="ListProcessorRunsParams"):
        harness.collect(server, params={"status": "FAILED"})


def test_invalid_filters_raise_before_any_request(harness: Harness) -> None:
    server = PagedServer(total=3, page_size=10)
    with pytest.raises(ValueError, match="status"):
        harness.collect(server, status="failed")
    with pytest.raises(ValueError, match="max_page_size"):
        harness.collect(server, max_page_size=5000)
    with pytest.raises(ValueError, match="next_page_token"):
        harness.collect(server, next_page_token="")
    with pytest.raises(ValueError, match="status"):
        harness.one_page(server, status="done")
    assert server.requests == []


def test_a_repeated_cursor_raises_instead_of_looping(harness: Harness) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        token = "A" if len(calls) % 2 else "B"
        return httpx.Response(200, json=page_json([run_json(len(calls))], token))

    with pytest.raises(APIResponseValidationError, match="'A' a second time"):
        harness.collect(handler)
    assert len(calls) == 3


def test_a_server_handing_back_the_starting_cursor_is_a_loop(harness: Harness) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=page_json([run_json(1)], "start"))

    with pytest.raises(APIResponseValidationError, match="second time"):
        harness.collect(handler, next_page_token="start")


def test_after_an_error_the_pager_resumes_from_the_failed_page(
    harness: Harness, waits: list[float]
) -> None:
    failure = json_response(503, {"code": "INTERNAL_ERROR", "message": "down"})
    server = PagedServer(total=50, page_size=10, faults={3: failure, 4: failure, 5: failure})
    pager = harness.pager(server)
    received: list[ProcessorRunSummary] = []
    with pytest.raises(InternalServerError):
        harness.drain(pager, received)
    assert pager.next_page_token == "c2+/=:2"
    assert len(received) == 20
    received += harness.resume(pager)
    assert [run.id for run in received] == server.ids
    assert pager.next_page_token is None
    assert harness.resume(pager) == []


def test_a_retried_page_is_requested_with_the_same_cursor(
    harness: Harness, waits: list[float]
) -> None:
    server = PagedServer(
        total=30, page_size=10, faults={2: json_response(429, {"code": "RATE_LIMIT_EXCEEDED"})}
    )
    runs, _ = harness.collect(server)
    assert [run.id for run in runs] == server.ids
    tokens = [request.url.params.get("nextPageToken") for request in server.requests]
    assert tokens == [None, "c1+/=:1", "c1+/=:1", "c2+/=:2"]
    assert len(waits) == 1


def test_list_processor_runs_page_sends_exactly_one_request(harness: Harness) -> None:
    server = PagedServer(total=30, page_size=10)
    page = harness.one_page(server, max_page_size=10, next_page_token="c1+/=:1")
    assert [run.id for run in page.processor_runs] == server.ids[10:20]
    assert page.next_page_token == "c2+/=:2"
    assert len(server.requests) == 1


def test_pager_repr_shows_where_it_stands() -> None:
    client = Client(api_key=API_KEY)
    pager = client.list_processor_runs(status="FAILED", limit=3, next_page_token="tok")
    assert repr(pager) == (
        "ProcessorRunPager(params={'status': 'FAILED', 'nextPageToken': 'tok'}, limit=3, "
        "next_page_token='tok')"
    )
    assert pager.params == ListProcessorRunsParams(status="FAILED", next_page_token="tok")
    assert pager.limit == 3


def test_pages_yields_the_pages_that_hold_runs_and_passes_over_empty_ones() -> None:
    bodies = [
        page_json([run_json(1), run_json(2)], "a"),
        page_json([], "b"),  # a server may send an empty page before more runs
        page_json([run_json(3)], None),
    ]
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=bodies[len(calls) - 1])

    client = Client(
        api_key=API_KEY, http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    pages = list(client.list_processor_runs().pages())
    assert [[run.id for run in page.processor_runs] for page in pages] == [
        ["dpr_000001", "dpr_000002"],
        ["dpr_000003"],
    ]
    assert len(calls) == 3


def test_the_listing_hands_nothing_else_out_while_a_transaction_may_be_undone() -> None:
    """While to_pandas()/to_dicts() may yet hand its runs back, the engine refuses to hand
    runs to anything else, and refuses a second such reader: either would repeat runs."""
    from extend_runs._listing import Listing, ListingSpec

    listing = Listing(ListingSpec(ListProcessorRunsParams()))
    with listing.transaction():
        with pytest.raises(RuntimeError, match="to_pandas"):
            listing.current("runs")
        with pytest.raises(RuntimeError, match="already"), listing.transaction():
            pass  # pragma: no cover
        assert list(listing.current("chunk")) == []
    assert list(listing.current("runs")) == []
