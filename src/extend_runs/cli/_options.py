"""Options shared by the commands: filters, moments, connection settings, and how the
library's ``ValueError`` messages become usage errors naming an option."""

# pyright: basic
from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, cast

import click

from .._client import PartitionBy, PartitionByLike
from .._constants import DEFAULT_API_VERSION, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, MAX_PAGE_SIZE
from .._models import ProcessorRunSource, ProcessorRunStatus, ProcessorType
from .._times import aware_time

_F = TypeVar("_F", bound=Callable[..., Any])

if TYPE_CHECKING:
    # Generic from click 8.2 on; subscripting it at run time would break click 8.1.
    _MomentType = click.ParamType[datetime, Any]
    _FieldsType = click.ParamType[PartitionByLike, Any]
else:
    _MomentType = _FieldsType = click.ParamType

WHOLE_EXPORT_PAGE_SIZE = 1000
"""Runs per request (the API's maximum) when a command reads a whole listing for a file,
a pipe or a machine format and ``--page-size`` is not given."""

_AGE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", re.IGNORECASE)
_AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

PARTITION_FIELDS = ("status", "processor_type", "source")
"""The fields ``--partition-by`` accepts (or ``auto`` alone)."""

# Library parameter names as they appear in its messages, and the option behind each.
_OPTION_NAMES = {
    "created_since": "--created-since",
    "created_before": "--created-before",
    "updated_since": "--updated-since",
    "updated_before": "--updated-before",
    "partition_by": "--partition-by",
    "resume_from": "--resume",
    "next_page_token": "--cursor",
    "max_page_size": "--page-size",
    "max_requests_per_second": "--max-requests-per-second",
    "sort_by": "--sort-by",
    "since": "--since",
    "interval": "--interval",
}
_NAMES = re.compile(r"\b(" + "|".join(sorted(_OPTION_NAMES, key=len, reverse=True)) + r")\b")


def choice(values: type[enum.Enum]) -> click.Choice[str]:
    """A case-sensitive choice of an enum's wire values."""
    return click.Choice([member.value for member in values], case_sensitive=True)


def parse_moment(text: str, now: Optional[datetime] = None) -> datetime:
    """``text`` as an aware UTC datetime: ISO-8601 with an offset or ``Z``, or an age such as
    ``7d``, ``12h``, ``30m``, ``45s`` or ``2w`` (``now`` minus that).

    Raises:
        ValueError: anything else, or an ISO time without an offset.
    """
    age = _AGE.fullmatch(text)
    if age is not None:
        amount, unit = float(age.group(1)), _AGE_UNITS[age.group(2).lower()]
        start = datetime.now(timezone.utc) if now is None else now
        return start - timedelta(**{unit: amount})
    try:
        return aware_time("time", text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither an ISO-8601 time with an offset or Z (such as "
            "2026-11-30T00:00:00Z) nor an age such as 7d, 12h or 30m"
        ) from None


class Moment(_MomentType):
    """A click type for :func:`parse_moment`: a bad value is a usage error naming the option."""

    name = "moment"

    def convert(
        self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_moment(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class PartitionFields(_FieldsType):
    """``FIELD[,FIELD]`` or ``auto`` for ``--partition-by``: one field, a tuple of them, or
    the library's automatic choice."""

    name = "fields"

    def convert(
        self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]
    ) -> PartitionByLike:
        if isinstance(value, tuple):
            return cast("tuple[PartitionBy, ...]", value)  # already converted
        if str(value).strip() == "auto":
            return "auto"
        fields = tuple(part.strip().replace("-", "_") for part in str(value).split(","))
        for field in fields:
            if field not in PARTITION_FIELDS:
                self.fail(
                    f"{field!r} is not one of {', '.join(PARTITION_FIELDS)} "
                    "(give one, or several separated by commas) or auto",
                    param,
                    ctx,
                )
        return cast("tuple[PartitionBy, ...]", fields)  # each checked above


def option_problem(error: ValueError, default: str = "--resume") -> str:
    """A usage message for a library ``ValueError``, with parameter names as options."""
    text = " ".join(str(error).split())
    found = _NAMES.search(text)
    option = _OPTION_NAMES[found.group(1)] if found else default
    return f"Invalid value for '{option}': " + _NAMES.sub(
        lambda match: _OPTION_NAMES[match.group(1)], text
    )


def filter_options(command: _F) -> _F:
    """The API's filters (not the sort): shared by ``list``, ``watch`` and ``sync``."""
    options = [
        click.option("--status", type=choice(ProcessorRunStatus), help="Only runs in this status."),
        click.option("--processor-id", metavar="ID", help="Only runs of this processor."),
        click.option(
            "--processor-type",
            type=choice(ProcessorType),
            help="Only runs of this kind of processor.",
        ),
        click.option("--source-id", metavar="ID", help="Only runs created by this entity."),
        click.option(
            "--source", type=choice(ProcessorRunSource), help="Only runs started this way."
        ),
        click.option(
            "--file-name-contains",
            metavar="TEXT",
            help="Only runs whose file name contains TEXT.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def page_size_option(default: str) -> Callable[[_F], _F]:
    """``--page-size``, its help saying what the command asks for without it."""

    def decorate(command: _F) -> _F:
        return click.option(
            "--page-size",
            type=click.IntRange(1, MAX_PAGE_SIZE),
            metavar="N",
            help=f"Runs per request, 1 to {MAX_PAGE_SIZE} [default: {default}].",
        )(command)

    return decorate


def connection_options(command: _F) -> _F:
    """Where and how to reach the API: shared by every command that sends requests."""
    options = [
        click.option(
            "--api-key",
            envvar="EXTEND_API_KEY",
            show_envvar=True,
            metavar="KEY",
            help="Your Extend API key (never printed).",
        ),
        click.option(
            "--base-url",
            envvar="EXTEND_BASE_URL",
            show_envvar=True,
            metavar="URL",
            help="The API's address  [default: https://api.extend.ai]",
        ),
        click.option(
            "--api-version",
            default=DEFAULT_API_VERSION,
            show_default=True,
            help="Sent as x-extend-api-version.",
        ),
        click.option(
            "--workspace-id",
            metavar="ID",
            help="Sent as x-extend-workspace-id (organization-scoped keys need it).",
        ),
        click.option(
            "--max-retries",
            type=click.IntRange(min=0),
            default=DEFAULT_MAX_RETRIES,
            show_default=True,
            help="Retries of each request on connection errors, timeouts, 408, 409, 429, 5xx.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=DEFAULT_TIMEOUT,
            show_default=True,
            metavar="SECONDS",
            help="Timeout of each attempt.",
        ),
        click.option(
            "--max-requests-per-second",
            type=click.FloatRange(min=0, min_open=True),
            metavar="R",
            help="Start at most R requests a second (to stay within a rate limit).",
        ),
        click.option(
            "--allow-insecure-http",
            is_flag=True,
            help="Allow an http:// base URL on a host other than this machine.",
        ),
        click.option(
            "--debug",
            is_flag=True,
            help="On an unexpected error, show the traceback instead of one line.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
