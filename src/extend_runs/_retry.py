"""When to retry a request and how long to wait first: pure decisions, driven by tenacity."""

from __future__ import annotations

import logging
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Optional

import httpx
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from ._constants import (
    INITIAL_RETRY_DELAY,
    LOGGER_NAME,
    MAX_BACKOFF_DELAY,
    MAX_RETRY_AFTER,
    RETRYABLE_STATUS_CODES,
)
from ._exceptions import APIConnectionError, APIStatusError
from ._stopping import interruptible_sleep, stopped

logger = logging.getLogger(LOGGER_NAME)


def parse_retry_after(
    headers: httpx.Headers, now: Callable[[], float] = time.time
) -> Optional[float]:
    """Seconds the server asked to wait, from ``retry-after-ms`` or ``Retry-After``.

    ``retry-after-ms`` (milliseconds) wins; then ``Retry-After`` as seconds, then as an
    HTTP date measured against ``now``. A date in the past means zero; anything
    unreadable or negative means the server gave no usable hint (``None``).
    """
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        seconds = _non_negative_float(milliseconds)
        if seconds is not None:
            return seconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _non_negative_float(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:  # pragma: no cover - depends on Python version
        return None
    return max(0.0, when.timestamp() - now())


def _non_negative_float(text: str) -> Optional[float]:
    try:
        number = float(text)
    except ValueError:
        return None
    if number != number or number < 0 or number == float("inf"):
        return None
    return number


def is_retryable_status(status_code: int) -> bool:
    """408, 409, 429 and every 5xx are worth another try; other statuses are final."""
    return status_code in RETRYABLE_STATUS_CODES or status_code >= 500


def should_retry(error: BaseException) -> bool:
    """Whether the failed attempt that raised ``error`` is worth another try.

    Connection errors and timeouts are retried, and so are retryable statuses, unless the
    server asked for a wait longer than :data:`~extend_runs._constants.MAX_RETRY_AFTER`.
    """
    if stopped():
        return False  # a fetching thread whose listing was left: its request was cut
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, APIStatusError) and is_retryable_status(error.status_code):
        return error.retry_after is None or error.retry_after <= MAX_RETRY_AFTER
    return False


def backoff_delay(retry_number: int, jitter: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... up to 8 s, each less up to 25%."""
    delay = min(INITIAL_RETRY_DELAY * 2.0 ** (retry_number - 1), MAX_BACKOFF_DELAY)
    return delay * (1 - 0.25 * jitter())


def retry_delay(
    error: Optional[BaseException], retry_number: int, max_wait: Optional[float] = None
) -> float:
    """Seconds to wait before retry number ``retry_number`` (1 for the first retry).

    ``max_wait``, when given, caps the result (the client's ``max_retry_wait``).
    """
    if isinstance(error, APIStatusError) and error.retry_after is not None:
        delay = min(error.retry_after, MAX_RETRY_AFTER)
    else:
        delay = backoff_delay(retry_number)
    return delay if max_wait is None else min(delay, max_wait)


def _waiter(max_wait: Optional[float]) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return retry_delay(error, state.attempt_number, max_wait)

    return wait


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = float(state.next_action.sleep) if state.next_action is not None else 0.0
    logger.info("retrying in %.2f s after attempt %d failed: %s", wait, state.attempt_number, error)


def sleep(seconds: float) -> None:
    """How the sync client waits between attempts and for its pacing (a seam for tests)."""
    interruptible_sleep(seconds)


async def async_sleep(seconds: float) -> None:
    """How the async client waits between attempts and for its pacing (a seam for tests)."""
    import asyncio  # here, not at the top: ``import extend_runs`` stays free of asyncio

    await asyncio.sleep(seconds)


def _policy(max_retries: int, max_wait: Optional[float]) -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(max_retries + 1),
        "retry": retry_if_exception(should_retry),
        "wait": _waiter(max_wait),
        "before_sleep": _log_retry,
        "reraise": True,
    }


def sync_retrying(max_retries: int, max_wait: Optional[float] = None) -> Retrying:
    """A tenacity controller for the sync client's attempts; waits capped at ``max_wait``."""
    return Retrying(sleep=lambda seconds: sleep(seconds), **_policy(max_retries, max_wait))


def async_retrying(max_retries: int, max_wait: Optional[float] = None) -> AsyncRetrying:
    """A tenacity controller for the async client's attempts; same policy as the sync one."""
    return AsyncRetrying(
        sleep=lambda seconds: async_sleep(seconds), **_policy(max_retries, max_wait)
    )
