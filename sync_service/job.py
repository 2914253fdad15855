"""One run of the sync: a Job carries the config, the Odoo client, the
counters and the options; the functions below do the work.

Before anything reaches Odoo, ``preflight`` opens every source and target of
the command and checks what can be checked locally (a drop folder that is not
there, a file target's path that is a folder): a problem is a configuration
error naming the key, and no run is created. The final counts of a run are the
server's (``sync_finish`` answers them, counted over every page, also pages
sent again after a lost answer); a server answering only True leaves the
client's own sums.
"""

import fcntl
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from . import log
from .config import Config, SourceConfig, TargetConfig
from .errors import AlreadyRunning, ConfigError, PreflightError
from .log import TerminalProgress as TerminalProgress  # its old home
from .odoo import OdooClient, transport
from .sources import cut_rows, open_source
from .sources.base import Bookmark, Page, Row, SizedSource, Source
from .targets import open_target
from .targets.base import Result, Target

EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2
PULL_COUNTS = ("read", "created", "updated", "unchanged", "rejected")
PUSH_COUNTS = ("pushed", "deleted", "failed")
# what a call to Odoo carries besides the rows of a page (database, key,
# job, bookmarks), with room to spare: rows get odoo.max_page_bytes less this
ENVELOPE_BYTES = 16 * 1024
# the bookmark of a page applied in part: "<bookmark before the page> +part 2"
PART_MARK = " +part "
PART_BOOKMARK = re.compile(rf"(.*){re.escape(PART_MARK)}(\d+)", re.DOTALL)
_logger = log.LOGGER


class RunLock:
    """One sync at a time: an exclusive lock on a file, released by the
    kernel when the process dies, even by ``kill -9``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = handle = open(self.path, "a+")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise AlreadyRunning(
                f"another crm-sync run is going on (process {holder or '?'} "
                f"holds the lock {self.path}); try again when it is done"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self.handle is not None  # entered
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


@dataclass
class Job:
    config: Config
    dry_run: bool = False
    full_refresh: bool = False
    # made from config.odoo when not given
    client: OdooClient = None  # type: ignore[assignment]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rejected: int = 0
    # customers a target refused (pushes)
    refused: int = 0
    failures: list[str] = field(default_factory=list)
    terminal: TerminalProgress | None = None

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = OdooClient(transport(self.config.odoo))

    def log(self, event: str, **values: Any) -> None:
        """An event of the run through the ``crm_sync`` logger (see
        ``log.py``: JSON lines, or a progress bar on a terminal). Every
        event of a dry run says so."""
        if self.dry_run:
            values["dry_run"] = True
        if self.terminal:
            self.terminal.show(event, values)
            return
        log.event(event, **values)

    def exit_code(self) -> int:
        if self.failures:
            return EXIT_FAILED
        return EXIT_REJECTED if self.rejected or self.refused else EXIT_OK


def _where(config: Config, section: str, item: SourceConfig | TargetConfig) -> str:
    items = getattr(config, section, None) or []
    for index, candidate in enumerate(items):
        if candidate is item or candidate.name == item.name:
            return f"{section}[{index}]"
    return f"{section}[{item.name!r}]"


def _describe(error: BaseException) -> str:
    """The message of an error; its type too when the message alone would
    not say what went wrong (``KeyError: 'id'``)."""
    ours = type(error).__module__.startswith("sync_service.")
    if (ours or isinstance(error, OSError | ValueError)) and str(error):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _open_checked(
    config: Config, section: str, item: SourceConfig | TargetConfig
) -> Any:
    """The source or target of ``item``, opened and checked; PreflightError
    naming the key when it cannot be used. Touches nothing."""
    where = _where(config, section, item)
    folder = getattr(item, "folder", None)
    if folder is not None and not Path(folder).is_dir():
        state = "is not a folder" if Path(folder).exists() else "does not exist"
        raise PreflightError([f"{where}.folder: {folder} {state}"])
    try:
        opened = (
            open_source(item) if isinstance(item, SourceConfig) else open_target(item)
        )
        check = getattr(opened, "check", None)
        if check:
            check()
    except ConfigError as error:
        # a check names the key inside the section: "path: ..."
        raise PreflightError([f"{where}.{error}"]) from None
    except Exception as error:  # noqa: BLE001 - a source's own failure, reported
        raise PreflightError([f"{where} ({item.name}): {_describe(error)}"]) from None
    return opened


def _open_or_fail(job: Job, section: str, item: SourceConfig | TargetConfig) -> Any:
    """The source or target opened, or None with the failure logged."""
    try:
        return _open_checked(job.config, section, item)
    except PreflightError as error:
        job.failures.append(str(error))
        job.log("failed", **{section[:-1]: item.name}, error=str(error))
        return None


def _open_and_start(
    job: Job,
    section: str,
    item: SourceConfig | TargetConfig,
    opened: Any,
    kind: str,
) -> tuple[Any, Any]:
    """(the source or target, as given or opened now; Odoo's answer to the
    start of its run), or (None, None) when it cannot be opened (logged)."""
    if opened is None:
        opened = _open_or_fail(job, section, item)
        if opened is None:
            return None, None
    return opened, job.client.sync_start(item.name, kind, job.dry_run)


def preflight(
    config: Config,
    sources: Sequence[SourceConfig] = (),
    targets: Sequence[TargetConfig] = (),
) -> dict[tuple[str, str], Any]:
    """Open and check every source and target of the command before any run
    starts: {(section, name): opened}; PreflightError lists every problem."""
    opened: dict[tuple[str, str], Any] = {}
    problems: list[str] = []
    sections: tuple[tuple[str, Sequence[SourceConfig | TargetConfig]], ...] = (
        ("sources", sources),
        ("targets", targets),
    )
    for section, items in sections:
        for item in items:
            try:
                opened[section, item.name] = _open_checked(config, section, item)
            except PreflightError as error:
                problems += error.problems
    if problems:
        raise PreflightError(problems)
    return opened


def _final_counts(
    job: Job, server: object, totals: dict[str, int], keys: Iterable[str]
) -> dict[str, int]:
    """The server's counts of the run when it answers them, else ours."""
    if job.dry_run or not isinstance(server, dict):
        return dict(totals)
    return {key: int(server.get(key) or 0) for key in keys}


