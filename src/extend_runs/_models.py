"""Pydantic models of the wire format: run summaries, pages, query parameters, enums."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any, Mapping, Optional, Union

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

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
    import httpx
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

    _headers: Optional[httpx.Headers] = PrivateAttr(default=None)
    _waited: Optional[float] = PrivateAttr(default=None)

    @property
    def request_id(self) -> Optional[str]:
        """The ``x-extend-request-id`` of the response that carried this page, if any.

        Quote it to Extend's support. ``None`` for a page not fetched by a client.
        Not a field: ``model_dump()`` leaves it out.

        Example:
            >>> from extend_runs import Client
            >>> with Client() as client:
            ...     page = client.list_processor_runs_page(max_page_size=1)
            >>> page.request_id.startswith("req_"), "request_id" in page.model_dump()
            (True, False)
        """
        return None if self._headers is None else self._headers.get("x-extend-request-id")

    @property
    def headers(self) -> Mapping[str, str]:
        """The headers of the response that carried this page (case-insensitive).

        Empty for a page not fetched by a client. Not a field: ``model_dump()`` leaves it out.

        Example:
            >>> from extend_runs import Client
            >>> with Client() as client:
            ...     page = client.list_processor_runs_page(max_page_size=1)
            >>> page.headers["Content-Type"]
            'application/json'
        """
        return {} if self._headers is None else self._headers

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


def received(
    page: ProcessorRunsPage, headers: httpx.Headers, waited: Optional[float] = None
) -> ProcessorRunsPage:
    """Note on ``page`` the headers of the response that carried it (see ``request_id``)
    and the seconds spent getting it off the network, parsing excluded."""
    page._headers = headers
    page._waited = waited
    return page


def network_wait(page: ProcessorRunsPage) -> Optional[float]:
    """Seconds from asking for ``page`` to having its body (backoff and pacing included,
    parsing not); ``None`` for a page a client did not fetch."""
    return page._waited


_ID = Field(default=None, min_length=1)


def _check_page_size(value: int) -> int:
    if not MIN_PAGE_SIZE <= value <= MAX_PAGE_SIZE:
        raise ValueError("out of range")  # described by InvalidParameterError
    return value


class ListProcessorRunsParams(BaseModel):
    """The filters, sort and paging of one listing, validated before any request.

    Enum fields accept the member or its exact string value (``"FAILED"``, not
    ``"failed"``); anything else raises a :class:`ValueError` (a
    :class:`pydantic.ValidationError`) whose message names the parameter and what it
    allows.

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

    else:

        def __init__(self, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as error:
                raise InvalidParameterError.of(error) from None

    def to_query(self) -> dict[str, Any]:
        """The query parameters as sent: camelCase keys, ``None`` left out.

        Example:
            >>> ListProcessorRunsParams(sort_by="createdAt").to_query()
            {'sortBy': 'createdAt'}
        """
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


_ENUMS: dict[str, type[enum.Enum]] = {
    "status": ProcessorRunStatus,
    "processor_type": ProcessorType,
    "source": ProcessorRunSource,
    "sort_by": SortBy,
    "sort_dir": SortDir,
}
_ALIASES = {to_camel(name): name for name in ListProcessorRunsParams.model_fields}
_MAX_SHOWN_CHARS = 60


class InvalidParameterError(ValidationError):
    """A listing parameter outside what the API allows, explained in plain words.

    A :class:`ValueError` (and a :class:`pydantic.ValidationError`, so code catching
    either keeps working) whose message names each parameter at fault and what it takes.

    Example:
        >>> try:
        ...     ListProcessorRunsParams(status="failed")
        ... except ValueError as error:
        ...     print(error)
        status must be one of 'PENDING', 'PROCESSING', 'PROCESSED', 'FAILED', 'CANCELLED', \
got 'failed' (values are case-sensitive: did you mean 'FAILED'?)
    """

    @classmethod
    def of(cls, error: ValidationError) -> InvalidParameterError:
        """The same problems as ``error``, each described in this SDK's words."""
        details: list[InitErrorDetails] = []
        for problem in error.errors(include_url=False):
            given = str(problem["loc"][0]) if problem["loc"] else "params"
            name = _ALIASES.get(given, given)
            value = problem.get("input")
            message = _describe(name, value, problem["type"])
            kind = PydanticCustomError("invalid_parameter", "{message}", {"message": message})
            details.append(InitErrorDetails(type=kind, loc=(name,), input=value))
        return cls.from_exception_data(error.title, details)

    def __str__(self) -> str:
        return "; ".join(str(problem["msg"]) for problem in self.errors(include_url=False))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN_CHARS else text[: _MAX_SHOWN_CHARS - 3] + "..."


def _describe(name: str, value: object, kind: str) -> str:
    """One problem with one parameter: what it takes, and what it got."""
    got = f"got {_shown(value)}"
    if kind == "extra_forbidden":
        known = ", ".join(ListProcessorRunsParams.model_fields)
        return f"{name!r} is not a listing parameter; the parameters are {known}"
    enum_class = _ENUMS.get(name)
    if enum_class is not None:
        values = [member.value for member in enum_class]
        text = f"{name} must be one of {', '.join(map(repr, values))}, {got}"
        if isinstance(value, str):
            close = [each for each in values if each.lower() == value.lower()]
            if close:
                text += f" (values are case-sensitive: did you mean {close[0]!r}?)"
        return text
    if name == "max_page_size":
        return (
            f"max_page_size must be a whole number from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE} "
            f"(runs per request), {got}"
        )
    if name == "next_page_token":
        return (
            f"next_page_token must be a non-empty string of at most {MAX_PAGE_TOKEN_LENGTH} "
            f"characters (a next_page_token the server returned), {got}"
        )
    if name in ("processor_id", "source_id"):
        return f"{name} must be a non-empty string, {got}"
    if name == "file_name_contains":
        return f"file_name_contains must be a string, {got}"
    return f"{name} has a value the API does not allow, {got}"
