"""Processor runs for the fake: a fast seeded generator and loading of user-supplied runs.

A run is held as a ``StoredRun``: the fields the fake filters and sorts on, plus the
JSON bytes it serves. The served JSON is the wire summary only; ``source``, ``sourceId``
and ``fileName`` stay internal unless the fake is asked to expose them.
"""

from __future__ import annotations

import base64
import json
import random
import sys
from array import array
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import accumulate
from typing import (
    Any,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    cast,
)

from ._clock import to_ms, wall_clock_ms

T = TypeVar("T")

STATUSES = ("PENDING", "PROCESSING", "PROCESSED", "FAILED", "CANCELLED")
"""Every value of ``status`` in the 2025-04-21 API."""

PROCESSOR_TYPES = ("EXTRACT", "CLASSIFY", "SPLITTER")
"""Every value of ``processorType`` / the run's ``type``."""

SOURCES = (
    "ADMIN",
    "BATCH_PROCESSOR_RUN",
    "PLAYGROUND",
    "WORKFLOW_CONFIGURATION",
    "WORKFLOW_RUN",
    "STUDIO",
    "API",
)
"""Every value of ``source``."""

INTERNAL_FIELDS = ("source", "sourceId", "fileName")
"""Fields the fake filters on that the real summary does not carry on the wire."""

USAGE_START_MS = 1759795200000
"""2025-10-07T00:00:00Z in Unix milliseconds: runs created before it carry no ``usage``."""

DEFAULT_SPAN_MS = 90 * 86_400_000
"""How far back generated runs reach by default, in milliseconds: 90 days before ``end``."""

Distribution = Literal["realistic", "even"]
"""How generated runs spread over statuses, sources and processor types."""

DISTRIBUTIONS: Tuple[Distribution, ...] = ("realistic", "even")

RunLike = Union[Mapping[str, Any], Any]
"""A run to load: a camelCase wire dict, or an object with pydantic's ``model_dump``."""

_STATUS_WEIGHTS = (6, 7, 70, 12, 5)
_SOURCE_WEIGHTS = (3, 15, 12, 8, 30, 7, 25)
_PROCESSOR_TEMPLATES = (
    ("Invoice Extractor", "EXTRACT"),
    ("Receipt Extractor", "EXTRACT"),
    ("W-2 Extractor", "EXTRACT"),
    ("Bank Statement Parser", "EXTRACT"),
    ("Purchase Order Extractor", "EXTRACT"),
    ("Lease Abstractor", "EXTRACT"),
    ("Document Type Classifier", "CLASSIFY"),
    ("Mailroom Classifier", "CLASSIFY"),
    ("KYC Document Classifier", "CLASSIFY"),
    ("Loan Packet Splitter", "SPLITTER"),
    ("Claims Bundle Splitter", "SPLITTER"),
)
_FILE_TEMPLATES = (
    ("invoice_", ".pdf"),
    ("Invoice-", ".PDF"),
    ("receipt-", ".jpg"),
    ("W2_2024_", ".pdf"),
    ("bank_statement_", ".pdf"),
    ("purchase_order_", ".pdf"),
    ("lease_agreement_", ".docx"),
    ("loan_packet_", ".pdf"),
    ("claims_bundle_", ".pdf"),
    ("scan_", ".png"),
    ("1099-MISC_", ".pdf"),
    ("passport_", ".jpeg"),
)
_SOURCE_ID_PREFIXES = {
    "ADMIN": "user_",
    "BATCH_PROCESSOR_RUN": "bpr_",
    "WORKFLOW_CONFIGURATION": "workflow_",
    "WORKFLOW_RUN": "workflow_run_",
    "STUDIO": "studio_",
}
# How many consecutive runs share one source id, at most (a batch, a workflow run, ...).
_SOURCE_GROUP = {"BATCH_PROCESSOR_RUN": 40, "WORKFLOW_RUN": 4, "WORKFLOW_CONFIGURATION": 20}


