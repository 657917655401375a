"""The enums of the wire format and the ``...Like`` aliases that accept their values.

Plain Python, no pydantic: the lowest layers (columns, display) may use them.
"""

from __future__ import annotations

import enum
from typing import Literal, Union

__all__ = [
    "ProcessorRunSource",
    "ProcessorRunSourceLike",
    "ProcessorRunStatus",
    "ProcessorRunStatusLike",
    "ProcessorType",
    "ProcessorTypeLike",
    "SortBy",
    "SortByLike",
    "SortDir",
    "SortDirLike",
]


class ProcessorRunStatus(str, enum.Enum):
    """Where a run is in its life.

    Example:
        >>> ProcessorRunStatus.FAILED == "FAILED"
        True
    """

    PENDING = "PENDING"
    """Queued, not started yet."""
    PROCESSING = "PROCESSING"
    """Running now."""
    PROCESSED = "PROCESSED"
    """Finished successfully."""
    FAILED = "FAILED"
    """Finished with an error; fetch the full run to learn why."""
    CANCELLED = "CANCELLED"
    """Stopped before it finished."""

    def __str__(self) -> str:
        return self.value


class ProcessorType(str, enum.Enum):
    """The kind of processor that ran.

    Example:
        >>> ProcessorType("SPLITTER") is ProcessorType.SPLITTER
        True
    """

    EXTRACT = "EXTRACT"
    CLASSIFY = "CLASSIFY"
    SPLITTER = "SPLITTER"

    def __str__(self) -> str:
        return self.value


class ProcessorRunSource(str, enum.Enum):
    """What started a run.

    Example:
        >>> str(ProcessorRunSource.WORKFLOW_RUN), ProcessorRunSource("API").name
        ('WORKFLOW_RUN', 'API')
    """

    ADMIN = "ADMIN"
    BATCH_PROCESSOR_RUN = "BATCH_PROCESSOR_RUN"
    PLAYGROUND = "PLAYGROUND"
    WORKFLOW_CONFIGURATION = "WORKFLOW_CONFIGURATION"
    WORKFLOW_RUN = "WORKFLOW_RUN"
    STUDIO = "STUDIO"
    API = "API"

    def __str__(self) -> str:
        return self.value


class SortBy(str, enum.Enum):
    """The timestamp a listing is ordered by (the server's default is ``updatedAt``).

    Example:
        >>> SortBy.CREATED_AT.value
        'createdAt'
    """

    UPDATED_AT = "updatedAt"
    CREATED_AT = "createdAt"

    def __str__(self) -> str:
        return self.value


class SortDir(str, enum.Enum):
    """The direction of a listing (the server's default is ``desc``, newest first).

    Example:
        >>> SortDir("asc") is SortDir.ASC, f"sorted {SortDir.DESC}"
        (True, 'sorted desc')
    """

    ASC = "asc"
    DESC = "desc"

    def __str__(self) -> str:
        return self.value


ProcessorRunStatusLike = Union[
    ProcessorRunStatus, Literal["PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED"]
]
"""A :class:`ProcessorRunStatus` member or its string value."""
ProcessorTypeLike = Union[ProcessorType, Literal["EXTRACT", "CLASSIFY", "SPLITTER"]]
"""A :class:`ProcessorType` member or its string value."""
ProcessorRunSourceLike = Union[
    ProcessorRunSource,
    Literal[
        "ADMIN",
        "BATCH_PROCESSOR_RUN",
        "PLAYGROUND",
        "WORKFLOW_CONFIGURATION",
        "WORKFLOW_RUN",
        "STUDIO",
        "API",
    ],
]
"""A :class:`ProcessorRunSource` member or its string value."""
SortByLike = Union[SortBy, Literal["updatedAt", "createdAt"]]
"""A :class:`SortBy` member or its string value."""
SortDirLike = Union[SortDir, Literal["asc", "desc"]]
"""A :class:`SortDir` member or its string value."""
