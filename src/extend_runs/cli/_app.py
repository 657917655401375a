"""The click commands: ``extend-runs list`` and ``extend-runs demo``."""

# pyright: basic
from __future__ import annotations

import contextlib
import functools
import logging
import os
import shlex
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any, Callable, NoReturn, Optional, TypeVar

import click
from pydantic import ValidationError
from rich.console import Console

from .._client import Client, PartitionByLike
from .._constants import LOGGER_NAME
from .._exceptions import APIError, APIStatusError, ExtendError
from .._models import ListProcessorRunsParams, SortBy, SortDir
from .._version import __version__
from ._export import ExportState, ListingProgress, export, interrupts_deferred
from ._formats import (
    FORMATS,
    SYNC_FORMATS,
    WATCH_FORMATS,
    AppendError,
    ChangeWriter,
    CsvWriter,
    JsonArrayWriter,
    JsonLinesWriter,
    PageWriter,
    StreamingTableWriter,
    TableWriter,
    default_format,
    default_watch_format,
    reopen_json_array,
)
from ._options import (
    WHOLE_EXPORT_PAGE_SIZE,
    Moment,
    PartitionFields,
    choice,
    connection_options,
    filter_options,
    option_problem,
    page_size_option,
)
from ._sync import (
    StateError,
    SyncMark,
    SyncState,
    read_state,
    repair_torn_tail,
    sync_to_disk,
    write_state,
)

EXIT_API_ERROR = 1
"""The exit status after an error from the API or the network."""
EXIT_INTERRUPTED = 130
"""The exit status after Ctrl-C (128 + SIGINT), as shells use."""
_F = TypeVar("_F", bound=Callable[..., Any])

TERMINAL_TABLE_RUNS = 50
"""Runs a table on a terminal shows when no ``--limit`` is given."""
LASTING_STATUSES = frozenset({400, 401, 403, 404})
"""Statuses that retrying or resuming cannot fix: no resume hint follows them."""


def _fail(message: str, exit_code: int = EXIT_API_ERROR) -> NoReturn:
    click.echo(f"extend-runs: error: {message}", err=True)
    sys.exit(exit_code)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_error(error: ExtendError) -> str:
    """One line for an error: status, code, message and request ID when there are any."""
    if isinstance(error, APIStatusError):
        parts = [f"HTTP {error.status_code}"]
        if error.code:
            parts.append(error.code)
        text = f"{' '.join(parts)}: {_one_line(error.message)}"
        if error.request_id:
            text += f" (requestId: {error.request_id})"
        return text
    return f"{type(error).__name__}: {_one_line(str(error))}"