@dataclass(frozen=True)
class Processor:
    """A processor version that runs belong to, with its pre-serialised JSON fragment."""

    id: str
    name: str
    version_id: str
    type: Optional[str]
    fragment: str


def _processor(id: str, name: str, version_id: str, type: Optional[str]) -> Processor:
    fields: Dict[str, Any] = {"processorId": id, "processorName": name}
    fields["processorVersionId"] = version_id
    if type is not None:
        fields["type"] = type
    return Processor(id, name, version_id, type, json.dumps(fields, separators=(",", ":"))[1:-1])


_DAY_CACHE: Dict[int, str] = {}


def format_ms(ms: int, with_millis: bool = False) -> str:
    """Unix milliseconds as RFC 3339 UTC: ``2025-11-18T14:03:27Z`` (or ``...27.482Z``)."""
    seconds, millis = divmod(ms, 1000)
    day, second_of_day = divmod(seconds, 86400)
    prefix = _DAY_CACHE.get(day)
    if prefix is None:
        prefix = datetime.fromtimestamp(day * 86400, tz=timezone.utc).strftime("%Y-%m-%dT")
        _DAY_CACHE[day] = prefix
    hour, rest = divmod(second_of_day, 3600)
    minute, second = divmod(rest, 60)
    if with_millis:
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"
    return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}Z"


def parse_timestamp(value: str) -> int:
    """An RFC 3339 timestamp (``Z`` or an offset, any fraction) as Unix milliseconds."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:
        # datetime.fromisoformat on Python < 3.11 wants exactly 3 or 6 fraction digits.
        head, _, tail = text.partition(".")
        digits = ""
        while tail and tail[0].isdigit():
            digits, tail = digits + tail[0], tail[1:]
        text = f"{head}.{(digits + '000000')[:6]}{tail}"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


def _id_block(rng: random.Random, count: int) -> List[str]:
    """``count`` random 21-character url-safe strings, as in Extend's 2025-04-21 ids."""
    # 18 random bytes encode to exactly 24 base64 characters, so one encode serves all.
    text = base64.urlsafe_b64encode(rng.getrandbits(144 * count).to_bytes(18 * count, "big"))
    decoded = text.decode("ascii")
    return [decoded[i : i + 21] for i in range(0, 24 * count, 24)]


def _processors(rng: random.Random) -> List[Processor]:
    result: List[Processor] = []
    ids = _id_block(rng, len(_PROCESSOR_TEMPLATES) * 4)
    for index, (name, type) in enumerate(_PROCESSOR_TEMPLATES):
        processor_id = "dp_" + ids[4 * index]
        for version in range(1 + index % 3):
            result.append(
                _processor(processor_id, name, "dpv_" + ids[4 * index + 1 + version], type)
            )
    return result


