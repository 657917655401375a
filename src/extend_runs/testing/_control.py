"""The fake's control interface: create, read and change runs over HTTP while it serves.

``POST /_fake/runs`` creates a run, ``GET /_fake/runs/{id}`` reads one and
``PATCH /_fake/runs/{id}`` changes its status and moves its ``updatedAt`` forward. These
paths belong to the fake, not to Extend's API: they need no API key, are not recorded,
and faults, latency and the rate limit leave them alone.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

from ._data import parse_timestamp
from ._store import RunNotFound, RunStore

CONTROL_PREFIX = "/_fake/"
"""Paths under this prefix are the control interface."""

_RUNS = "/_fake/runs"


class ControlError(Exception):
    """A control request the fake refuses: the status, Extend-style code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def control(
    store: RunStore, method: str, path: str, body: bytes, internal: bool
) -> Tuple[int, Dict[str, Any]]:
    """Answer one control request: the status and the run, as served, as a dict."""
    path = path.rstrip("/")
    method = method.upper()
    if path == _RUNS:
        if method != "POST":
            raise ControlError(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here.")
        try:
            return 201, store.create(_json_object(body), internal)
        except ValueError as error:
            raise ControlError(400, "INVALID_REQUEST", str(error)) from None
    if not path.startswith(_RUNS + "/"):
        raise ControlError(404, "NOT_FOUND", f"No route for {path}.")
    run_id = path[len(_RUNS) + 1 :]
    try:
        if method == "GET":
            return 200, store.wire(run_id, internal)
        if method != "PATCH":
            raise ControlError(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here.")
        fields = _json_object(body)
        unknown = sorted(set(fields) - {"status", "updatedAt"})
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; send status, updatedAt")
        updated_ms = _timestamp(fields.get("updatedAt"))
        return 200, store.update(run_id, fields.get("status"), updated_ms, internal)
    except RunNotFound:
        raise ControlError(404, "NOT_FOUND", f"No run has the id {run_id!r}.") from None
    except ValueError as error:
        raise ControlError(400, "INVALID_REQUEST", str(error)) from None


def _json_object(body: bytes) -> Dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def _timestamp(value: Optional[Any]) -> Optional[int]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("updatedAt must be an RFC 3339 timestamp string")
    try:
        return parse_timestamp(value)
    except ValueError:
        raise ValueError(f"updatedAt is not an RFC 3339 timestamp: {value!r}") from None