def _one_line_errors(command: _F) -> _F:
    """Turn an unexpected error into one line and status 1; ``--debug`` shows the traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            if kwargs.get("debug"):
                raise
            _fail(describe_unexpected(error))

    return run  # type: ignore[return-value]  # pyright: ignore[reportReturnType]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="extend-runs")
def cli() -> None:
    """List and export the processor runs of an Extend account.

    \b
    Try it with no account:   extend-runs demo
    With your key:            export EXTEND_API_KEY=...
                              extend-runs list --status FAILED --limit 20

    Exit status: 0 done, 1 API or network error, 2 bad usage, 130 interrupted.
    """


@cli.command("list")
@filter_options
@click.option(
    "--sort-by",
    type=choice(SortBy),
    help="Order by this timestamp [server default: updatedAt]; createdAt is stable for exports.",
)
@click.option("--sort-dir", type=choice(SortDir), help="Direction [server default: desc].")
@click.option(
    "--created-since",
    type=Moment(),
    metavar="TIME|AGE",
    help="Only runs created at or after TIME (ISO-8601 with an offset or Z) or AGE ago "
    "(7d, 12h, 30m).",
)
@click.option(
    "--created-before", type=Moment(), metavar="TIME|AGE", help="Only runs created before this."
)
@click.option(
    "--updated-since",
    type=Moment(),
    metavar="TIME|AGE",
    help="Only runs updated at or after this (one window per listing: created or updated).",
)
@click.option(
    "--updated-before", type=Moment(), metavar="TIME|AGE", help="Only runs updated before this."
)
@click.option("--limit", type=click.IntRange(min=0), metavar="N", help="Stop after N runs in all.")
@page_size_option(
    f"{WHOLE_EXPORT_PAGE_SIZE} for a whole export; with --limit N, or a terminal's first "
    f"{TERMINAL_TABLE_RUNS}, no more than needed"
)
@click.option(
    "--partition-by",
    type=PartitionFields(),
    metavar="FIELD[,FIELD]|auto",
    help="List each value of status, processor_type or source concurrently and merge them "
    "in order (faster for big exports); auto: by status, splitting by source the statuses "
    "that would take longest.",
)
@click.option(
    "--prefetch/--no-prefetch",
    default=None,
    help="Request the next page while the current one is written. Default: a whole export "
    "does so while the network is slower than writing, a terminal table never.",
)
@click.option(
    "--resume",
    "resume_from",
    metavar="CHECKPOINT",
    help="Continue exactly where an earlier listing with the same filters stopped: the "
    "checkpoint it printed.",
)
@click.option(
    "--cursor",
    metavar="TOKEN",
    help="Start from this page cursor (a nextPageToken); --resume is exact to the run.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    help="table on a terminal, else jsonl (or from the --output extension).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    metavar="FILE",
    help="Write to FILE instead of standard output.",
)
@click.option(
    "--append",
    is_flag=True,
    help="Add to FILE instead of replacing it (to resume with --resume).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")
@connection_options
@_one_line_errors
def list_command(
    *,
    status: Optional[str],
    processor_id: Optional[str],
    processor_type: Optional[str],
    source_id: Optional[str],
    source: Optional[str],
    file_name_contains: Optional[str],
    sort_by: Optional[str],
    sort_dir: Optional[str],
    created_since: Optional[datetime],
    created_before: Optional[datetime],
    updated_since: Optional[datetime],
    updated_before: Optional[datetime],
    limit: Optional[int],
    page_size: Optional[int],
    partition_by: Optional[PartitionByLike],
    prefetch: Optional[bool],
    resume_from: Optional[str],
    cursor: Optional[str],
    output_format: Optional[str],
    output: Optional[str],
    append: bool,
    quiet: bool,
    debug: bool,
    **connection: Any,
) -> None:
    """List processor runs, following every page, and write them out.

    Pages are written whole as they arrive. If the listing stops early (Ctrl-C, a
    network or API error) the runs written so far stay valid and a checkpoint is
    printed; run the same command with --resume CHECKPOINT --append to finish it.

    \b
    Examples:
      extend-runs list --status FAILED --limit 50
      extend-runs list --status FAILED --processor-id dp_123 --created-since 7d
      extend-runs list --sort-by createdAt -o runs.jsonl
      extend-runs list --processor-type EXTRACT --format csv > runs.csv
    """
    to_file = output is not None and output != "-"
    if append and not to_file:
        raise click.UsageError("--append needs --output FILE.")
    if resume_from is not None and cursor is not None:
        raise click.UsageError("--resume and --cursor cannot be combined: use --resume alone.")
    output_format = output_format or default_format(output, sys.stdout.isatty())
    interactive = output_format == "table" and not to_file and sys.stdout.isatty()
    whole_export = limit is None and not interactive
    if page_size is None and whole_export:
        page_size = WHOLE_EXPORT_PAGE_SIZE  # a whole export: the fewest requests
    first_only = interactive and limit is None
    if first_only:
        limit = TERMINAL_TABLE_RUNS  # a screenful, as `gh run list` shows
    client = _make_client(debug=debug, **connection)
    try:
        pager = client.list_processor_runs(
            params=ListProcessorRunsParams.model_validate(
                {
                    "status": status,
                    "processor_id": processor_id,
                    "processor_type": processor_type,
                    "source_id": source_id,
                    "source": source,
                    "file_name_contains": file_name_contains,
                    "sort_by": sort_by,
                    "sort_dir": sort_dir,
                    "max_page_size": page_size,
                    "next_page_token": cursor,
                }
            ),
            limit=limit,
            resume_from=resume_from,
            prefetch=("auto" if whole_export else False) if prefetch is None else prefetch,
            partition_by=partition_by,
            created_since=created_since,
            created_before=created_before,
            updated_since=updated_since,
            updated_before=updated_before,
        )
    except ValidationError as error:
        raise click.UsageError(_option_problems(error)) from None
    except ValueError as error:
        raise click.UsageError(option_problem(error)) from None
    state = ExportState(resume_token=cursor, checkpoint=resume_from)
    batch_size = None
    if partition_by:
        batch_size = page_size or min(limit or WHOLE_EXPORT_PAGE_SIZE, WHOLE_EXPORT_PAGE_SIZE)
    opened = _open_output(output if to_file else None, output_format, append, stream=interactive)
    with client, opened as writer:
        # A table streamed to the terminal is progress enough.
        progress = ListingProgress(
            Console(stderr=True), total=limit, enabled=not (quiet or interactive)
        )
        try:
            with progress:
                export(pager, writer, state, progress, batch_size=batch_size)
        except KeyboardInterrupt:
            _close_quietly(writer)
            _report_stop("interrupted", state, limit, to_file, cursor is not None)
            sys.exit(EXIT_INTERRUPTED)
        except APIError as error:
            _close_quietly(writer)
            click.echo(f"extend-runs: error: {describe_error(error)}", err=True)
            if not is_lasting(error):
                _report_stop(None, state, limit, to_file, cursor is not None)
            sys.exit(EXIT_API_ERROR)
        except Exception as error:
            if debug:
                raise
            _close_quietly(writer)
            click.echo(f"extend-runs: error: {describe_unexpected(error)}", err=True)
            _report_stop(None, state, limit, to_file, cursor is not None)
            sys.exit(EXIT_API_ERROR)
    if first_only and _more_to_show(pager, state, limit):
        click.echo(
            f"extend-runs: showing the first {TERMINAL_TABLE_RUNS} runs; use --limit N for "
            "more, or --format jsonl, a pipe or -o FILE for all of them",
            err=True,
        )
    if progress.enabled or (to_file and not quiet):
        where = f" to {output}" if to_file else ""
        click.echo(f"extend-runs: wrote {_written(state)}{where}", err=True)


def _more_to_show(pager: Any, state: ExportState, shown: Optional[int]) -> bool:
    """Whether a listing cut at ``shown`` runs had more (a partitioned one: probably)."""
    if state.runs < (shown or 0):
        return False
    try:
        return pager.next_page_token is not None
    except ValueError:
        return True


def _written(state: ExportState) -> str:
    if state.pages == 0 and state.runs:
        return _count(state.runs, "run")  # a partitioned listing has no pages of its own
    return f"{_count(state.runs, 'run')} ({_count(state.pages, 'page')})"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def is_lasting(error: APIError) -> bool:
    """Errors that the same request would meet again: resuming cannot help until fixed."""
    return isinstance(error, APIStatusError) and error.status_code in LASTING_STATUSES


def describe_unexpected(error: BaseException) -> str:
    """One line for an error that is not the API's (a full disk, a bug)."""
    if isinstance(error, OSError) and error.strerror:
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror}{where}"
    return f"unexpected {type(error).__name__}: {_one_line(str(error))} (--debug shows where)"