class RunTable:
    """Runs held column by column (cheap for a million), with each run's JSON made once.

    Generated runs render their JSON on first use; loaded runs keep the JSON they came with.
    """

    def __init__(self) -> None:
        self.ids: List[str] = []
        self.statuses: List[str] = []
        self.processor_ids: List[str] = []
        self.types: List[Optional[str]] = []
        self.sources: List[Optional[str]] = []
        self.source_ids: List[Optional[str]] = []
        self.file_names: List[Optional[str]] = []
        self.created_ms: List[int] = []
        self.updated_ms: List[int] = []
        self.bodies: List[Optional[bytes]] = []
        # What rendering a generated run needs; unused for loaded runs.
        self._fragments: List[str] = []
        self._credits: List[Optional[float]] = []
        self._millis: List[bool] = []

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, other: RunTable) -> None:
        """Append every run of ``other``."""
        for name in self.__dict__:
            getattr(self, name).extend(getattr(other, name))

    def body(self, index: int) -> bytes:
        """The served JSON of run ``index``."""
        body = self.bodies[index]
        if body is None:
            credits = self._credits[index]
            usage = "" if credits is None else f',"usage":{{"credits":{credits}}}'
            body = (
                f'{{"id":"{self.ids[index]}","status":"{self.statuses[index]}",'
                f'{self._fragments[index]},"createdAt":"{format_ms(self.created_ms[index])}",'
                f'"updatedAt":"{format_ms(self.updated_ms[index], self._millis[index])}"{usage}}}'
            ).encode()
            self.bodies[index] = body
        return body

    def internal_fields(self, index: int) -> Dict[str, Optional[str]]:
        """The fields used for filtering that the wire summary leaves out."""
        return {
            "source": self.sources[index],
            "sourceId": self.source_ids[index],
            "fileName": self.file_names[index],
        }

    def body_with_internal(self, index: int) -> bytes:
        """The run's JSON plus ``source``, ``sourceId`` and ``fileName``."""
        return json.dumps(self.wire(index, internal=True), separators=(",", ":")).encode()

    def wire(self, index: int, internal: bool = False) -> Dict[str, Any]:
        """Run ``index`` as a camelCase dict, as served (plus the internal fields if asked)."""
        result: Dict[str, Any] = json.loads(self.body(index))
        if internal:
            result.update(self.internal_fields(index))
        return result

    def change(self, index: int, status: str, updated_ms: int) -> None:
        """Give run ``index`` a new status and ``updatedAt``, and serve them from now on."""
        millis = updated_ms % 1000 != 0
        self.statuses[index] = status
        self.updated_ms[index] = updated_ms
        if self._fragments[index]:  # generated: render again on next use
            self._millis[index] = millis
            self.bodies[index] = None
            return
        wire: Dict[str, Any] = json.loads(self.body(index))
        wire["status"] = status
        wire["updatedAt"] = format_ms(updated_ms, millis)
        self.bodies[index] = json.dumps(wire, separators=(",", ":")).encode()

    def add(
        self,
        *,
        id: str,
        status: str,
        processor_id: str,
        type: Optional[str],
        source: Optional[str],
        source_id: Optional[str],
        file_name: Optional[str],
        created_ms: int,
        updated_ms: int,
        body: bytes,
    ) -> None:
        """Append one run whose JSON is already made."""
        self.ids.append(id)
        self.statuses.append(status)
        self.processor_ids.append(processor_id)
        self.types.append(type)
        self.sources.append(source)
        self.source_ids.append(source_id)
        self.file_names.append(file_name)
        self.created_ms.append(created_ms)
        self.updated_ms.append(updated_ms)
        self.bodies.append(body)
        self._fragments.append("")
        self._credits.append(None)
        self._millis.append(False)


