"""A listing's options checked against each other, before any request: what and how to fetch.

:func:`plan_listing` turns the caller's arguments (filters, ``limit``, ``prefetch``,
``partition_by``, ``resume_from``, ...) into a :class:`~extend_runs._listing.ListingSpec`
(what is listed), the position to start from, and a
:class:`~extend_runs._fetchers.FetchPlan` (how pages are fetched). Every mistake is a
:class:`ValueError` naming the argument.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Optional, Union, cast

from ._checkpoint import Checkpoint, LaneShape
from ._fetchers import FetchPlan
from ._listing import AUTO_FIELDS, PARTITION_FIELDS, ListingSpec, Window
from ._models import ListProcessorRunsParams, SortBy
from ._times import TimeLike, aware_time

__all__ = ["DEFAULT_MAX_CONCURRENCY", "plan_listing"]

DEFAULT_MAX_CONCURRENCY = 5
"""Requests a partitioned listing keeps in flight at most."""


def plan_listing(
    params: ListProcessorRunsParams,
    *,
    limit: Optional[int],
    prefetch: Union[bool, Literal["auto"], None],
    partition_by: Union[str, Sequence[str], None],
    max_concurrency: Optional[int],
    resume_from: Optional[str],
    partition_tokens: Optional[Mapping[Any, Optional[str]]],
    created_since: Optional[TimeLike] = None,
    created_before: Optional[TimeLike] = None,
    updated_since: Optional[TimeLike] = None,
    updated_before: Optional[TimeLike] = None,
) -> tuple[ListingSpec, Optional[Checkpoint], FetchPlan]:
    """Check a listing's options; return what to list, where to start and how to fetch."""
    window = _window(params, created_since, created_before, updated_since, updated_before)
    if window is not None:
        sort_by = SortBy.CREATED_AT if window.field == "created_at" else SortBy.UPDATED_AT
        params = params.model_copy(update={"sort_by": sort_by})
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a whole number >= 0 or None, got {limit!r}")
    if prefetch is not None and not isinstance(prefetch, bool) and prefetch != "auto":
        raise ValueError(f"prefetch must be True, False, 'auto' or None, got {prefetch!r}")
    if max_concurrency is not None and (
        isinstance(max_concurrency, bool)
        or not isinstance(max_concurrency, int)
        or max_concurrency < 1
    ):
        raise ValueError(f"max_concurrency must be a whole number >= 1, got {max_concurrency!r}")
    auto = isinstance(partition_by, str) and partition_by == "auto"
    if auto:
        if params.next_page_token is not None:
            raise ValueError(
                "partition_by='auto' cannot be combined with next_page_token: it lists "
                "partitions with cursors of their own; resume it with resume_from="
                "pager.checkpoint"
            )
        if partition_tokens is not None:
            raise ValueError(
                "partition_tokens cannot resume partition_by='auto', whose partitions "
                "change as it goes: resume with resume_from=pager.checkpoint"
            )
        free = [name for name in AUTO_FIELDS if getattr(params, name) is None]
        fields: tuple[str, ...] = tuple(free[:1])
        split_by = free[1] if len(free) > 1 else None
    else:
        fields = _partition_fields(partition_by, params)
        split_by = None
    if not fields and not auto:
        for name, value in (
            ("max_concurrency", max_concurrency),
            ("partition_tokens", partition_tokens),
        ):
            if value is not None:
                raise ValueError(f"{name} applies only to a partitioned listing (partition_by)")
    if resume_from is not None and params.next_page_token is not None:
        raise ValueError(
            "resume_from and next_page_token cannot be combined: a checkpoint already "
            "says where to resume"
        )
    spec = ListingSpec(params, fields, limit, window, auto=auto, split_by=split_by)
    start = None
    if resume_from is not None:
        if partition_tokens is not None:
            raise ValueError("pass resume_from or partition_tokens, not both")
        start = _checked(Checkpoint.decode(resume_from), spec)
    elif partition_tokens is not None:
        start = _from_partition_tokens(partition_tokens, spec)
    if fields or auto:
        workers = DEFAULT_MAX_CONCURRENCY if max_concurrency is None else max_concurrency
        return spec, start, FetchPlan(workers=workers, ahead=True)
    return spec, start, FetchPlan(workers=1, ahead="auto" if prefetch == "auto" else prefetch)


def _partition_fields(
    partition_by: Union[str, Sequence[str], None], params: ListProcessorRunsParams
) -> tuple[str, ...]:
    if partition_by is None:
        return ()
    allowed = ", ".join(repr(name) for name in PARTITION_FIELDS) + " or 'auto'"
    names = (partition_by,) if isinstance(partition_by, str) else partition_by
    if not isinstance(names, (tuple, list)) or not names:
        raise ValueError(
            f"partition_by must be one of {allowed}, or a tuple of them, got {partition_by!r}"
        )
    fields = tuple(names)
    for name in fields:
        if name not in PARTITION_FIELDS:
            raise ValueError(
                f"partition_by must be one of {allowed}, or a tuple of them, got {name!r}"
            )
        if getattr(params, name) is not None:
            raise ValueError(
                f"partition_by={name!r} cannot be combined with a {name} filter: it already "
                f"lists every {name} value separately"
            )
    if len(set(fields)) != len(fields):
        raise ValueError(f"partition_by names a field twice: {partition_by!r}")
    if params.next_page_token is not None:
        raise ValueError(
            "partition_by cannot be combined with next_page_token: a partitioned listing "
            "has one cursor per partition; resume it with resume_from=pager.checkpoint"
        )
    return fields