def _close_quietly(writer: PageWriter) -> None:
    """Finish the output as far as it can be finished; a second failure adds nothing."""
    with contextlib.suppress(Exception):
        writer.close()


def _option_problems(error: ValidationError) -> str:
    """Name the options behind a :class:`pydantic.ValidationError` of the listing's filters."""
    names = {"max_page_size": "page-size", "next_page_token": "cursor"}
    return "; ".join(
        "Invalid value for '--{}': {}".format(
            names.get(field, field.replace("_", "-")),
            problem["msg"],
        )
        for problem in error.errors(include_url=False, include_input=False)
        for field in [str(problem["loc"][0]) if problem["loc"] else "filters"]
    )


def _make_client(*, debug: bool = False, **settings: Any) -> Client:
    if not settings["api_key"]:
        raise click.UsageError(
            "No API key: set EXTEND_API_KEY or pass --api-key (try `extend-runs demo` "
            "to see the command with no account)."
        )
    try:
        return Client(**settings)
    except ValueError as error:
        message = str(error).replace("allow_insecure_http=True", "--allow-insecure-http")
        raise click.UsageError(message) from None


class _open_output:
    """The writer for ``--format``/``--output``/``--append``, closed on the way out."""

    def __init__(
        self, path: Optional[str], output_format: str, append: bool, *, stream: bool = False
    ) -> None:
        self._stream = stream
        self._path = path
        self._format = output_format
        self._append = append
        self._file: Optional[IO[str]] = None
        self._writer: Optional[PageWriter] = None

    def __enter__(self) -> PageWriter:
        self._writer = self._open()
        return self._writer

    def _open(self) -> PageWriter:
        continuing: Optional[bool] = None
        has_content = False
        stream: IO[str]
        if self._path is None:
            stream = sys.stdout
        else:
            if self._append and self._format == "json":
                try:
                    continuing = reopen_json_array(self._path)
                except AppendError as error:
                    raise click.UsageError(f"cannot --append: {error}") from None
            has_content = self._append and _non_empty(self._path)
            try:
                stream = self._file = open(  # noqa: SIM115  # closed in __exit__
                    self._path, "a" if self._append else "w", encoding="utf-8", newline=""
                )
            except OSError as error:
                _fail(f"cannot write {self._path}: {error.strerror or error}")
        if self._format == "jsonl":
            return JsonLinesWriter(stream)
        if self._format == "csv":
            return CsvWriter(stream, header=not (self._path and has_content))
        if self._format == "json":
            return JsonArrayWriter(stream, continuing=continuing)
        if self._stream:
            return StreamingTableWriter(stream)
        return TableWriter(stream)

    def __exit__(self, kind: Optional[type[BaseException]], *exc_info: object) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
            if self._file is not None:
                self._file.close()
        except OSError:
            if kind is None:
                raise
            # Already on the way out with an error (a full disk): say that one, not this.