def pull_invoices(
    job: Job,
    source_config: SourceConfig,
    source: Source | SizedSource | None = None,
) -> dict[str, int]:
    """Pull one source into Odoo, page after page, each with its bookmark.

    A page goes in calls of at most ``odoo.page_size`` rows and
    ``odoo.max_page_bytes`` bytes (``_send_page``); what a source notes
    beside its rows (an empty file) is logged and kept on the run."""
    source, started = _open_and_start(job, "sources", source_config, source, "pull")
    totals = dict.fromkeys(PULL_COUNTS, 0)
    if source is None:
        return totals
    client = job.client
    run_id, before = started["run_id"], started["bookmark"]
    notes: list[str] = []
    dry_run_seen: dict[str, Row] = {}
    try:
        before = _retry_queued(job, run_id, source_config, source, before, totals)
        read_from = None if job.full_refresh else _split_bookmark(before)[0]
        for page in _source_pages(job, source, read_from):
            if page.note:
                notes.append(page.note)
                job.log("note", source=source_config.name, message=page.note)
            rows = _without_dry_run_repeats(job, page.rows, dry_run_seen, totals)
            before = _send_page(
                job, run_id, source_config.name, rows, before, page.bookmark, totals
            )
            totals["read"] += len(page.rows)
            if not job.dry_run:
                page.acknowledge()
            job.log(
                "page",
                source=source_config.name,
                bookmark=page.bookmark,
                progress=page.progress,
                **totals,
            )
    except Exception as error:  # noqa: BLE001 - reported, never a traceback
        message = _describe(error)
        job.failures.append(f"{source_config.name}: {message}")
        job.log("failed", source=source_config.name, error=message)
        _finish_quietly(client, run_id, "failed", "\n".join([*notes, message]))
        return totals
    status = "done_with_rejects" if totals["rejected"] else "done"
    # the notes go with the run, where a failure's message goes
    server = client.sync_finish(run_id, status, *(["\n".join(notes)] if notes else []))
    final = _final_counts(job, server, totals, PULL_COUNTS)
    job.rejected += final["rejected"]
    job.counts[source_config.name] = final
    job.log("done", source=source_config.name, status=status, **final)
    return final