def _checked(checkpoint: Checkpoint, spec: ListingSpec) -> Checkpoint:
    if spec.auto:
        fits = checkpoint.shapes is not None and _auto_shapes_fit(
            checkpoint.shapes, checkpoint.settled, spec
        )
    else:
        fits = checkpoint.shapes is None and len(checkpoint.lanes) == len(spec.lanes())
    if checkpoint.fingerprint != spec.fingerprint() or not fits:
        raise ValueError(
            "resume_from is a checkpoint of a different listing: resume with the same "
            "filters, sort, partition_by and time window as the listing it came from"
        )
    return checkpoint


def _auto_shapes_fit(shapes: Sequence[LaneShape], settled: bool, spec: ListingSpec) -> bool:
    """Whether the partitions of a ``c2.`` checkpoint are those ``spec`` could have made.

    The partitions the listing starts with, in order and without edges (but for the cut of
    one that was split, once settled); then, for each one that was split, one partition
    per value of the split field, in order, each skipping what is not past that cut. So
    every run is in exactly one partition, as in the listing the checkpoint came from.
    """
    starts = [tuple(values.items()) for _, values in spec.lanes()]
    if len(shapes) < len(starts):
        return False
    cuts: dict[tuple[tuple[str, str], ...], str] = {}
    for shape, values in zip(shapes, starts):
        if shape.values != values or shape.after is not None:
            return False
        if shape.upto is not None:
            if not settled or spec.split_by is None:
                return False
            cuts[values] = shape.upto
    added = shapes[len(starts) :]
    if not cuts or spec.split_by is None:
        return not added
    wire, enum = PARTITION_FIELDS[spec.split_by]
    members = [member.value for member in enum]
    if len(added) != len(cuts) * len(members):
        return False
    split: set[tuple[tuple[str, str], ...]] = set()
    for start in range(0, len(added), len(members)):
        group = added[start : start + len(members)]
        parent = group[0].values[:-1]
        if parent not in cuts or parent in split:
            return False
        split.add(parent)
        for shape, member in zip(group, members):
            if (
                shape.values != (*parent, (wire, member))
                or shape.after != cuts[parent]
                or shape.upto is not None
            ):
                return False
    return True


def _from_partition_tokens(tokens: Mapping[Any, Optional[str]], spec: ListingSpec) -> Checkpoint:
    warnings.warn(
        "partition_tokens is deprecated: resume with resume_from=pager.checkpoint, which "
        "repeats no run",
        DeprecationWarning,
        stacklevel=4,
    )
    if not isinstance(tokens, Mapping):
        raise ValueError(
            f"partition_tokens must be a mapping such as pager.partition_tokens, "
            f"got {type(tokens).__name__}"
        )
    labels = [label for label, _ in spec.lanes()]
    given: dict[Any, Optional[str]] = {}
    for label, token in tokens.items():
        label = _plain_label(label)
        if label not in labels:
            fields = " and ".join(spec.partition_by)
            raise ValueError(f"partition_tokens has {label!r}, which is not a {fields} value")
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError(
                f"partition_tokens[{label!r}] must be a non-empty string or None, got {token!r}"
            )
        given[label] = token
    lanes = tuple((given[label], 0) if label in given else None for label in labels)
    return Checkpoint(spec.fingerprint(), 0, lanes)


def _window(
    params: ListProcessorRunsParams,
    created_since: Optional[TimeLike],
    created_before: Optional[TimeLike],
    updated_since: Optional[TimeLike],
    updated_before: Optional[TimeLike],
) -> Optional[Window]:
    created = {"created_since": created_since, "created_before": created_before}
    updated = {"updated_since": updated_since, "updated_before": updated_before}
    given_created = {name: value for name, value in created.items() if value is not None}
    given_updated = {name: value for name, value in updated.items() if value is not None}
    if given_created and given_updated:
        raise ValueError(
            "a listing has one time window, on createdAt or on updatedAt: got "
            f"{', '.join([*given_created, *given_updated])}"
        )
    given = given_created or given_updated
    if not given:
        return None
    on_created = bool(given_created)
    field = "created_at" if on_created else "updated_at"
    wire = SortBy.CREATED_AT if on_created else SortBy.UPDATED_AT
    if params.sort_by is not None and params.sort_by is not wire:
        raise ValueError(
            f"{next(iter(given))} orders the listing by {wire.value}; "
            f"sort_by={params.sort_by.value!r} names the other field"
        )
    prefix = "created" if on_created else "updated"
    since = given.get(f"{prefix}_since")
    before = given.get(f"{prefix}_before")
    since_at = None if since is None else aware_time(f"{prefix}_since", since)
    before_at = None if before is None else aware_time(f"{prefix}_before", before)
    if since_at is not None and before_at is not None and since_at >= before_at:
        raise ValueError(
            f"{prefix}_since must be earlier than {prefix}_before "
            f"(the window is since <= t < before), got {since_at.isoformat()} and "
            f"{before_at.isoformat()}"
        )
    return Window(field, since_at, before_at)  # type: ignore[arg-type]


def _plain_label(label: object) -> object:
    """A partition label with enum members turned into their values."""
    if isinstance(label, tuple):
        return tuple(_plain_label(part) for part in cast("tuple[object, ...]", label))
    return getattr(label, "value", label)
