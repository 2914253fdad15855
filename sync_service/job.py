"""One run of the sync: a Job carries the config, the Odoo client, the
counters and the options; the functions below do the work."""

import fcntl
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field

from .odoo import JsonRpcTransport, OdooClient
from .sources import open_source
from .targets import open_target

EXIT_OK, EXIT_FAILED, EXIT_REJECTED = 0, 1, 2
_logger = logging.getLogger("crm_sync")


class AlreadyRunning(Exception):
    pass


class RunLock:
    """One sync at a time: an exclusive lock on a file, released by the
    kernel when the process dies, even by ``kill -9``."""

    def __init__(self, path):
        self.path = path
        self.handle = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a+")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise AlreadyRunning(f"another crm-sync run holds {self.path}") from None
        self.handle.truncate(0)
        self.handle.write(str(os.getpid()))
        self.handle.flush()
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


class TerminalProgress:
    """What a person at a terminal sees: one line per job, redrawn as its
    pages go by (a bar when the source knows how far it is), then a line per
    event that matters."""

    width = 24

    def __init__(self, stream):
        self.stream = stream
        self.line_open = False

    def show(self, event, values):
        values = dict(values)
        name = values.pop("source", None) or values.pop("target", None) or ""
        progress = values.pop("progress", None)
        values.pop("bookmark", None)
        counts = " ".join(f"{key}={value}" for key, value in values.items())
        if event != "page":
            self._end_line()
            print(f"{name}: {event} {counts}", file=self.stream, flush=True)
            return
        bar = ""
        if progress and progress[1]:
            done, total = progress
            filled = round(self.width * min(done, total) / total)
            bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} "
        self.stream.write(f"\r\x1b[K{name} {bar}{counts}")
        self.stream.flush()
        self.line_open = True

    def _end_line(self):
        if self.line_open:
            self.stream.write("\n")
            self.line_open = False


@dataclass
class Job:
    config: object
    dry_run: bool = False
    full_refresh: bool = False
    client: object = None
    counts: dict = field(default_factory=dict)
    rejected: int = 0
    failures: list = field(default_factory=list)
    terminal: object = None

    def __post_init__(self):
        if self.client is None:
            self.client = OdooClient(JsonRpcTransport(self.config.odoo))

    def log(self, event, **values):
        """A JSON line on stderr; on a terminal a progress bar instead."""
        if self.terminal is None:
            on_terminal = sys.stderr.isatty()
            self.terminal = TerminalProgress(sys.stderr) if on_terminal else False
        if self.terminal:
            self.terminal.show(event, values)
            return
        print(
            json.dumps({"time": time.time(), "event": event, **values}, default=str),
            file=sys.stderr,
            flush=True,
        )

    def exit_code(self):
        if self.failures:
            return EXIT_FAILED
        return EXIT_REJECTED if self.rejected else EXIT_OK


def pull_invoices(job, source_config):
    """Pull one source into Odoo, page after page, each with its bookmark."""
    client = job.client
    started = client.sync_start(source_config.name, "pull", job.dry_run)
    run_id, before = started["run_id"], started["bookmark"]
    source = open_source(source_config)
    totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    try:
        before = _retry_queued(job, run_id, source_config, source, before, totals)
        read_from = None if job.full_refresh else before
        for page in source.pages(read_from, job.config.odoo.page_size):
            result = client.sync_import_page(
                run_id,
                source_config.name,
                page.rows,
                before,
                page.bookmark,
                job.dry_run,
            )
            if not result["applied"] and not job.dry_run:
                if result["bookmark"] != page.bookmark:
                    raise RuntimeError(
                        f"source {source_config.name}: Odoo's bookmark is "
                        f"{result['bookmark']!r}, expected {before!r}: another run "
                        "moved it; run again"
                    )
                # applied by a call whose answer was lost
            for key in totals:
                totals[key] += result.get(key, 0)
            if not job.dry_run:
                page.acknowledge()
                before = page.bookmark
            job.log(
                "page",
                source=source_config.name,
                bookmark=page.bookmark,
                progress=page.progress,
                **totals,
            )
    except Exception as error:
        job.failures.append(f"{source_config.name}: {error}")
        job.log("failed", source=source_config.name, error=str(error))
        _finish_quietly(client, run_id, "failed", str(error))
        return totals
    status = "done_with_rejects" if totals["rejected"] else "done"
    client.sync_finish(run_id, status)
    job.rejected += totals["rejected"]
    job.counts[source_config.name] = totals
    job.log("done", source=source_config.name, status=status, **totals)
    return totals


def _retry_queued(job, run_id, source_config, source, bookmark, totals):
    """Records a manager queued for retry go first, in a page that leaves
    the bookmark where it is."""
    queued = job.client.sync_pending_retries(source_config.name)
    rows = [row for item in queued if (row := source.retry_row(item["payload"]))]
    if not rows:
        return bookmark
    result = job.client.sync_import_page(
        run_id, source_config.name, rows, bookmark, bookmark, job.dry_run
    )
    for key in totals:
        totals[key] += result.get(key, 0)
    job.log("retried", source=source_config.name, rows=len(rows))
    return bookmark


def push_customers(job, target_config):
    """Push the customers changed since the last run to one target."""
    client = job.client
    started = client.sync_start(target_config.name, "push", job.dry_run)
    run_id = started["run_id"]
    target = open_target(target_config)
    full_refresh = job.full_refresh or getattr(target, "full_refresh", False)
    totals = {"pushed": 0, "deleted": 0}
    try:
        while True:
            changes = client.sync_push_changes(
                target_config.name, job.config.odoo.page_size, full_refresh
            )
            if job.dry_run:
                totals["pushed"] += len(changes["upserts"])
                totals["deleted"] += len(changes["deletes"])
                break
            results = target.apply(changes)
            client.sync_push_record(target_config.name, results)
            totals["pushed"] += len(changes["upserts"])
            totals["deleted"] += len(changes["deletes"])
            job.log("page", target=target_config.name, **totals)
            if not changes["more"]:
                break
        if not job.dry_run:
            target.finish()
    except Exception as error:
        job.failures.append(f"{target_config.name}: {error}")
        job.log("failed", target=target_config.name, error=str(error))
        _finish_quietly(client, run_id, "failed", str(error))
        return totals
    client.sync_finish(run_id, "done")
    job.counts[target_config.name] = totals
    job.log("done", target=target_config.name, **totals)
    return totals


def nightly(job):
    """Every source, then every target, in the order of the configuration."""
    for source in job.config.sources:
        pull_invoices(job, source)
    for target in job.config.targets:
        push_customers(job, target)


def _finish_quietly(client, run_id, status, error):
    try:
        client.sync_finish(run_id, status, error)
    except Exception as finish_error:  # noqa: BLE001 - Odoo may be the failure
        _logger.debug("could not close run %s: %s", run_id, finish_error)
