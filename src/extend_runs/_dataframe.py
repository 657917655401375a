"""Runs as plain dicts and as pandas DataFrames, built page by page.

pandas is imported only when a DataFrame is asked for, so ``import extend_runs`` never
pulls it in. A listing is converted one page at a time: each page's runs are turned into
plain column values and dropped before the next page is fetched.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Optional

from ._columns import COLUMN_NAMES, COLUMNS

Run = Any
"""A run summary, read by attribute only (this module does not import the models)."""
Page = Any
"""A page of runs, read for its ``processor_runs``."""

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]


__all__ = ["FrameBuilder", "import_pandas", "run_to_dict"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NAN = float("nan")


def import_pandas() -> Any:
    """pandas, or an :class:`ImportError` that says which extra to install."""
    try:
        import pandas  # type: ignore[import-untyped, unused-ignore]
    except ImportError as error:
        raise ImportError(
            "to_pandas() needs pandas, which is not installed: pip install 'extend-runs[pandas]'"
        ) from error
    return pandas


def run_to_dict(run: Run) -> dict[str, Any]:
    """One run as a flat dict of plain values, keyed by the run's columns in order.

    ``status`` and ``type`` are plain strings (``type`` may be ``None``), the timestamps
    aware :class:`~datetime.datetime` objects, and ``credits`` is ``usage.credits`` or
    ``None`` when the run has no usage.
    """
    return {column.name: column.value(run) for column in COLUMNS}


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
        self._columns: dict[str, list[Any]] = {name: [] for name in COLUMN_NAMES}

    def add(self, runs: Iterable[Run]) -> None:
        """Append these runs' values; the runs themselves are not kept."""
        runs = runs if isinstance(runs, list) else list(runs)
        for column in COLUMNS:
            values: Iterable[Any] = map(column.value, runs)
            if column.kind == "time":
                values = map(_epoch_ns, values)
            elif column.kind == "number":
                values = (_NAN if value is None else value for value in values)
            self._columns[column.name].extend(values)

    def add_pages(self, pages: Iterable[Page]) -> FrameBuilder:
        for page in pages:
            self.add(page.processor_runs)
        return self

    async def add_async_pages(self, pages: AsyncIterable[Page]) -> FrameBuilder:
        async for page in pages:
            self.add(page.processor_runs)
        return self

    def frame(self) -> pd.DataFrame:
        """The DataFrame: categorical status and type, UTC timestamps, float credits."""
        pd = import_pandas()
        import numpy  # a dependency of pandas

        data: dict[str, Any] = {}
        for column in COLUMNS:
            values = self._columns[column.name]
            if column.kind == "category":
                data[column.name] = pd.Categorical(
                    values, categories=_categories(column.categories, values)
                )
            elif column.kind == "time":
                # From integer nanoseconds so the dtype is datetime64[ns, UTC] on every pandas.
                data[column.name] = pd.to_datetime(
                    numpy.asarray(values, dtype="int64"), unit="ns", utc=True
                )
            elif column.kind == "number":
                data[column.name] = numpy.asarray(values, dtype="float64")
            else:
                data[column.name] = values
        frame = pd.DataFrame({name: pd.Series(values) for name, values in data.items()})
        for column in COLUMNS:
            if column.kind == "text" and not self._columns[column.name]:
                # An empty list would give float64; keep an empty listing's dtypes stable.
                frame[column.name] = frame[column.name].astype(pd.Series(["x"]).dtype)
        return frame
