"""The fake's runs, with the sorted and filtered listings it serves pages from.

Each distinct set of filters is computed once (a scan of the sorted runs) and cached, so
walking a listing of a million runs costs a slice per page, not a scan per page. Runs
created or changed one at a time are moved into place in every cached listing (a binary
search and a list insert each), so a fake that changes while it serves stays fast.
"""

from __future__ import annotations

import json
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ._data import PROCESSOR_TYPES, SOURCES, STATUSES, RunTable, _id_block, format_ms

_CACHED_LISTINGS = 64

CREATE_FIELDS = (
    "id",
    "status",
    "processorId",
    "processorName",
    "processorVersionId",
    "type",
    "source",
    "sourceId",
    "fileName",
)
"""The camelCase fields a new run may be given; the fake fills in the others."""

DEFAULT_PROCESSOR = {
    "processorId": "dp_fake_invoices",
    "processorName": "Invoice Extractor",
    "processorVersionId": "dpv_fake_invoices",
    "type": "EXTRACT",
}
"""The processor of a created run when none is named."""


class RunNotFound(KeyError):
    """No run has the given id."""


@dataclass(frozen=True)
class Filters:
    """The filters of a listing, in wire values; ``None`` means "not filtered"."""

    status: Optional[str] = None
    processor_id: Optional[str] = None
    processor_type: Optional[str] = None
    source_id: Optional[str] = None
    source: Optional[str] = None
    file_name_contains: Optional[str] = None


