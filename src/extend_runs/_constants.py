"""Defaults and limits, each in one place with its unit."""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.extend.ai"
"""Where requests go when neither ``base_url`` nor ``$EXTEND_BASE_URL`` is set (region US1)."""

DEFAULT_API_VERSION = "2025-04-21"
"""The value of the ``x-extend-api-version`` header unless another is given."""

DEFAULT_TIMEOUT = 60.0
"""Seconds allowed for each of connecting, reading, writing and waiting for a pooled connection."""

DEFAULT_MAX_RETRIES = 2
"""Retries after the first try, so three attempts in all."""

INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry when the server gives no ``Retry-After``; doubles each retry."""

MAX_BACKOFF_DELAY = 8.0
"""Seconds: the ceiling of the exponential backoff between retries."""

MAX_RETRY_AFTER = 60.0
"""Seconds: the longest ``Retry-After`` the client will wait. A longer one is not waited for;
the error is raised at once, carrying ``retry_after``."""

MIN_PAGE_SIZE = 1
"""The smallest ``maxPageSize`` the API accepts."""

MAX_PAGE_SIZE = 1000
"""The largest ``maxPageSize`` the API accepts."""

MAX_PAGE_TOKEN_LENGTH = 4096
"""Characters: the longest ``nextPageToken`` accepted, given by you or returned by the server.

Extend's cursors are under a hundred characters; this bound keeps any accepted cursor,
percent-encoded, well inside the longest URL httpx will send."""

ENV_API_KEY = "EXTEND_API_KEY"
"""Environment variable read for the API key when ``api_key`` is not given."""

ENV_BASE_URL = "EXTEND_BASE_URL"
"""Environment variable read for the base URL when ``base_url`` is not given."""

RETRYABLE_STATUS_CODES = frozenset({408, 409, 429})
"""Statuses below 500 that are retried; every status of 500 and above is retried too."""

LOGGER_NAME = "extend_runs"
"""The name of the logger that records each request at DEBUG."""

AUTO_AHEAD_RATIO = 1.5
"""With ``prefetch="auto"``: fetch ahead once a request takes this many times longer than
the caller took over the page before (plus :data:`AUTO_AHEAD_MARGIN`)."""

AUTO_AHEAD_MARGIN = 0.002
"""Seconds: the least a request must outlast the caller's time over a page before
``prefetch="auto"`` fetches ahead, so that a fast local server never turns it on."""

WHOLE_LISTING_PAGE_SIZE = 1000
"""Runs per request asked for by calls that consume a whole listing (``to_pandas()``,
``to_dicts()``) when no ``max_page_size`` was given: one request instead of a hundred."""

API_REQUESTS_PER_SECOND = 10.0
"""Requests per second the API allows on its smallest plan (pay-as-you-go, GET): the
budget ``partition_by="auto"`` plans for when ``max_requests_per_second`` is not set."""
