"""Pydantic models of the wire format: run summaries, pages, query parameters, enums."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional, Union

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictInt
from pydantic.alias_generators import to_camel

from ._constants import MAX_PAGE_SIZE, MAX_PAGE_TOKEN_LENGTH, MIN_PAGE_SIZE
from ._enums import (
    ProcessorRunSource,
    ProcessorRunSourceLike,
    ProcessorRunStatus,
    ProcessorRunStatusLike,
    ProcessorType,
    ProcessorTypeLike,
    SortBy,
    SortByLike,
    SortDir,
    SortDirLike,
)

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "ListProcessorRunsParams",
    "ProcessorRunSource",
    "ProcessorRunSourceLike",
    "ProcessorRunStatus",
    "ProcessorRunStatusLike",
    "ProcessorRunSummary",
    "ProcessorRunsPage",
    "ProcessorType",
    "ProcessorTypeLike",
    "SortBy",
    "SortByLike",
    "SortDir",
    "SortDirLike",
    "Usage",
]


class _WireModel(BaseModel):
    """Read from camelCase wire names; keeps any field the server adds later."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
    )


class Usage(_WireModel):
    """What a run cost.

    Example:
        >>> Usage(credits=4.5).credits
        4.5
    """

    credits: float
    """Credits spent on document processing (file parsing is billed on the file)."""