def _row_budget(job: Job) -> int:
    """The bytes of rows one call to Odoo may carry."""
    return job.config.odoo.max_page_bytes - ENVELOPE_BYTES


def _source_pages(
    job: Job, source: Source | SizedSource, bookmark: Bookmark
) -> Iterable[Page]:
    """The source's pages after ``bookmark``; a source that can cuts them
    by size itself, reading no more than a page's worth of PDFs at once."""
    page_size = job.config.odoo.page_size
    if getattr(source, "cuts_by_size", False):
        assert isinstance(source, SizedSource)
        return source.pages(bookmark, page_size, max_bytes=_row_budget(job))
    return source.pages(bookmark, page_size)


def _split_bookmark(bookmark: Bookmark) -> tuple[Bookmark, int]:
    """(the source's bookmark, parts of the page after it applied) of a
    bookmark that Odoo holds: ``B +part 2`` when a run stopped between the
    parts of a page cut by size, or ``B`` itself."""
    match = PART_BOOKMARK.fullmatch(bookmark or "")
    if match:
        return match[1] or None, int(match[2])
    return bookmark, 0


def _send_page(
    job: Job,
    run_id: int,
    name: str,
    rows: list[Row],
    before: Bookmark,
    after: str,
    totals: dict[str, int],
) -> Bookmark:
    """Apply one page of the source in Odoo, from the bookmark ``before`` to
    ``after``; returns the bookmark Odoo now holds (``before`` in a dry run).

    A page with more rows or bytes than a call may carry goes in parts, each
    but the last ending at a bookmark of its own (``B +part 2``: the
    source's bookmark before the page, the parts done). A part whose answer
    was lost is then not applied twice, and a run stopped between parts
    reads the page from ``B`` again and sends it all after the part Odoo
    has (the rows it holds already come out unchanged). A row too big for
    any call is sent as its rejection."""
    parts = list(cut_rows(rows, job.config.odoo.page_size, _row_budget(job)))
    start, done = _split_bookmark(before)
    for number, part in enumerate(parts, start=done + 1):
        last = number == done + len(parts)
        part_after = after if last else f"{start or ''}{PART_MARK}{number}"
        result = job.client.sync_import_page(
            run_id, name, part, before, part_after, job.dry_run
        )
        if not result["applied"] and not job.dry_run:
            if result["bookmark"] != part_after:
                raise RuntimeError(
                    f"source {name}: Odoo's bookmark is {result['bookmark']!r}, "
                    f"expected {before!r}: another run moved it; run again"
                )
            # applied by a call whose answer was lost
        for key in PULL_COUNTS[1:]:
            totals[key] += result.get(key, 0)
        if not job.dry_run:
            before = part_after
    return before


def _without_dry_run_repeats(
    job: Job, rows: list[Row], seen: dict[str, Row], totals: dict[str, int]
) -> list[Row]:
    """The rows of a dry run's page to send to Odoo. A dry run writes
    nothing, so Odoo would count an invoice id read in an earlier page (in
    another file) as created again: such rows are counted here as a run
    would count them, updated, or unchanged when their content is the same.
    ``seen``: {external id: content} of the rows sent so far."""
    if not job.dry_run:
        return rows
    send: list[Row] = []
    for row in rows:
        key = row.get("external_id") if isinstance(row, dict) else None
        if not key or row.get("reject_reason"):
            send.append(row)
            continue
        content = {k: v for k, v in row.items() if k != "payload"}
        if key in seen:
            totals["unchanged" if seen[key] == content else "updated"] += 1
        else:
            send.append(row)
        seen[key] = content
    return send