def _non_empty(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def _report_stop(
    why: Optional[str],
    state: ExportState,
    limit: Optional[int],
    to_file: bool,
    started_from_cursor: bool,
) -> None:
    """Say how far the listing got and the exact options that resume it."""
    done = f"{_written(state)} written"
    if why is not None:
        done = f"{why}; {done}"
    if state.checkpoint is None:
        if why is None:
            return  # the error line says it all: nothing was written
        click.echo(f"extend-runs: {done}; run the same command again to start over.", err=True)
        return
    resume = f"--resume {shlex.quote(state.checkpoint)}"
    if to_file:
        resume += " --append"
    if limit is not None:
        resume += f" --limit {limit}"  # the checkpoint counts the runs already written
    how = "without --cursor, with" if started_from_cursor else "with"
    # Plain echo, not Rich: a checkpoint must come out exactly as it is, never styled or cut.
    click.echo(f"extend-runs: {done}; to resume, run the same command {how}: {resume}", err=True)
    click.echo(f"resume checkpoint: {state.checkpoint}", err=True)


@cli.command("watch")
@filter_options
@click.option(
    "--interval",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between the starts of two polls.",
)
@click.option(
    "--since",
    type=Moment(),
    metavar="TIME|AGE",
    help="First print the runs changed since TIME (ISO-8601) or AGE ago (7d, 12h), oldest first.",
)
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(WATCH_FORMATS),
    help="table (one line per change) on a terminal, else jsonl.",
)
@click.option(
    "--resume",
    "resume_from",
    metavar="CHECKPOINT",
    help="Continue a watch with the same filters where it stopped: the checkpoint it printed.",
)
@page_size_option("the server's 10")
@connection_options
@_one_line_errors
def watch_command(
    *,
    interval: float,
    since: Optional[datetime],
    output_format: Optional[str],
    resume_from: Optional[str],
    page_size: Optional[int],
    status: Optional[str],
    processor_id: Optional[str],
    processor_type: Optional[str],
    source_id: Optional[str],
    source: Optional[str],
    file_name_contains: Optional[str],
    **connection: Any,
) -> None:
    """Print runs as they are created or change, until Ctrl-C.

    Each change (a run whose updatedAt moves) is printed once, as it is found. On
    Ctrl-C the command prints the checkpoint to resume from and exits with status 130:
    run it again with --resume CHECKPOINT and nothing in between is missed. Failures
    that retrying may fix (network errors, 429, 5xx) are printed as warnings and the
    watch goes on; others (401, 403, ...) end it with status 1.

    \b
    Examples:
      extend-runs watch --status FAILED
      extend-runs watch --processor-id dp_123 --since 1h -f jsonl >> changes.jsonl
    """
    client = _make_client(**connection)
    try:
        watcher = client.watch_processor_runs(
            status=status,  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
            processor_id=processor_id,
            processor_type=processor_type,  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
            source_id=source_id,
            source=source,  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
            file_name_contains=file_name_contains,
            max_page_size=page_size,
            since=since,
            interval=interval,
            resume_from=resume_from,
        )
    except ValidationError as error:
        raise click.UsageError(_option_problems(error)) from None
    except ValueError as error:
        raise click.UsageError(option_problem(error)) from None
    writer = ChangeWriter(sys.stdout, output_format or default_watch_format(sys.stdout.isatty()))
    saved = watcher.checkpoint
    with client, _warnings_on_stderr():
        if sys.stderr.isatty():
            click.echo(f"extend-runs: watching every {interval:g} s; Ctrl-C to stop", err=True)
        try:
            changes = iter(watcher)
            while True:
                run = next(changes)
                # The checkpoint moves past a run only once its line is out.
                with interrupts_deferred():
                    writer.write(run)
                    saved = watcher.checkpoint
        except KeyboardInterrupt:
            watcher.close()
            click.echo(
                "extend-runs: stopped; to continue from here, run the same command with: "
                f"--resume {saved}",
                err=True,
            )
            click.echo(f"resume checkpoint: {saved}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except APIError as error:
            _fail(describe_error(error))


class _warnings_on_stderr:
    """Show the library's WARNING records (a watch's failed polls) as lines on stderr."""

    def __enter__(self) -> None:
        self._handler = logging.StreamHandler(sys.stderr)
        self._handler.setLevel(logging.WARNING)
        self._handler.setFormatter(logging.Formatter("extend-runs: warning: %(message)s"))
        logging.getLogger(LOGGER_NAME).addHandler(self._handler)

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger(LOGGER_NAME).removeHandler(self._handler)


@cli.command("sync")
@filter_options
@page_size_option(f"{WHOLE_EXPORT_PAGE_SIZE}")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="The file to append the runs to (created on the first sync).",
)
@click.option(
    "--state",
    "state_path",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="STATE",
    help="Where this sync keeps how far it got (JSON; created on the first sync).",
)
@click.option(
    "--since",
    type=Moment(),
    metavar="TIME|AGE",
    help="First sync only: start from the runs changed since TIME (ISO-8601) or AGE ago, "
    "instead of every run.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(SYNC_FORMATS),
    help="jsonl, or csv [default: from the FILE extension, else jsonl].",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary line on stderr.")
@connection_options
@_one_line_errors
def sync_command(
    *,
    output: str,
    state_path: str,
    since: Optional[datetime],
    output_format: Optional[str],
    page_size: Optional[int],
    quiet: bool,
    status: Optional[str],
    processor_id: Optional[str],
    processor_type: Optional[str],
    source_id: Optional[str],
    source: Optional[str],
    file_name_contains: Optional[str],
    **connection: Any,
) -> None:
    """Append to FILE every run created or changed since the previous sync.

    The first sync appends every run (or those changed since --since); each later one
    appends only the runs created or changed since, and nothing when nothing changed.
    STATE is replaced, atomically, only after FILE is safely on disk: a sync stopped at
    any moment (Ctrl-C, an error, kill -9, a power cut) repeats some records at most on
    the next run, and never skips one. Each record carries id and updatedAt: keep the
    one with the latest updatedAt of each id.

    \b
    Examples:
      extend-runs sync -o runs.jsonl --state runs.state.json
      extend-runs sync --status FAILED -o failed.csv --state failed.state.json --since 30d
    """
    output_format = output_format or ("csv" if output.lower().endswith(".csv") else "jsonl")
    try:
        params = ListProcessorRunsParams.model_validate(
            {
                "status": status,
                "processor_id": processor_id,
                "processor_type": processor_type,
                "source_id": source_id,
                "source": source,
                "file_name_contains": file_name_contains,
            }
        )
    except ValidationError as error:
        raise click.UsageError(_option_problems(error)) from None
    filters = params.to_query()
    try:
        previous = read_state(state_path)
    except StateError as error:
        raise click.UsageError(f"cannot use --state {state_path}: {error}") from None
    if previous is not None and dict(previous.filters) != filters:
        raise click.UsageError(
            f"--state {state_path} belongs to a sync with other filters "
            f"({_describe_filters(previous.filters)}; this one has "
            f"{_describe_filters(filters)}): give each set of filters its own state file"
        )
    if previous is not None and previous.output_format != output_format:
        raise click.UsageError(
            f"--state {state_path} belongs to a sync writing {previous.output_format}, "
            f"not {output_format}"
        )
    mark = previous.mark if previous is not None else SyncMark(since)
    client = _make_client(**connection)
    pager = client.list_processor_runs(
        params=params.model_copy(
            update={
                "sort_by": SortBy.UPDATED_AT,
                "sort_dir": SortDir.DESC,
                "max_page_size": page_size or WHOLE_EXPORT_PAGE_SIZE,
            }
        ),
        updated_since=mark.newest,
        prefetch="auto",  # a whole export: fetch ahead while the network is the wait
    )
    try:
        dropped = repair_torn_tail(output)
    except OSError as error:
        _fail(f"cannot repair {output}: {error.strerror or error}")
    if dropped:
        click.echo(
            f"extend-runs: {output} ended with an incomplete record left by an interrupted "
            f"sync: cut off its last {dropped:,} bytes",
            err=True,
        )
    seen, written = mark, 0
    with client, _open_for_sync(output) as stream:
        writer: PageWriter = (
            CsvWriter(stream, header=stream.tell() == 0)
            if output_format == "csv"
            else JsonLinesWriter(stream)
        )
        try:
            for page in pager.pages():
                fresh = [run for run in page.processor_runs if not mark.covers(run)]
                writer.write_page(fresh)
                written += len(fresh)
                seen = seen.after(page.processor_runs)
            sync_to_disk(stream)
        except KeyboardInterrupt:
            _report_unsynced("interrupted", written, output)
            sys.exit(EXIT_INTERRUPTED)
        except APIError as error:
            click.echo(f"extend-runs: error: {describe_error(error)}", err=True)
            _report_unsynced(None, written, output)
            sys.exit(EXIT_API_ERROR)
        except OSError as error:
            _fail(f"cannot write {output}: {error.strerror or error}")
    state = SyncState(filters, output_format, seen)
    if state != previous:
        try:
            write_state(state_path, state)
        except OSError as error:
            _fail(f"cannot write --state {state_path}: {error.strerror or error}")
    if not quiet:
        since_text = "" if mark.newest is None else f" since {_iso(mark.newest)}"
        if written:
            click.echo(
                f"extend-runs: appended {_count(written, 'run')}{since_text} to {output}", err=True
            )
        else:
            click.echo(f"extend-runs: no changes{since_text}; nothing appended", err=True)


def _open_for_sync(path: str) -> IO[str]:
    try:
        return open(path, "a", encoding="utf-8", newline="")
    except OSError as error:
        _fail(f"cannot write {path}: {error.strerror or error}")


def _report_unsynced(why: Optional[str], written: int, output: str) -> None:
    done = f"{why}; " if why else ""
    click.echo(
        f"extend-runs: {done}{_count(written, 'run')} appended to {output} but not recorded as "
        f"synced: the next sync lists {'it' if written == 1 else 'them'} again",
        err=True,
    )


def _describe_filters(filters: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(filters.items())) or "no filters"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@cli.command("demo")
@click.option(
    "--runs",
    "count",
    type=click.IntRange(1, 100_000),
    default=250,
    show_default=True,
    help="How many runs the fake server holds.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the fake data.")
@click.option(
    "--show",
    type=click.IntRange(0, 1000),
    default=15,
    show_default=True,
    help="Runs shown in the table.",
)
def demo_command(count: int, seed: int, show: int) -> None:
    """See the client work with no account: list runs from a built-in fake server.

    It starts extend_runs.testing.FakeExtend inside this process with generated runs,
    lists the newest ones into a table, then walks every page to count runs by status.
    Nothing leaves this machine.
    """
    from ._demo import run_demo

    run_demo(Console(highlight=False), count=count, seed=seed, show=show)
