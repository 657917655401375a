"""The fake's runs, with the sorted and filtered listings it serves pages from.

Each distinct set of filters is computed once (a scan of the sorted runs) and cached, so
walking a listing of a million runs costs a slice per page, not a scan per page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ._data import RunTable

_CACHED_LISTINGS = 64


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
    """Thread-safe holder of a ``RunTable`` that answers pages of listings."""

    def __init__(self, table: RunTable) -> None:
        self._table = table
        self._lock = threading.Lock()
        self._orders: Dict[str, List[int]] = {}
        self._listings: OrderedDict[Tuple[Filters, str], List[int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._table)

    @property
    def table(self) -> RunTable:
        """The runs, column by column."""
        return self._table

    def add(self, table: RunTable) -> None:
        """Add runs; listings are recomputed on their next use."""
        with self._lock:
            self._table.extend(table)
            self._orders.clear()
            self._listings.clear()

    def listing(self, filters: Filters, sort_by: str) -> List[int]:
        """Indices of the runs matching ``filters``, ascending by ``sort_by`` then id."""
        with self._lock:
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

    def page(
        self, filters: Filters, sort_by: str, sort_dir: str, offset: int, size: int
    ) -> Tuple[List[int], bool]:
        """The indices of one page, and whether more runs follow it."""
        listing = self.listing(filters, sort_by)
        total = len(listing)
        if sort_dir == "asc":
            chosen = listing[offset : offset + size]
        else:
            end = max(total - offset, 0)
            chosen = listing[max(end - size, 0) : end][::-1]
        return chosen, offset + size < total

    def _order(self, sort_by: str) -> List[int]:
        order = self._orders.get(sort_by)
        if order is None:
            table = self._table
            keys = table.created_ms if sort_by == "createdAt" else table.updated_ms
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
        return result
