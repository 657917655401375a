"""Runs as plain dicts and as pandas DataFrames, built page by page.

pandas is imported only when a DataFrame is asked for, so ``import extend_runs`` never
pulls it in. A listing is converted one page at a time: each page's runs are turned into
plain column values and dropped before the next page is fetched.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Optional

from ._models import ProcessorRunStatus, ProcessorType

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    from ._models import ProcessorRunsPage, ProcessorRunSummary

__all__ = ["COLUMNS", "FrameBuilder", "import_pandas", "run_to_dict"]

COLUMNS = (
    "id",
    "status",
    "type",
    "processor_id",
    "processor_name",
    "processor_version_id",
    "created_at",
    "updated_at",
    "credits",
)
"""The keys of :func:`run_to_dict` and the columns of every DataFrame, in order.

There is no ``source`` column: the run summary does not carry it (``source`` is a filter of
the listing, not a field of its runs).
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def import_pandas() -> Any:
    """pandas, or an :class:`ImportError` that says which extra to install."""
    try:
        import pandas  # type: ignore[import-untyped, unused-ignore]
    except ImportError as error:
        raise ImportError(
            "to_pandas() needs pandas, which is not installed: pip install 'extend-runs[pandas]'"
        ) from error
    return pandas


def run_to_dict(run: ProcessorRunSummary) -> dict[str, Any]:
    """One run as a flat dict of plain values, keyed by :data:`COLUMNS`.

    ``status`` and ``type`` are plain strings (``type`` may be ``None``), the timestamps
    aware :class:`~datetime.datetime` objects, and ``credits`` is ``usage.credits`` or
    ``None`` when the run has no usage.
    """
    return {
        "id": run.id,
        "status": str(run.status),
        "type": None if run.type is None else str(run.type),
        "processor_id": run.processor_id,
        "processor_name": run.processor_name,
        "processor_version_id": run.processor_version_id,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "credits": None if run.usage is None else run.usage.credits,
    }


def _epoch_ns(moment: datetime) -> int:
    """Nanoseconds since the Unix epoch, exactly (no float rounding)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _categories(known: Iterable[str], values: Iterable[Optional[str]]) -> list[str]:
    """The enum's values in their declared order, then any newer value the server sent."""
    categories = list(known)
    seen = set(categories)
    for value in values:
        if value is not None and value not in seen:
            seen.add(value)
            categories.append(value)
    return categories


class FrameBuilder:
    """Collects runs into plain columns, page by page, and makes one DataFrame at the end."""

    def __init__(self) -> None:
        self._columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}

    def add(self, runs: Iterable[ProcessorRunSummary]) -> None:
        """Append these runs' values; the runs themselves are not kept."""
        columns = self._columns
        for run in runs:
            columns["id"].append(run.id)
            columns["status"].append(str(run.status))
            columns["type"].append(None if run.type is None else str(run.type))
            columns["processor_id"].append(run.processor_id)
            columns["processor_name"].append(run.processor_name)
            columns["processor_version_id"].append(run.processor_version_id)
            columns["created_at"].append(_epoch_ns(run.created_at))
            columns["updated_at"].append(_epoch_ns(run.updated_at))
            columns["credits"].append(float("nan") if run.usage is None else run.usage.credits)

    def add_pages(self, pages: Iterable[ProcessorRunsPage]) -> FrameBuilder:
        for page in pages:
            self.add(page.processor_runs)
        return self

    async def add_async_pages(self, pages: AsyncIterable[ProcessorRunsPage]) -> FrameBuilder:
        async for page in pages:
            self.add(page.processor_runs)
        return self

    def frame(self) -> pd.DataFrame:
        """The DataFrame: categorical status and type, UTC timestamps, float credits."""
        pd = import_pandas()
        import numpy  # a dependency of pandas

        columns = self._columns

        def category(name: str, known: Iterable[str]) -> Any:
            values = columns[name]
            return pd.Categorical(values, categories=_categories(known, values))

        def timestamps(name: str) -> Any:
            # From integer nanoseconds so the dtype is datetime64[ns, UTC] on every pandas.
            return pd.to_datetime(numpy.asarray(columns[name], dtype="int64"), unit="ns", utc=True)

        data = {
            "id": columns["id"],
            "status": category("status", (member.value for member in ProcessorRunStatus)),
            "type": category("type", (member.value for member in ProcessorType)),
            "processor_id": columns["processor_id"],
            "processor_name": columns["processor_name"],
            "processor_version_id": columns["processor_version_id"],
            "created_at": timestamps("created_at"),
            "updated_at": timestamps("updated_at"),
            "credits": numpy.asarray(columns["credits"], dtype="float64"),
        }
        frame = pd.DataFrame({name: pd.Series(values) for name, values in data.items()})
        for name in ("id", "processor_id", "processor_name", "processor_version_id"):
            if not columns[name]:
                # An empty list would give float64; keep an empty listing's dtypes stable.
                frame[name] = frame[name].astype(pd.Series(["x"]).dtype)
        return frame
