"""Keyset cursors: a listing walked while runs are created and changed skips none of the others."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import httpx
import pytest

from extend_runs import Client
from extend_runs.testing import STATUSES, FakeExtend

from .conftest import get, http_client

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)

Fetch = Callable[[dict[str, Any]], dict[str, Any]]


class Churn:
    """Creates and changes a few runs at a time, remembering which ones it touched."""

    def __init__(self, fake: FakeExtend, seed: int) -> None:
        self.fake = fake
        self.rng = random.Random(seed)
        self.touched: set[str] = set()

    def __call__(
        self, change: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
    ) -> None:
        everyone = [run["id"] for run in self.fake.runs()]
        for _ in range(self.rng.randint(1, 3)):
            run_id = self.rng.choice(everyone)
            fields = {"status": self.rng.choice(STATUSES)}
            if change is None:
                self.fake.update_run(run_id, fields["status"])
            else:
                change(run_id, fields)
            self.touched.add(run_id)
        for _ in range(self.rng.randint(0, 3)):
            status = self.rng.choice(STATUSES)
            self.touched.add(self.fake.create_run(status, source="API")["id"])


def walk_with_churn(fetch: Fetch, params: dict[str, Any], churn: Callable[[], None]) -> list[str]:
    """Walk a listing page by page, changing the fake between every two requests."""
    seen: list[str] = []
    token = None
    while True:
        body = fetch(params | ({"nextPageToken": token} if token else {}))
        seen += [run["id"] for run in body["processorRuns"]]
        token = body.get("nextPageToken")
        if not token:
            return seen
        churn()


def check_nothing_unchanged_was_lost(
    before: list[str], seen: list[str], touched: set[str], no_repeats: bool
) -> None:
    unchanged = [run_id for run_id in before if run_id not in touched]
    assert [run_id for run_id in seen if run_id not in touched] == unchanged
    if no_repeats:
        assert not [run_id for run_id, n in Counter(seen).items() if n > 1]


LISTINGS = [
    {},
    {"sortDir": "asc"},
    {"sortBy": "createdAt"},
    {"sortBy": "createdAt", "sortDir": "asc"},
    {"status": "PROCESSED"},
    {"source": "API", "sortDir": "asc"},
    {"status": "FAILED", "sortBy": "createdAt"},
]


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda params: str(params) or "default")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_runs_created_and_changed_between_pages_skip_no_other_run(
    listing: dict[str, str], seed: int
) -> None:
    moments = [NOW]
    fake = FakeExtend(400, seed=seed, now=lambda: moments[-1])
    snake = {"sortBy": "sort_by", "sortDir": "sort_dir", "status": "status", "source": "source"}
    before = [run["id"] for run in fake.runs(**{snake[k]: v for k, v in listing.items()})]
    churn = Churn(fake, seed)

    def tick() -> None:
        moments.append(moments[-1] + timedelta(milliseconds=churn.rng.choice([0, 1, 500])))
        churn()

    with http_client(fake) as http:
        seen = walk_with_churn(
            lambda params: get(http, **params).json(), {"maxPageSize": 9, **listing}, tick
        )
    # A listing by updatedAt descending never sees a run twice: a changed run moves ahead
    # of the cursor. Ascending, a run changed after it was served comes round again.
    no_repeats = listing.get("sortDir", "desc") == "desc" or listing.get("sortBy") == "createdAt"
    check_nothing_unchanged_was_lost(before, seen, churn.touched, no_repeats)
    assert churn.touched  # the fake did change under the listing


def test_a_run_changed_during_a_listing_by_updated_at_moves_to_the_front() -> None:
    moments = [NOW]
    fake = FakeExtend(50, seed=4, now=lambda: moments[-1])
    moments.append(NOW + timedelta(seconds=1))  # changes land after every generated run
    with http_client(fake) as http:
        first = get(http, maxPageSize=10).json()
        served, unserved = first["processorRuns"][3]["id"], fake.runs()[30]["id"]
        fake.update_run(served, "FAILED")
        fake.update_run(unserved, "FAILED")
        rest = get(http, maxPageSize=100, nextPageToken=first["nextPageToken"]).json()
        fresh = get(http, maxPageSize=2).json()["processorRuns"]
    rest_ids = [run["id"] for run in rest["processorRuns"]]
    assert served not in rest_ids and unserved not in rest_ids  # both now ahead of the cursor
    assert len(rest_ids) == 39
    assert {run["id"] for run in fresh} == {served, unserved}  # a new listing starts with them


def test_a_cursor_outlives_changes_to_the_run_it_names() -> None:
    fake = FakeExtend(40, seed=5, now=NOW)
    expected = [run["id"] for run in fake.runs(sort_by="createdAt")]
    with http_client(fake) as http:
        first = get(http, sortBy="createdAt", maxPageSize=10).json()
        last = first["processorRuns"][-1]["id"]
        fake.update_run(last, "CANCELLED")
        fake.create_run("PENDING")
        rest = get(http, sortBy="createdAt", maxPageSize=100, nextPageToken=first["nextPageToken"])
    assert [run["id"] for run in rest.json()["processorRuns"]] == expected[10:]


def test_the_client_lists_every_unchanged_run_while_the_fake_changes() -> None:
    fake = FakeExtend(300, seed=6, now=NOW)
    before = [run["id"] for run in fake.runs()]
    churn = Churn(fake, 6)
    seen: list[str] = []
    with httpx.Client(transport=fake.transport()) as http:
        client = Client(api_key=fake.api_key, base_url=fake.base_url, http_client=http)
        for page in client.list_processor_runs(max_page_size=25).pages():
            seen += [run.id for run in page.processor_runs]
            churn()
    check_nothing_unchanged_was_lost(before, seen, churn.touched, no_repeats=True)
    assert len(seen) < len(before) + len(churn.touched)


@pytest.mark.integration
def test_runs_changed_over_the_socket_between_pages_skip_no_other_run() -> None:
    fake = FakeExtend(200, seed=7)  # the wall clock, as a separate process would have
    before = [run["id"] for run in fake.runs()]
    churn = Churn(fake, 7)
    with fake.serve() as base_url, httpx.Client(base_url=base_url) as http:

        def patch(run_id: str, fields: dict[str, Any]) -> dict[str, Any]:
            response = http.patch(f"/_fake/runs/{run_id}", json=fields)
            assert response.status_code == 200
            result: dict[str, Any] = response.json()
            return result

        def fetch(params: dict[str, Any]) -> dict[str, Any]:
            response = http.get("/processor_runs", params=params, headers=fake.auth_headers())
            assert response.status_code == 200
            result: dict[str, Any] = response.json()
            return result

        seen = walk_with_churn(fetch, {"maxPageSize": 11}, lambda: churn(patch))
    check_nothing_unchanged_was_lost(before, seen, churn.touched, no_repeats=True)


def test_cursors_keep_the_documented_shape() -> None:
    fake = FakeExtend(100, seed=8, now=NOW)
    with http_client(fake) as http:
        token = get(http, maxPageSize=5).json()["nextPageToken"]
        head, colon, tail = token.partition(":")
        assert colon and len(head) == 24 and head.endswith("==")
        assert len(tail) == 44 and tail.endswith("=") and not tail.endswith("==")
        # The same page gives the same cursor, even after the fake changed elsewhere.
        fake.create_run("PENDING")
        fake.update_run(fake.runs()[-1]["id"], "FAILED")
        assert get(http, maxPageSize=5).json()["processorRuns"][0]["status"] == "FAILED"
        second = get(http, maxPageSize=5, nextPageToken=token).json()["processorRuns"]
    assert [run["id"] for run in second] == [run["id"] for run in fake.runs()][7:12]


def test_page_numbers_follow_the_cursor(fake: FakeExtend) -> None:
    with http_client(fake) as http:
        token = None
        for _ in range(3):
            token = get(http, maxPageSize=20, nextPageToken=token).json()["nextPageToken"]
    assert [request.page for request in fake.requests] == [1, 2, 3]
