"""Runs created and changed while the fake serves, from Python and over its control interface."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from extend_runs.testing import STATUSES, FakeExtend, Fault

from .conftest import http_client, walk

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
LATER = NOW + timedelta(seconds=1)


def fake_at_later(count: int, seed: int) -> FakeExtend:
    """Runs generated up to ``NOW``, and a clock at ``LATER``: changes land after them all."""
    moments = [NOW]
    fake = FakeExtend(count, seed=seed, now=lambda: moments[-1])
    moments.append(LATER)
    return fake


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ids(runs: list[dict[str, Any]]) -> list[str]:
    return [run["id"] for run in runs]


def test_a_created_run_is_served_first_and_filtered_on() -> None:
    fake = fake_at_later(200, seed=2)
    processor = fake.runs()[-1]
    run = fake.create_run(
        "FAILED", processor_id=processor["processorId"], source="API", file_name="late_invoice.pdf"
    )
    assert run["status"] == "FAILED" and run["id"].startswith("dpr_")
    assert run["createdAt"] == run["updatedAt"] == "2026-12-01T09:30:01Z"
    for name in ("processorName", "processorVersionId", "type"):
        assert run[name] == processor[name]
    assert "fileName" not in run and "source" not in run
    assert fake.runs()[0] == run
    assert fake.runs(sort_by="createdAt")[0] == run
    assert fake.runs(sort_by="createdAt", sort_dir="asc")[-1] == run
    assert fake.runs(status="FAILED", source="API", file_name_contains="LATE") == [run]
    assert fake.run(run["id"]) == run
    assert len(fake) == 201


def test_created_runs_get_defaults_and_may_be_given_an_id() -> None:
    fake = FakeExtend(now=NOW)
    run = fake.create_run()
    assert run["status"] == "PENDING"
    assert (run["processorId"], run["processorName"], run["type"]) == (
        "dp_fake_invoices",
        "Invoice Extractor",
        "EXTRACT",
    )
    mine = fake.create_run("PROCESSED", id="dpr_mine", processor_id="cl_new", processor_type=None)
    assert mine["id"] == "dpr_mine" and mine["processorId"] == "cl_new"
    with pytest.raises(ValueError, match="already exists"):
        fake.create_run(id="dpr_mine")
    with pytest.raises(ValueError, match="status must be one of"):
        fake.create_run("failed")
    with pytest.raises(ValueError, match="source must be one of"):
        fake.create_run(source="EMAIL")
    # New ids are seeded: the same fake makes the same ids.
    assert FakeExtend(now=NOW).create_run()["id"] == run["id"]


def test_an_update_moves_updated_at_forward_and_the_run_to_the_front() -> None:
    fake = fake_at_later(300, seed=4)
    oldest = fake.runs()[-1]
    changed = fake.update_run(oldest["id"], "CANCELLED")
    assert changed["status"] == "CANCELLED"
    assert parse(changed["updatedAt"]) > parse(fake.runs()[1]["updatedAt"])
    assert changed["createdAt"] == oldest["createdAt"]
    assert fake.runs()[0] == changed
    assert fake.run(oldest["id"]) == changed
    assert oldest["id"] in ids(fake.runs(status="CANCELLED"))
    if oldest["status"] != "CANCELLED":
        assert oldest["id"] not in ids(fake.runs(status=oldest["status"]))
    # A clock that stands still: each change still lands strictly later.
    again = fake.update_run(oldest["id"])
    assert parse(again["updatedAt"]) == parse(changed["updatedAt"]) + timedelta(milliseconds=1)
    assert again["status"] == "CANCELLED"


def test_updated_at_never_goes_backwards() -> None:
    future = "2027-01-01T00:00:00Z"
    base = {"status": "PROCESSING", "processorId": "dp_1", "createdAt": "2026-11-01T00:00:00Z"}
    fake = FakeExtend(
        [
            base | {"id": "dpr_future", "updatedAt": future},
            base | {"id": "dpr_past", "updatedAt": "2026-11-01T00:00:01Z"},
        ],
        now=NOW,
    )
    # The fake's clock is behind a run: the change is stamped after it, and after the
    # newest run held, so it still sorts first by updatedAt.
    moved = fake.update_run("dpr_future", "PROCESSED")
    assert moved["updatedAt"] == "2027-01-01T00:00:00.001Z"
    created = fake.create_run()
    assert parse(created["updatedAt"]) >= parse(moved["updatedAt"])
    other = fake.update_run("dpr_past", "FAILED")
    assert parse(other["updatedAt"]) >= parse(created["updatedAt"])
    assert ids(fake.runs())[0] == "dpr_past"
    assert created["updatedAt"] == moved["updatedAt"]  # a tie, ordered by id
    with pytest.raises(ValueError, match="later than"):
        fake.update_run("dpr_past", updated_at=parse(other["updatedAt"]))
    chosen = fake.update_run("dpr_past", updated_at=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert chosen["updatedAt"] == "2030-01-01T00:00:00Z"
    with pytest.raises(KeyError):
        fake.update_run("dpr_nobody", "FAILED")
    with pytest.raises(ValueError, match="status must be one of"):
        fake.update_run("dpr_past", "DONE")


def test_changes_follow_a_clock_the_test_moves() -> None:
    moments = [NOW]
    fake = FakeExtend(20, seed=1, now=lambda: moments[-1])
    run = fake.create_run("PENDING")
    moments.append(NOW + timedelta(minutes=5, milliseconds=250))
    changed = fake.update_run(run["id"], "PROCESSING")
    assert changed["updatedAt"] == "2026-12-01T09:35:00.250Z"
    assert changed["createdAt"] == "2026-12-01T09:30:00Z"


def test_the_wall_clock_stamps_changes_by_default() -> None:
    fake = FakeExtend(10, seed=1)
    before = datetime.now(timezone.utc) - timedelta(milliseconds=1)
    run = fake.create_run("PENDING")
    assert before <= parse(run["createdAt"]) <= datetime.now(timezone.utc)


def reference(fake: FakeExtend, **filters: Any) -> list[str]:
    """A listing worked out from scratch: every run, filtered and sorted by brute force."""
    sort_by = filters.pop("sort_by", "updatedAt")
    sort_dir = filters.pop("sort_dir", "desc")
    wanted = {"status": "status", "source": "source", "processor_type": "type"}
    runs = [
        run
        for run in fake.runs(internal=True, sort_by="createdAt")
        if all(run[wanted[name]] == value for name, value in filters.items())
    ]
    runs.sort(key=lambda run: (parse(run[sort_by]), run["id"]), reverse=sort_dir == "desc")
    return ids(runs)


def test_cached_listings_stay_right_through_many_changes() -> None:
    rng = random.Random(7)
    moments = [NOW]
    fake = FakeExtend(400, seed=3, now=lambda: moments[-1])
    listings: list[dict[str, Any]] = [
        {},
        {"sort_by": "createdAt"},
        {"status": "FAILED"},
        {"status": "PROCESSING", "sort_by": "createdAt", "sort_dir": "asc"},
        {"source": "API", "status": "PENDING"},
        {"processor_type": "CLASSIFY", "sort_dir": "asc"},
    ]
    for listing in listings:  # cache every listing before the changes start
        fake.runs(**listing)
    every = ids(fake.runs())
    for step in range(300):
        if step % 3 == 0:
            moments.append(moments[-1] + timedelta(milliseconds=rng.choice([0, 0, 1, 700])))
        if rng.random() < 0.3:
            every.append(
                fake.create_run(rng.choice(STATUSES), source=rng.choice(["API", "ADMIN"]))["id"]
            )
        else:
            fake.update_run(rng.choice(every), rng.choice([*STATUSES, None]))
        if step % 25 == 0:
            for listing in listings:
                got = ids(fake.runs(**listing))
                assert got == reference(fake, **dict(listing))
    for listing in listings:
        assert ids(fake.runs(**listing)) == reference(fake, **dict(listing))


def test_changes_from_many_threads_at_once() -> None:
    fake = FakeExtend(1000, seed=5, now=NOW)
    originals = ids(fake.runs())
    start = threading.Barrier(5)
    created: list[str] = []

    def change(worker: int) -> None:
        start.wait()
        for index in range(worker, len(originals), 4):
            fake.update_run(originals[index], "CANCELLED")

    def create() -> None:
        start.wait()
        created.extend(fake.create_run("PENDING")["id"] for _ in range(200))

    threads = [threading.Thread(target=change, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=create))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = fake.runs()
    assert sorted(ids(runs)) == sorted(originals + created)
    assert len(fake.runs(status="CANCELLED")) == 1000
    keys = [(parse(run["updatedAt"]), run["id"]) for run in runs]
    assert keys == sorted(keys, reverse=True)
    assert all(parse(run["updatedAt"]) >= NOW for run in fake.runs(status="CANCELLED"))


def control_client(fake: FakeExtend) -> httpx.Client:
    """A client with no API key: the control interface needs none."""
    return httpx.Client(transport=fake.transport(), base_url=fake.base_url)


def test_the_control_interface_creates_reads_and_changes_runs() -> None:
    fake = FakeExtend(50, seed=6, now=NOW)
    fake.inject(Fault.server_error(503), times=None)  # faults are for the API, not control
    with control_client(fake) as control:
        response = control.post(
            "/_fake/runs", json={"status": "PROCESSING", "source": "API", "fileName": "a.pdf"}
        )
        assert response.status_code == 201
        run = response.json()
        assert run == fake.run(run["id"])
        assert fake.runs(file_name_contains="a.pdf") == [run]
        got = control.get(f"/_fake/runs/{run['id']}")
        assert got.status_code == 200 and got.json() == run
        patched = control.patch(f"/_fake/runs/{run['id']}", json={"status": "PROCESSED"})
        assert patched.status_code == 200
        assert patched.json()["status"] == "PROCESSED"
        assert parse(patched.json()["updatedAt"]) > parse(run["updatedAt"])
        chosen = control.patch(
            f"/_fake/runs/{run['id']}", json={"updatedAt": "2026-12-02T00:00:00.5Z"}
        )
        assert chosen.json()["updatedAt"] == "2026-12-02T00:00:00.500Z"
        assert control.post("/_fake/runs").status_code == 201  # an empty body: all defaults
    assert fake.requests == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/_fake/runs", {"status": "failed"}, 400, "INVALID_REQUEST"),
        ("POST", "/_fake/runs", {"colour": "red"}, 400, "INVALID_REQUEST"),
        ("POST", "/_fake/runs", [1], 400, "INVALID_REQUEST"),
        ("GET", "/_fake/runs", None, 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/_fake/runs/dpr_nobody", None, 404, "NOT_FOUND"),
        ("PATCH", "/_fake/runs/dpr_nobody", {"status": "FAILED"}, 404, "NOT_FOUND"),
        ("PATCH", "/_fake/runs/dpr_known", {"status": "DONE"}, 400, "INVALID_REQUEST"),
        (
            "PATCH",
            "/_fake/runs/dpr_known",
            {"updatedAt": "2000-01-01T00:00:00Z"},
            400,
            "INVALID_REQUEST",
        ),
        ("PATCH", "/_fake/runs/dpr_known", {"updatedAt": "soon"}, 400, "INVALID_REQUEST"),
        ("PATCH", "/_fake/runs/dpr_known", {"processorId": "dp_2"}, 400, "INVALID_REQUEST"),
        ("DELETE", "/_fake/runs/dpr_known", None, 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/_fake/elsewhere", None, 404, "NOT_FOUND"),
    ],
)
def test_the_control_interface_refuses_what_it_cannot_do(
    method: str, path: str, body: Any, status: int, code: str
) -> None:
    fake = FakeExtend(now=NOW)
    fake.create_run(id="dpr_known")
    with control_client(fake) as control:
        response = control.request(method, path, json=body)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert fake.run("dpr_known")["status"] == "PENDING"


@pytest.mark.integration
def test_runs_change_over_the_socket_while_a_client_lists() -> None:
    fake = FakeExtend(30, seed=9, now=NOW)
    with fake.serve() as base_url, httpx.Client(base_url=base_url) as http:
        created = http.post("/_fake/runs", json={"status": "PENDING", "id": "dpr_new"})
        assert created.status_code == 201
        changed = http.patch("/_fake/runs/dpr_new", json={"status": "FAILED"}).json()
        listed = http.get(
            "/processor_runs", params={"status": "FAILED"}, headers=fake.auth_headers()
        ).json()["processorRuns"]
        assert listed[0] == changed
        fake.update_run("dpr_new", "PROCESSED")  # from Python, while it serves
        assert http.get("/_fake/runs/dpr_new").json()["status"] == "PROCESSED"
    assert len(fake.requests) == 1


def test_listings_over_the_transport_see_changes(fake: FakeExtend) -> None:
    with http_client(fake) as http:
        before = walk(http, maxPageSize=1000)
        run = fake.create_run("FAILED")
        fake.update_run(before[-1]["id"], "FAILED")
        after = walk(http, maxPageSize=1000)
    assert set(ids(after)[:2]) == {before[-1]["id"], run["id"]}
    assert len(after) == len(before) + 1
