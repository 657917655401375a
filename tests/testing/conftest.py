"""Helpers for the fake's tests: an httpx client on the fake, sending what a good client sends."""

from __future__ import annotations

from typing import Any, Iterator

import httpx
import pytest

from extend_runs.testing import FakeExtend


def get(http: httpx.Client, **params: Any) -> httpx.Response:
    """``GET /processor_runs`` with ``params`` (None values left out)."""
    return http.get("/processor_runs", params={k: v for k, v in params.items() if v is not None})


def walk(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    """Every run of a listing, following cursors."""
    runs: list[dict[str, Any]] = []
    token = None
    while True:
        body = get(http, nextPageToken=token, **params).json()
        runs.extend(body["processorRuns"])
        token = body.get("nextPageToken")
        if not token:
            return runs


def http_client(fake: FakeExtend) -> httpx.Client:
    return httpx.Client(
        transport=fake.transport(), base_url=fake.base_url, headers=fake.auth_headers()
    )


@pytest.fixture
def fake() -> FakeExtend:
    return FakeExtend(300, seed=11)


@pytest.fixture
def http(fake: FakeExtend) -> Iterator[httpx.Client]:
    with http_client(fake) as client:
        yield client
