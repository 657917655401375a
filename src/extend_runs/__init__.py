"""extend-runs: a typed Python client for Extend's List Processor Runs API.

Example:
    >>> from extend_runs import Client
    >>> with Client(api_key="sk-test") as client:
    ...     pager = client.list_processor_runs(status="FAILED", limit=10)
"""

from typing import TYPE_CHECKING, Any

from ._client import AsyncClient, Client
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    EventLoopClosedError,
    ExtendError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from ._pagination import AsyncProcessorRunPager, ProcessorRunPager
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__
from ._watch import AsyncProcessorRunWatcher, ProcessorRunWatcher

if TYPE_CHECKING:
    from ._models import (
        ListProcessorRunsParams,
        ProcessorRunSource,
        ProcessorRunsPage,
        ProcessorRunStatus,
        ProcessorRunSummary,
        ProcessorType,
        SortBy,
        SortDir,
        Usage,
    )

_MODELS = frozenset(
    {
        "ListProcessorRunsParams",
        "ProcessorRunSource",
        "ProcessorRunsPage",
        "ProcessorRunStatus",
        "ProcessorRunSummary",
        "ProcessorType",
        "SortBy",
        "SortDir",
        "Usage",
    }
)


def __getattr__(name: str) -> Any:
    # The models (and pydantic under them) load on first use: importing the package and
    # building a client stays quick. ``from extend_runs import ProcessorRunSummary`` works.
    if name in _MODELS:
        from . import _models

        value = getattr(_models, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncProcessorRunPager",
    "AsyncProcessorRunWatcher",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "EventLoopClosedError",
    "ExtendError",
    "InternalServerError",
    "ListProcessorRunsParams",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "ProcessorRunPager",
    "ProcessorRunSource",
    "ProcessorRunStatus",
    "ProcessorRunSummary",
    "ProcessorRunWatcher",
    "ProcessorRunsPage",
    "ProcessorType",
    "RateLimitError",
    "SortBy",
    "SortDir",
    "Usage",
    "__version__",
]