def _retry_queued(
    job: Job,
    run_id: int,
    source_config: SourceConfig,
    source: Source | SizedSource,
    bookmark: Bookmark,
    totals: dict[str, int],
) -> Bookmark:
    """Records a manager queued for retry go first, in pages that leave the
    bookmark where it is."""
    queued = job.client.sync_pending_retries(source_config.name)
    # each row names its issue, which Odoo then resolves or updates
    rows = [
        {**row, "retry_issue_id": item["issue_id"]}
        for item in queued
        if (row := source.retry_row(item["payload"]))
    ]
    if not rows:
        return bookmark
    for part in cut_rows(rows, job.config.odoo.page_size, _row_budget(job)):
        result = job.client.sync_import_page(
            run_id, source_config.name, part, bookmark, bookmark, job.dry_run
        )
        for key in PULL_COUNTS[1:]:
            totals[key] += result.get(key, 0)
    totals["read"] += len(rows)
    job.log("retried", source=source_config.name, rows=len(rows))
    return bookmark


def push_customers(
    job: Job, target_config: TargetConfig, target: Target | None = None
) -> dict[str, int]:
    """Push the customers changed since the last run to one target, page
    after page by customer id, with the fields the target's configuration
    names.

    A customer the target refuses (a 4xx for its card) is reported to Odoo as
    an error entry, becomes a sync issue there and the others go on; the next
    page starts after it, so it is not offered again in the same run. A
    target holding every customer at once (a file) gets all of them when
    anything changed and is left as it is otherwise. A failure of the target
    itself (unreachable, 5xx or 429 after retries, 401/403) fails the run."""
    target, started = _open_and_start(job, "targets", target_config, target, "push")
    totals = dict.fromkeys(PUSH_COUNTS, 0)
    if target is None:
        return totals
    client = job.client
    run_id = started["run_id"]
    begin = getattr(target, "begin", None)
    if begin:
        begin(run_id)
    whole = getattr(target, "full_refresh", False)
    path = getattr(target_config, "path", None)
    full_refresh = job.full_refresh or (whole and not (path and path.exists()))
    fields = getattr(target_config, "fields", None)
    after: Any = False
    rewrite = full_refresh
    try:
        while True:
            changes = client.sync_push_changes(
                target_config.name,
                run_id,
                after,
                job.config.odoo.page_size,
                full_refresh,
                fields,
                everyone_if_changed=whole,
            )
            rewrite = rewrite or changes.get("full_refresh", False)
            if job.dry_run:
                totals["pushed"] += len(changes["upserts"])
                totals["deleted"] += len(changes["deletes"])
            elif changes["upserts"] or changes["deletes"]:
                results = target.apply(changes)
                _count_results(job, target_config, results, totals)
                client.sync_push_record(target_config.name, run_id, results)
            job.log("page", target=target_config.name, **totals)
            if not changes["more"]:
                break
            after = changes["after"]
        if not job.dry_run and (rewrite or not whole):
            target.finish()
    except Exception as error:  # noqa: BLE001 - reported, never a traceback
        message = _describe(error)
        job.failures.append(f"{target_config.name}: {message}")
        job.log("failed", target=target_config.name, error=message)
        _finish_quietly(client, run_id, "failed", message)
        return totals
    status = "done_with_rejects" if totals["failed"] else "done"
    final = _final_counts(job, client.sync_finish(run_id, status), totals, PUSH_COUNTS)
    job.refused += final["failed"]
    job.counts[target_config.name] = final
    job.log("done", target=target_config.name, status=status, **final)
    return final


def _count_results(
    job: Job,
    target_config: TargetConfig,
    results: list[Result],
    totals: dict[str, int],
) -> None:
    for result in results:
        if "error" in result:
            totals["failed"] += 1
            job.log(
                "refused",
                target=target_config.name,
                partner_id=result.get("partner_id"),
                error=result["error"],
            )
        elif result.get("deleted"):
            totals["deleted"] += 1
        else:
            totals["pushed"] += 1


def nightly(job: Job, opened: dict[tuple[str, str], Any] | None = None) -> None:
    """Every source, then every target, in the order of the configuration
    (``opened``: what ``preflight`` opened)."""
    opened = opened or {}
    for source in job.config.sources:
        pull_invoices(job, source, opened.get(("sources", source.name)))
    for target in job.config.targets:
        push_customers(job, target, opened.get(("targets", target.name)))


def _finish_quietly(client: OdooClient, run_id: int, status: str, error: str) -> None:
    try:
        client.sync_finish(run_id, status, error)
    except Exception as finish_error:  # noqa: BLE001 - Odoo may be the failure
        _logger.debug("could not close run %s: %s", run_id, finish_error)
