"""A small in-memory listing server for MockTransport: filters, sorts and pages like the API."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests.conftest import json_response

STATUSES = ["PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"]
TYPES = ["EXTRACT", "CLASSIFY", "SPLITTER"]
SOURCES = ["ADMIN", "BATCH_PROCESSOR_RUN", "PLAYGROUND", "WORKFLOW_CONFIGURATION", "WORKFLOW_RUN"]
SOURCES += ["STUDIO", "API"]
FILTERS = {"status": "status", "processorType": "type", "source": "source"}


def make_runs(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Runs with every enum value, and timestamps that often tie (to test the tie-break)."""
    rng = random.Random(seed)
    start = datetime(2025, 10, 1, tzinfo=timezone.utc)
    runs = []
    for index in range(count):
        created = start + timedelta(seconds=rng.randrange(count // 3 + 1))
        updated = created + timedelta(seconds=rng.randrange(3))
        runs.append(
            {
                "id": f"dpr_{rng.randrange(10**9):09d}_{index}",
                "status": rng.choice(STATUSES),
                "processorId": "dp_1",
                "processorName": "Invoices",
                "processorVersionId": "dpv_1",
                "type": rng.choice(TYPES),
                "source": rng.choice(SOURCES),
                "createdAt": created.isoformat().replace("+00:00", "Z"),
                "updatedAt": updated.isoformat().replace("+00:00", "Z"),
            }
        )
    return runs


class ListingServer:
    """Serves ``runs`` filtered and sorted as the API does; ties broken on the run ID.

    ``fail`` maps a request number (1-based) to a response served instead, once.
    """

    def __init__(self, runs: list[dict[str, Any]], fail: dict[int, httpx.Response] | None = None):
        self.runs = runs
        self.fail = dict(fail or {})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self.fail.pop(len(self.requests), None)
        if fault is not None:
            return fault
        params = request.url.params
        runs = [
            run
            for run in self.runs
            if all(run[field] == params[name] for name, field in FILTERS.items() if name in params)
        ]
        by = params.get("sortBy", "updatedAt")
        runs.sort(key=lambda run: (run[by], run["id"]), reverse=params.get("sortDir") != "asc")
        start = int(params.get("nextPageToken", "p:0").split(":")[1])
        size = int(params.get("maxPageSize", "10"))
        body: dict[str, Any] = {"success": True, "processorRuns": runs[start : start + size]}
        if start + size < len(runs):
            body["nextPageToken"] = f"p+/=:{start + size}"
        return json_response(200, body)