class ProcessorRunSummary(_WireModel):
    """One processor run as the listing returns it: a summary, not the full run.

    ``status`` and ``type`` are enum members for the values this SDK knows; a value
    the server adds later arrives as its plain string, so ``run.status == "ARCHIVED"``
    works without an upgrade. Fields the server adds later are kept as extra
    attributes (see ``model_extra``).

    Example:
        >>> run = ProcessorRunSummary.model_validate({
        ...     "id": "dpr_1", "status": "FAILED", "processorId": "dp_1",
        ...     "processorName": "Invoices", "processorVersionId": "dpv_1",
        ...     "createdAt": "2025-11-17T22:41:05Z", "updatedAt": "2025-11-17T22:41:39Z",
        ... })
        >>> run.status is ProcessorRunStatus.FAILED, run.usage
        (True, None)
    """

    id: str
    """The run's ID, an opaque string (its prefix changed between API versions)."""
    status: Union[ProcessorRunStatus, str] = Field(union_mode="left_to_right")
    """The run's status; a plain string for a value newer than this SDK."""
    processor_id: str
    """The ID of the processor that ran."""
    processor_name: str
    """The processor's display name."""
    processor_version_id: str
    """The ID of the processor version that ran."""
    created_at: AwareDatetime
    """When the run was created (timezone-aware, UTC)."""
    updated_at: AwareDatetime
    """When the run last changed (timezone-aware, UTC)."""
    type: Optional[Union[ProcessorType, str]] = Field(default=None, union_mode="left_to_right")
    """The processor's kind, or ``None`` when the server leaves it out."""
    usage: Optional[Usage] = None
    """Credits spent, or ``None`` (runs before 7 Oct 2025 and legacy billing have none)."""

    def __repr__(self) -> str:
        from ._display import run_repr

        return run_repr(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from ._display import run_html

        return run_html(self)


class ProcessorRunsPage(_WireModel):
    """One page of a listing, exactly as one response carried it.

    Example:
        >>> page = ProcessorRunsPage.model_validate({"success": True, "processorRuns": []})
        >>> page.processor_runs, page.next_page_token
        ([], None)
    """

    success: bool
    """``True`` on every successful response."""
    processor_runs: list[ProcessorRunSummary]
    """The runs on this page, possibly none."""
    next_page_token: Optional[str] = None
    """The cursor of the next page, or ``None`` on the last page."""

    def to_pandas(self) -> pd.DataFrame:
        """This page's runs as a DataFrame, one row per run (needs the ``[pandas]`` extra).

        Columns: ``id``, ``status`` and ``type`` (categoricals: the known values, then any
        newer value the server sent; a missing ``type`` is NaN), ``processor_id``,
        ``processor_name``, ``processor_version_id``, ``created_at`` and ``updated_at``
        (``datetime64[ns, UTC]``) and ``credits`` (float, NaN without usage). There is no
        ``source`` column: run summaries do not carry one.

        Raises:
            ImportError: pandas is not installed (``pip install 'extend-runs[pandas]'``).

        Example:
            >>> page = ProcessorRunsPage.model_validate({"success": True, "processorRuns": []})
            >>> list(page.to_pandas().columns)[:3]
            ['id', 'status', 'type']
        """
        from ._dataframe import FrameBuilder

        builder = FrameBuilder()
        builder.add(self.processor_runs)
        return builder.frame()

    def to_dicts(self) -> list[dict[str, Any]]:
        """This page's runs as plain dicts with snake_case keys; needs no extra.

        Keys as the DataFrame's columns; ``status`` and ``type`` are plain strings,
        timestamps aware datetimes, and ``credits`` is flattened from ``usage`` (``None``
        when absent).

        Example:
            >>> page = ProcessorRunsPage.model_validate({"success": True, "processorRuns": []})
            >>> page.to_dicts()
            []
        """
        from ._dataframe import run_to_dict

        return [run_to_dict(run) for run in self.processor_runs]

    def __repr__(self) -> str:
        from ._display import page_repr

        return page_repr(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        """What Jupyter shows: counts by status and the first rows."""
        from ._display import page_html

        return page_html(self)


_ID = Field(default=None, min_length=1)


def _check_page_size(value: int) -> int:
    if not MIN_PAGE_SIZE <= value <= MAX_PAGE_SIZE:
        raise ValueError(
            f"max_page_size must be from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}, got {value}"
        )
    return value


class ListProcessorRunsParams(BaseModel):
    """The filters, sort and paging of one listing, validated before any request.

    Enum fields accept the member or its exact string value (``"FAILED"``, not
    ``"failed"``); anything else raises :class:`pydantic.ValidationError`, a
    :class:`ValueError`, naming the field and the allowed values.

    Example:
        >>> params = ListProcessorRunsParams(status="FAILED", max_page_size=100)
        >>> params.to_query()
        {'status': 'FAILED', 'maxPageSize': 100}
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=False,
    )

    status: Optional[ProcessorRunStatus] = None
    """Only runs in this status."""
    processor_id: Optional[str] = _ID
    """Only runs of this processor."""
    processor_type: Optional[ProcessorType] = None
    """Only runs of this kind of processor."""
    source_id: Optional[str] = _ID
    """Only runs created by this entity, such as one workflow run."""
    source: Optional[ProcessorRunSource] = None
    """Only runs started this way."""
    file_name_contains: Optional[str] = None
    """Only runs whose file name contains this text."""
    sort_by: Optional[SortBy] = None
    """The timestamp to order by; the server's default is ``updatedAt``."""
    sort_dir: Optional[SortDir] = None
    """The direction; the server's default is ``desc``."""
    max_page_size: Optional[Annotated[StrictInt, AfterValidator(_check_page_size)]] = None
    """Runs per request, 1 to 1000; the server's default is 10."""
    next_page_token: Optional[str] = Field(
        default=None, min_length=1, max_length=MAX_PAGE_TOKEN_LENGTH
    )
    """The cursor to start from: a ``next_page_token`` of an earlier listing."""

    if TYPE_CHECKING:

        def __init__(
            self,
            *,
            status: ProcessorRunStatusLike | None = None,
            processor_id: str | None = None,
            processor_type: ProcessorTypeLike | None = None,
            source_id: str | None = None,
            source: ProcessorRunSourceLike | None = None,
            file_name_contains: str | None = None,
            sort_by: SortByLike | None = None,
            sort_dir: SortDirLike | None = None,
            max_page_size: int | None = None,
            next_page_token: str | None = None,
        ) -> None: ...

    def to_query(self) -> dict[str, Any]:
        """The query parameters as sent: camelCase keys, ``None`` left out.

        Example:
            >>> ListProcessorRunsParams(sort_by="createdAt").to_query()
            {'sortBy': 'createdAt'}
        """
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