def _table(values: Sequence[T], weights: Sequence[int]) -> List[T]:
    """A 256-entry lookup table drawing ``values`` in proportion to ``weights``."""
    total = sum(weights)
    table: List[T] = []
    for value, weight in zip(values, weights):
        table.extend([value] * (256 * weight // total))
    table.extend(values[: 256 - len(table)])  # what rounding left over, one entry each
    return table


def _words(rng: random.Random, count: int) -> List[int]:
    """``count`` random 16-bit integers, the same on every platform."""
    words = array("H")
    words.frombytes(rng.randbytes(2 * count))
    if sys.byteorder == "big":
        words.byteswap()
    return words.tolist()


def generation_window(
    start: Optional[datetime], end: Optional[datetime], now_ms: int
) -> Tuple[int, int]:
    """The ``(start, end)`` of generated runs in Unix milliseconds.

    ``end`` defaults to ``now_ms`` rounded down to a whole second (so runs generated at
    two moments differ only by a shift of every timestamp), ``start`` to 90 days before
    ``end``.
    """
    end_ms = now_ms - now_ms % 1000 if end is None else to_ms(end, "end")
    start_ms = end_ms - DEFAULT_SPAN_MS if start is None else to_ms(start, "start")
    if end_ms <= start_ms:
        raise ValueError("start must be before end (end defaults to now)")
    return start_ms, end_ms


def generate_table(
    count: int,
    seed: int = 0,
    start_ms: Optional[int] = None,
    end_ms: Optional[int] = None,
    distribution: Distribution = "realistic",
) -> RunTable:
    """``count`` runs, the same for the same arguments, created in time order.

    Runs are created between ``start_ms`` and ``end_ms`` (default: the 90 days up to now)
    and none is updated after ``end_ms``. ``distribution``: ``"realistic"`` (most runs
    ``PROCESSED``, sources and processor types skewed as in a busy workspace) or
    ``"even"`` (each status, source and processor type about equally often).
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if end_ms is None:
        now_ms = wall_clock_ms()
        end_ms = now_ms - now_ms % 1000
    if start_ms is None:
        start_ms = end_ms - DEFAULT_SPAN_MS
    if end_ms <= start_ms:
        raise ValueError("start must be before end")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be 'realistic' or 'even', got {distribution!r}")
    even = distribution == "even"
    rng = random.Random(seed)
    processors = _processors(rng)
    status_table = _table(STATUSES, [1] * len(STATUSES) if even else _STATUS_WEIGHTS)
    source_table = _table(SOURCES, [1] * len(SOURCES) if even else _SOURCE_WEIGHTS)
    per_type = Counter(processor.type for processor in processors)
    processor_weights = [
        1_000 // per_type[processor.type] if even else 1 for processor in processors
    ]
    processor_table = _table(processors, processor_weights)
    file_table = _table(_FILE_TEMPLATES, [1] * len(_FILE_TEMPLATES))
    table = RunTable()
    table.statuses = [status_table[b] for b in rng.randbytes(count)]
    sources = [source_table[b] for b in rng.randbytes(count)]
    table.sources = cast(List[Optional[str]], sources)
    picked = [processor_table[b] for b in rng.randbytes(count)]
    table.processor_ids = [p.id for p in picked]
    table.types = [p.type for p in picked]
    table._fragments = [p.fragment for p in picked]
    steps = list(accumulate(w + 1 for w in _words(rng, count)))
    total = steps[-1] if steps else 1
    span = end_ms - start_ms
    table.created_ms = created = [start_ms + step * span // total for step in steps]
    table.ids = ["dpr_" + text for text in _id_block(rng, count)]
    numbers = _words(rng, count)
    table.file_names = [
        f"{prefix}{number * 7 + i % 7}{suffix}"
        for i, ((prefix, suffix), number) in enumerate(
            zip((file_table[b] for b in rng.randbytes(count)), numbers)
        )
    ]
    table._millis = [b < 64 for b in rng.randbytes(count)]
    table.bodies = [None] * count
    durations = _words(rng, count)
    updated: List[int] = []
    source_ids: List[Optional[str]] = []
    credits: List[Optional[float]] = []
    groups: Dict[str, List[Any]] = {}
    for i, status in enumerate(table.statuses):
        created_ms = created[i]
        wait = durations[i]
        if status == "PENDING":
            updated.append(created_ms)
        elif status == "PROCESSING":
            updated.append(created_ms + wait % 20_000)
        else:
            updated.append(created_ms + 1_000 + (wait * wait >> 23))
        source = sources[i]
        prefix = _SOURCE_ID_PREFIXES.get(source)
        if prefix is None:
            source_ids.append(picked[i].id if source == "PLAYGROUND" else None)
        else:
            group = groups.get(source)
            if group is None or group[1] <= 0:
                group = [prefix + _id_block(rng, 1)[0], 1 + wait % _SOURCE_GROUP.get(source, 1)]
                groups[source] = group
            group[1] -= 1
            source_ids.append(group[0])
        if created_ms >= USAGE_START_MS and (
            status == "PROCESSED" or (status == "FAILED" and wait & 3 == 0)
        ):
            credits.append((1 + wait % 40) / 2)
        else:
            credits.append(None)
    # Kept to the precision served (whole seconds, or milliseconds for some updatedAt), so
    # that the order the fake sorts in is the order a client sees in the timestamps. No
    # run is updated after the end of the window: by default that is "now".
    table.created_ms = [ms - ms % 1000 for ms in created]
    table.updated_ms = [
        ms if millis else ms - ms % 1000 for ms, millis in zip(updated, table._millis)
    ]
    for i in range(count - 1, -1, -1):
        if created[i] < end_ms - 30_000:
            break  # runs are created in order: only the last few can end after end_ms
        if table.updated_ms[i] > end_ms:
            table.updated_ms[i], table._millis[i] = end_ms, end_ms % 1000 != 0
    table.source_ids = source_ids
    table._credits = credits
    return table


def generate_runs(
    count: int,
    seed: int = 0,
    *,
    start: Optional[datetime] = None,
    end: Optional[datetime] = None,
    distribution: Distribution = "realistic",
) -> List[Dict[str, Any]]:
    """Generate ``count`` realistic processor runs as camelCase wire dicts.

    Runs are created between ``start`` and ``end``, in time order, and none is updated
    after ``end``. By default they end now and reach back 90 days, so "the last 7 days"
    finds runs. The same ``seed`` with the same ``start`` and ``end`` always gives the same
    runs; with the default ``end``, runs made at another moment differ only by a shift of
    every timestamp. Each dict is a run summary as the API serves it plus the internal
    fields ``source``, ``sourceId`` and ``fileName``, which ``FakeExtend`` filters on but
    does not serve.

    Args:
        count: how many runs.
        seed: seeds a private ``random.Random``; global random state is untouched.
        start: an aware datetime: the earliest ``createdAt`` (default: 90 days before
            ``end``).
        end: an aware datetime: the latest ``createdAt`` and ``updatedAt`` (default: now,
            rounded down to a whole second).
        distribution: ``"realistic"`` (70% ``PROCESSED``, skewed sources and types) or
            ``"even"`` (every status, source and processor type about equally often).

    Raises:
        ValueError: ``start`` or ``end`` is naive, or ``start`` is not before ``end``.

    Example:
        >>> from datetime import datetime, timezone
        >>> from extend_runs.testing import generate_runs
        >>> runs = generate_runs(
        ...     3,
        ...     seed=7,
        ...     start=datetime(2026, 11, 1, tzinfo=timezone.utc),
        ...     end=datetime(2026, 12, 1, tzinfo=timezone.utc),
        ... )
        >>> runs[0]["id"].startswith("dpr_"), len(runs[0]["id"])
        (True, 25)
        >>> [run["createdAt"][:10] for run in runs]
        ['2026-11-17', '2026-11-23', '2026-12-01']
    """
    start_ms, end_ms = generation_window(start, end, wall_clock_ms())
    table = generate_table(count, seed, start_ms, end_ms, distribution)
    return [table.wire(index, internal=True) for index in range(count)]


def load_runs(runs: Iterable[RunLike]) -> RunTable:
    """Users' runs (wire dicts or pydantic models) as a ``RunTable``.

    The internal fields ``source``, ``sourceId`` and ``fileName`` are read if present and
    left out of the served JSON; everything else is served as given.
    """
    table = RunTable()
    for run in runs:
        if isinstance(run, Mapping):
            wire: Dict[str, Any] = dict(run)
        elif hasattr(run, "model_dump"):
            wire = dict(run.model_dump(by_alias=True, mode="json", exclude_none=True))
        else:
            raise TypeError(f"a run must be a dict or a pydantic model, not {type(run).__name__}")
        missing = [name for name in _REQUIRED if name not in wire]
        if missing:
            raise ValueError(f"a run needs {', '.join(missing)}: {wire!r}")
        internal = {name: wire.pop(name, None) for name in INTERNAL_FIELDS}
        table.add(
            id=str(wire["id"]),
            status=str(wire["status"]),
            processor_id=str(wire["processorId"]),
            type=wire.get("type"),
            source=internal["source"],
            source_id=internal["sourceId"],
            file_name=internal["fileName"],
            created_ms=parse_timestamp(str(wire["createdAt"])),
            updated_ms=parse_timestamp(str(wire["updatedAt"])),
            body=json.dumps(wire, separators=(",", ":")).encode(),
        )
    return table


_REQUIRED = ("id", "status", "processorId", "createdAt", "updatedAt")