class RunStore:
    """Thread-safe holder of a ``RunTable`` that answers pages of listings and takes writes.

    ``clock`` gives the fake's time in Unix milliseconds; ``seed`` seeds new runs' ids.
    """

    def __init__(self, table: RunTable, clock: Callable[[], int], seed: int = 0) -> None:
        self._table = table
        self._clock = clock
        self._lock = threading.Lock()
        self._orders: Dict[str, List[int]] = {}
        self._listings: OrderedDict[Tuple[Filters, str], List[int]] = OrderedDict()
        self._rows: Optional[Dict[str, int]] = None
        self._newest_ms: Optional[int] = None
        self._new_ids = random.Random(f"created-runs-{seed}")

    def __len__(self) -> int:
        return len(self._table)

    @property
    def table(self) -> RunTable:
        """The runs, column by column."""
        return self._table

    # -- reads --------------------------------------------------------------

    def listing(self, filters: Filters, sort_by: str) -> List[int]:
        """Indices of the runs matching ``filters``, ascending by ``sort_by`` then id.

        The list is the cached one: read it only while holding no other expectation than
        a snapshot (``wire_listing`` copies under the lock).
        """
        with self._lock:
            return self._listing(filters, sort_by)

    def wire_listing(
        self, filters: Filters, sort_by: str, sort_dir: str, internal: bool
    ) -> List[Dict[str, Any]]:
        """Every run of a listing, in order, as wire dicts."""
        with self._lock:
            indices = self._listing(filters, sort_by)
            ordered = indices if sort_dir == "asc" else indices[::-1]
            return [self._table.wire(index, internal) for index in ordered]

    def wire(self, run_id: str, internal: bool = False) -> Dict[str, Any]:
        """The run with id ``run_id`` as a wire dict; ``RunNotFound`` if there is none."""
        with self._lock:
            return self._table.wire(self._row(run_id), internal)

    def page(
        self,
        filters: Filters,
        sort_by: str,
        sort_dir: str,
        after: Optional[Tuple[int, int]],
        size: int,
        render: Callable[[int], bytes],
    ) -> Tuple[List[bytes], Optional[Tuple[int, int]]]:
        """One page: the served JSON of its runs, and the key of its last run if more follow.

        ``after`` is the ``(sort_ms, row)`` of the last run already served (``None`` for the
        first page): the page holds the runs that come after that key in the listing's
        order, wherever that run is now. The key returned is ``(sort_ms, row)`` too.
        """
        with self._lock:
            listing = self._listing(filters, sort_by)
            column = _column(self._table, sort_by)
            if sort_dir == "asc":
                start = 0 if after is None else self._bisect_key(listing, column, after, False)
                chosen = listing[start : start + size]
                more = start + size < len(listing)
            else:
                end = len(listing)
                if after is not None:
                    end = self._bisect_key(listing, column, after, True)
                chosen = listing[max(end - size, 0) : end][::-1]
                more = end > size
            last = (column[chosen[-1]], chosen[-1]) if more and chosen else None
            return [render(index) for index in chosen], last

    def position(
        self, filters: Filters, sort_by: str, sort_dir: str, after: Optional[Tuple[int, int]]
    ) -> int:
        """How many runs of the listing come before the point ``after`` (see ``page``)."""
        if after is None:
            return 0
        with self._lock:
            listing = self._listing(filters, sort_by)
            column = _column(self._table, sort_by)
            if sort_dir == "asc":
                return self._bisect_key(listing, column, after, False)
            return len(listing) - self._bisect_key(listing, column, after, True)

    def has_row(self, row: int) -> bool:
        """Whether ``row`` names a run (rows are never removed)."""
        return 0 <= row < len(self._table)

    # -- writes -------------------------------------------------------------

    def add(self, table: RunTable) -> None:
        """Add runs in bulk; listings are recomputed on their next use."""
        with self._lock:
            self._table.extend(table)
            self._orders.clear()
            self._listings.clear()
            self._rows = None
            if self._newest_ms is not None and len(table):
                self._newest_ms = max(self._newest_ms, max(table.updated_ms))

    def create(self, fields: Mapping[str, Any], internal: bool = False) -> Dict[str, Any]:
        """Add one run made from ``fields`` (see ``CREATE_FIELDS``), stamped now.

        Returns the new run as a wire dict (with the internal fields if ``internal``).
        """
        unknown = sorted(set(fields) - set(CREATE_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown run field(s) {', '.join(unknown)}; a new run takes "
                f"{', '.join(CREATE_FIELDS)}"
            )
        status = fields.get("status") or "PENDING"
        _check_choice("status", status, STATUSES)
        _check_choice("type", fields.get("type"), PROCESSOR_TYPES, optional=True)
        _check_choice("source", fields.get("source"), SOURCES, optional=True)
        for name in CREATE_FIELDS[2:]:
            value = fields.get(name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{name} must be a non-empty string")
        with self._lock:
            rows = self._id_rows()
            run_id = fields.get("id")
            if run_id is None:
                run_id = "dpr_" + _id_block(self._new_ids, 1)[0]
                while run_id in rows:
                    run_id = "dpr_" + _id_block(self._new_ids, 1)[0]
            elif not isinstance(run_id, str) or not run_id:
                raise ValueError("id must be a non-empty string")
            elif run_id in rows:
                raise ValueError(f"a run with id {run_id!r} already exists")
            wire = self._processor_of(fields)
            stamp = self._stamp()
            body: Dict[str, Any] = {
                "id": run_id,
                "status": status,
                "processorId": wire["processorId"],
                "processorName": wire["processorName"],
                "processorVersionId": wire["processorVersionId"],
            }
            if wire.get("type") is not None:
                body["type"] = wire["type"]
            body["createdAt"] = body["updatedAt"] = _format(stamp)
            new = RunTable()
            new.add(
                id=run_id,
                status=status,
                processor_id=body["processorId"],
                type=body.get("type"),
                source=fields.get("source"),
                source_id=fields.get("sourceId"),
                file_name=fields.get("fileName"),
                created_ms=stamp,
                updated_ms=stamp,
                body=_dumps(body),
            )
            row = len(self._table)
            self._table.extend(new)
            rows[run_id] = row
            self._newest_ms = stamp
            for sort_by, order in self._orders.items():
                self._insert(order, sort_by, row)
            for (filters, sort_by), listing in self._listings.items():
                if self._matches(row, filters):
                    self._insert(listing, sort_by, row)
            return self._table.wire(row, internal)

    def update(
        self,
        run_id: str,
        status: Optional[str] = None,
        updated_ms: Optional[int] = None,
        internal: bool = False,
    ) -> Dict[str, Any]:
        """Change a run's status (if given) and move its ``updatedAt`` forward.

        Returns the changed run as a wire dict; ``RunNotFound`` for an unknown id.
        ``updated_ms`` defaults to the fake's clock, but never earlier than the newest
        ``updatedAt`` held, and always later than the run's own; given, it must be later
        than the run's ``updatedAt``.
        """
        if status is not None:
            _check_choice("status", status, STATUSES)
        with self._lock:
            row = self._row(run_id)
            table = self._table
            old_ms, old_status = table.updated_ms[row], table.statuses[row]
            if updated_ms is None:
                updated_ms = max(self._stamp(), old_ms + 1)
            elif updated_ms <= old_ms:
                raise ValueError(
                    f"updatedAt must be later than the run's current {_format(old_ms)}"
                )
            new_status = old_status if status is None else status
            # Out of every sorted list with the old values, back in with the new ones.
            lists: List[Tuple[List[int], str, Optional[Filters]]]
            lists = [(order, sort_by, None) for sort_by, order in self._orders.items()]
            lists += [(lst, key[1], key[0]) for key, lst in self._listings.items()]
            back: List[Tuple[List[int], str]] = []
            for listing, sort_by, filters in lists:
                was = filters is None or self._matches(row, filters)
                stays = filters is None or self._matches(row, filters, new_status)
                if was and (sort_by == "updatedAt" or not stays):
                    self._remove(listing, sort_by, row)
                if stays and (sort_by == "updatedAt" or not was):
                    back.append((listing, sort_by))
            table.change(row, new_status, updated_ms)
            self._newest_ms = max(self._newest(), updated_ms)
            for listing, sort_by in back:
                self._insert(listing, sort_by, row)
            return table.wire(row, internal)

    # -- inside the lock ----------------------------------------------------

    def _listing(self, filters: Filters, sort_by: str) -> List[int]:
        key = (filters, sort_by)
        found = self._listings.get(key)
        if found is not None:
            self._listings.move_to_end(key)
            return found
        found = self._filter(self._order(sort_by), filters)
        self._listings[key] = found
        if len(self._listings) > _CACHED_LISTINGS:
            self._listings.popitem(last=False)
        return found

    def _order(self, sort_by: str) -> List[int]:
        order = self._orders.get(sort_by)
        if order is None:
            table = self._table
            keys = _column(table, sort_by)
            # Two stable sorts: by id, then by time, give (time, id) order without tuples.
            order = sorted(range(len(table)), key=table.ids.__getitem__)
            order.sort(key=keys.__getitem__)
            self._orders[sort_by] = order
        return order

    def _filter(self, order: List[int], filters: Filters) -> List[int]:
        table = self._table
        result = order
        for column, wanted in (
            (table.statuses, filters.status),
            (table.processor_ids, filters.processor_id),
            (table.types, filters.processor_type),
            (table.source_ids, filters.source_id),
            (table.sources, filters.source),
        ):
            if wanted is not None:
                result = [index for index in result if column[index] == wanted]
        if filters.file_name_contains is not None:
            needle = filters.file_name_contains.lower()
            names = table.file_names
            result = [index for index in result if needle in (names[index] or "").lower()]
        # A new list even without filters: the cached listing is changed in place.
        return result if result is not order else list(order)

    def _matches(self, row: int, filters: Filters, status: Optional[str] = None) -> bool:
        table = self._table
        if filters.status is not None and filters.status != (status or table.statuses[row]):
            return False
        for column, wanted in (
            (table.processor_ids, filters.processor_id),
            (table.types, filters.processor_type),
            (table.source_ids, filters.source_id),
            (table.sources, filters.source),
        ):
            if wanted is not None and column[row] != wanted:
                return False
        if filters.file_name_contains is not None:
            name = table.file_names[row] or ""
            return filters.file_name_contains.lower() in name.lower()
        return True

    def _insert(self, listing: List[int], sort_by: str, row: int) -> None:
        column = _column(self._table, sort_by)
        listing.insert(self._bisect(listing, column, column[row], self._table.ids[row]), row)

    def _remove(self, listing: List[int], sort_by: str, row: int) -> None:
        column = _column(self._table, sort_by)
        position = self._bisect(listing, column, column[row], self._table.ids[row], left=True)
        while position < len(listing) and listing[position] != row:
            position += 1  # past other runs that share this run's id and time
        if position < len(listing):
            del listing[position]
        else:  # pragma: no cover - only if the listing was out of order
            listing.remove(row)

    def _bisect(
        self, listing: List[int], column: List[int], ms: int, run_id: str, left: bool = False
    ) -> int:
        """Where ``(ms, run_id)`` goes in ``listing``: before equal keys if ``left``."""
        ids = self._table.ids
        low, high = 0, len(listing)
        while low < high:
            middle = (low + high) // 2
            row = listing[middle]
            other = column[row]
            if other < ms or (
                other == ms and (ids[row] < run_id or (not left and ids[row] == run_id))
            ):
                low = middle + 1
            else:
                high = middle
        return low

    def _bisect_key(
        self, listing: List[int], column: List[int], key: Tuple[int, int], left: bool
    ) -> int:
        return self._bisect(listing, column, key[0], self._table.ids[key[1]], left)

    def _id_rows(self) -> Dict[str, int]:
        if self._rows is None:
            self._rows = {run_id: row for row, run_id in enumerate(self._table.ids)}
        return self._rows

    def _row(self, run_id: str) -> int:
        row = self._id_rows().get(run_id)
        if row is None:
            raise RunNotFound(run_id)
        return row

    def _newest(self) -> int:
        if self._newest_ms is None:
            self._newest_ms = max(self._table.updated_ms, default=0)
        return self._newest_ms

    def _stamp(self) -> int:
        # The fake's time never runs backwards: a change is never stamped before the newest
        # updatedAt it holds, so it always sorts first in a listing by updatedAt desc.
        return max(self._clock(), self._newest())

    def _processor_of(self, fields: Mapping[str, Any]) -> Dict[str, Any]:
        """The processor fields of a new run: as given, else those of a run of the same
        processor, else ``DEFAULT_PROCESSOR``."""
        processor_id = fields.get("processorId")
        known: Dict[str, Any] = dict(DEFAULT_PROCESSOR)
        if processor_id is not None:
            known["processorId"] = processor_id
            known["processorVersionId"] = "dpv_" + processor_id.split("_", 1)[-1]
            table = self._table
            if processor_id in table.processor_ids:
                wire = table.wire(table.processor_ids.index(processor_id))
                known.update({name: wire.get(name) for name in DEFAULT_PROCESSOR})
        for name in DEFAULT_PROCESSOR:
            if fields.get(name) is not None:
                known[name] = fields[name]
        return known


def _column(table: RunTable, sort_by: str) -> List[int]:
    return table.created_ms if sort_by == "createdAt" else table.updated_ms


def _check_choice(name: str, value: Any, allowed: Tuple[str, ...], optional: bool = False) -> None:
    if value is None and optional:
        return
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _format(ms: int) -> str:
    return format_ms(ms, ms % 1000 != 0)


def _dumps(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
