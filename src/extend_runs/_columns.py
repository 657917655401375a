"""The columns of a run, defined once: the keys of ``to_dicts()``, the columns of
``to_pandas()`` and of the CLI's CSV, and the cells of the notebook tables.

Each column says how to read its plain value from a run and what kind of value it is; each
output formats the kinds its own way. Runs are read by attribute only, so this module needs
neither pydantic nor the models.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, NamedTuple

from ._enums import ProcessorRunStatus, ProcessorType

__all__ = ["COLUMNS", "COLUMN_NAMES", "Column"]


def _text_of(name: str) -> Callable[[Any], Any]:
    get = attrgetter(name)

    def text(run: Any) -> Any:
        value = get(run)
        return None if value is None else str(value)

    return text


def _credits(run: Any) -> Any:
    usage = run.usage
    return None if usage is None else usage.credits


class Column(NamedTuple):
    """One column: its name, how to read its plain value, and the kind of that value."""

    name: str
    value: Callable[[Any], Any]
    """The plain value from a run: ``str``, ``None``, an aware ``datetime`` or a ``float``."""
    kind: str
    """``"text"``, ``"category"`` (text from a known set, or ``None``), ``"time"`` or
    ``"number"`` (``None`` when absent)."""
    categories: tuple[str, ...] = ()
    """For a ``"category"`` column, the known values in their declared order."""


COLUMNS: tuple[Column, ...] = (
    Column("id", attrgetter("id"), "text"),
    Column("status", _text_of("status"), "category", tuple(m.value for m in ProcessorRunStatus)),
    Column("type", _text_of("type"), "category", tuple(m.value for m in ProcessorType)),
    Column("processor_id", attrgetter("processor_id"), "text"),
    Column("processor_name", attrgetter("processor_name"), "text"),
    Column("processor_version_id", attrgetter("processor_version_id"), "text"),
    Column("created_at", attrgetter("created_at"), "time"),
    Column("updated_at", attrgetter("updated_at"), "time"),
    Column("credits", _credits, "number"),
)
"""Every column of a run, in order. There is no ``source`` column: a run summary does
not carry one (``source`` is a filter of the listing, not a field of its runs)."""

COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
"""The names of :data:`COLUMNS`, in order."""
