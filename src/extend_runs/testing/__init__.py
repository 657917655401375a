"""A fake Extend server for testing code that uses extend-runs, without an Extend account.

``FakeExtend`` serves ``GET /processor_runs`` like the real API (filters, sorting, signed
cursors, auth and version checks, Extend's error bodies), with faults on demand, an
optional rate limit and a record of every request. Use it in process through an httpx
transport, or on a real socket with ``serve()``; the pytest fixtures ``extend_fake``,
``extend_client`` and ``async_extend_client`` come with the package.

Example:
    >>> import httpx
    >>> from extend_runs import Client
    >>> from extend_runs.testing import FakeExtend
    >>> fake = FakeExtend(runs=30, seed=1)
    >>> client = Client(
    ...     api_key=fake.api_key,
    ...     base_url=fake.base_url,
    ...     http_client=httpx.Client(transport=fake.transport()),
    ... )
    >>> len(list(client.list_processor_runs()))
    30
"""

from ._data import INTERNAL_FIELDS, PROCESSOR_TYPES, SOURCES, STATUSES, RunLike, generate_runs
from ._fake import API_VERSIONS, DEFAULT_API_KEY, IN_PROCESS_BASE_URL, FakeExtend
from ._faults import Fault, FaultPredicate, FaultRule
from ._handler import FakeResponse
from ._requests import RecordedRequest

__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_KEY",
    "INTERNAL_FIELDS",
    "IN_PROCESS_BASE_URL",
    "PROCESSOR_TYPES",
    "SOURCES",
    "STATUSES",
    "FakeExtend",
    "FakeResponse",
    "Fault",
    "FaultPredicate",
    "FaultRule",
    "RecordedRequest",
    "RunLike",
    "generate_runs",
]
