"""Benchmark of crm-sync against a live Odoo: a script printing figures, not a test.

Pulls invoices from a CSV drop folder into Odoo through the batched page API and,
in the same run, a naive import of one record per call, and compares their rates
(PASS when batched is at least 15 times faster; the exit code is 1 on FAIL).
Re-imports the same invoices (nothing changed) and counts exactly what it wrote:
invoice rows whose write_date moved and sync issues created, read with psql over
the Unix socket Odoo uses. Pushes the first customers to a Radicale address book,
then again with nothing changed, counting the card files Radicale wrote. Then
pushes every customer to a CSV file target: a first push, a push with nothing
changed, and a push after one customer changed, each with its time, the calls
crm-sync made and the SQL queries Odoo ran for them (from Odoo's request log).

    .venv/bin/python bench/bench_sync.py  # 10k invoices, 1k naive, 5k + 50k customers
    .venv/bin/python bench/bench_sync.py --invoices 2000 --naive 200 \\
        --radicale-customers 500 --customers 5000

With --keep the database stays; a later run on it makes its own sync jobs (named
after the time) and adds only the customers that are missing. Radicale is pushed
only while the database has no more customers than --radicale-customers (0: never).
"""

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests"), str(REPO)]

from odoo_env import (  # noqa: E402
    ADDON,
    database_exists,
    drop_database,
    free_port,
    write_config,
)
from servers import OdooServer, Radicale, create_database  # noqa: E402

from sync_service.config import (  # noqa: E402
    Config,
    OdooConfig,
    Secret,
    SourceConfig,
    TargetConfig,
)
from sync_service.job import Job, pull_invoices, push_customers  # noqa: E402
from sync_service.odoo import JsonRpcTransport, OdooClient  # noqa: E402

TARGET_RATIO = 15
# Odoo's log of a request: ... "POST /jsonrpc HTTP/1.1" 200 - <queries> <s> <s>
REQUEST_LINE = re.compile(r'"POST /jsonrpc HTTP/1\.1" \d+ - (\d+) [\d.]+ [\d.]+')
SYNC_LOGIN, SYNC_PASSWORD = "crm-sync-bench", "bench-Key-1"
COLUMNS = {
    "external_id": "id",
    "number": "number",
    "issued_on": "date",
    "currency": "currency",
    "amount_total": "total",
    "amount_due": "due",
    "status": "status",
    "customer_vat": "vat",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"{ADDON}_bench_sync")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument(
        "--naive", type=int, default=1_000, help="rows of the naive import"
    )
    parser.add_argument(
        "--customers", type=int, default=50_000, help="customers pushed to a file"
    )
    parser.add_argument(
        "--radicale-customers",
        type=int,
        default=5_000,
        help="customers pushed to Radicale (0: no Radicale)",
    )
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def vat(i):
    return f"IL5{i:08d}"


def prepare(admin, customers):
    """The sync user, ILS, and ``customers`` customers: the number added; on
    a database kept from an earlier run only what is missing is added."""
    [group] = admin(
        "ir.model.data",
        "search_read",
        [("module", "=", "crm_relationship"), ("name", "=", "group_sync")],
        fields=["res_id"],
    )
    users = admin(
        "res.users",
        "search",
        [("login", "=", SYNC_LOGIN)],
        context={"active_test": False},
    )
    values = {
        "name": "crm-sync bench",
        "login": SYNC_LOGIN,
        "password": SYNC_PASSWORD,
        "active": True,
        "groups_id": [(6, 0, [group["res_id"]])],
    }
    if users:
        admin("res.users", "write", users, values)
    else:
        admin("res.users", "create", values)
    ils = admin(
        "res.currency", "search", [("name", "=", "ILS")], context={"active_test": False}
    )
    admin("res.currency", "write", ils, {"active": True})
    existing = {
        row["vat"]
        for row in admin(
            "res.partner",
            "search_read",
            [("vat", "=like", "IL5%"), ("customer_rank", ">", 0)],
            fields=["vat"],
        )
    }
    missing = [i for i in range(customers) if vat(i) not in existing]
    for start in range(0, len(missing), 1000):
        admin(
            "res.partner",
            "create",
            [
                {
                    "name": f"לקוח {i} בע״מ" if i % 2 else f"Customer {i} Ltd",
                    "is_company": True,
                    "customer_rank": 1,
                    "vat": vat(i),
                    "email": f"customer{i}@example.com",
                    "phone": f"+972 3 {i:07d}",
                    "city": "תל אביב" if i % 2 else "Haifa",
                }
                for i in missing[start : start + 1000]
            ],
        )
    return len(missing)


def write_csv(path, count, customers, prefix="INV"):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(COLUMNS.values()))
        for i in range(count):
            writer.writerow(
                [
                    f"{prefix}-{i}",
                    f"{prefix}/{i:06d}",
                    "2026-10-01",
                    "ILS",
                    f"{100 + i % 900}.00",
                    f"{(100 + i % 900) if i % 3 else 0}.00",
                    "open" if i % 3 else "paid",
                    vat(i % customers),
                ]
            )


class CountingTransport(JsonRpcTransport):
    """The Odoo transport of crm-sync, counting its calls."""

    calls = 0

    def call(self, *args, **kwargs):
        self.calls += 1
        return super().call(*args, **kwargs)


def queries_logged(log_path, since_offset):
    """(requests, SQL queries) Odoo logged for /jsonrpc after ``since_offset``
    of its log: the werkzeug line of each request ends with its query count,
    query time and other time."""
    requests = queries = 0
    with open(log_path, encoding="utf-8", errors="replace") as log:
        log.seek(since_offset)
        for line in log:
            match = REQUEST_LINE.search(line)
            if match:
                requests += 1
                queries += int(match.group(1))
    return requests, queries


def timed_push(job, target, log_path):
    """(totals, seconds, calls, requests, queries) of one push."""
    transport = job.client.transport
    calls_before, offset = transport.calls, log_path.stat().st_size
    started = time.perf_counter()
    totals = push_customers(job, target)
    seconds = time.perf_counter() - started
    time.sleep(0.5)  # the request log line of the last call
    requests, queries = queries_logged(log_path, offset)
    return totals, seconds, transport.calls - calls_before, requests, queries


def push_figure(totals, seconds, calls, requests, queries):
    return (
        f"{totals['pushed']:,} customers pushed in {seconds:.1f} s, "
        f"{calls} calls, {queries:,} SQL queries in Odoo "
        f"({requests} requests logged)"
    )


def psql(database, query):
    """One value, through the Unix socket as Odoo connects (db_host empty)."""
    return subprocess.run(
        ["psql", "-X", "-At", "-d", database, "-c", query],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def db_now(database):
    """The database's clock in UTC, as Odoo stores write_date."""
    return psql(database, "SELECT (now() AT TIME ZONE 'UTC')::text")


def writes_since(database, since):
    """(invoice rows created or written, sync issues created) since ``since``:
    exact, from the rows themselves (not pg_stat, whose figures come late)."""
    invoices = psql(
        database,
        "SELECT count(*) FROM crm_external_invoice "
        f"WHERE write_date > '{since}' OR create_date > '{since}'",
    )
    issues = psql(
        database, f"SELECT count(*) FROM crm_sync_issue WHERE create_date > '{since}'"
    )
    return int(invoices), int(issues)


def cards_written_since(folder, since):
    """Card files Radicale wrote (created or replaced) since ``since``; not
    its cache (in folders starting with a dot)."""
    return sum(
        1
        for path in folder.rglob("*.vcf")
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.stat().st_mtime > since
    )


def main():
    args = parse_args()
    # each request's query count in the log (Odoo runs at --log-level=warn)
    config_path = write_config(
        "bench-sync", free_port(), db_name=args.db, log_handler="werkzeug:INFO"
    )
    if not database_exists(args.db):
        create_database(config_path, args.db, ADDON)
    server = OdooServer(config_path, args.db).start()
    radicale = None
    work = Path(tempfile.mkdtemp(prefix="crm-sync-bench-"))
    stamp = time.strftime("%Y%m%d%H%M%S")
    figures, failures, passed = {}, [], True
    try:
        admin = server.executor()
        # the invoices go to the first customers, Radicale gets those only
        first_customers = min(args.radicale_customers or args.customers, args.customers)
        added = prepare(admin, first_customers)
        odoo = OdooConfig(
            server.url,
            args.db,
            SYNC_LOGIN,
            Secret(SYNC_PASSWORD),
            120.0,
            args.page_size,
        )

        def source(name):
            folder = work / name
            folder.mkdir()
            return SourceConfig(
                name=f"bench-{name}-{stamp}",
                kind="csv",
                folder=folder,
                processed_folder=folder / "processed",
                columns=COLUMNS,
            )

        def sync_job(sources=(), targets=()):
            transport = CountingTransport(odoo)
            config = Config(odoo, list(sources), list(targets), work / "lock", work)
            return Job(config, client=OdooClient(transport))

        batched = source("batched")
        write_csv(batched.folder / "export-1.csv", args.invoices, first_customers)
        job = sync_job([batched])
        started = time.perf_counter()
        totals = pull_invoices(job, batched)
        batched_seconds = time.perf_counter() - started
        assert totals["created"] == args.invoices, (totals, job.failures)
        batched_rate = args.invoices / batched_seconds

        naive = source("naive")
        write_csv(
            naive.folder / "export-1.csv", args.naive, first_customers, prefix="NAIVE"
        )
        naive_odoo = OdooConfig(**{**odoo.__dict__, "page_size": 1})
        naive_job = Job(Config(naive_odoo, [naive], [], work / "lock", work / "x"))
        started = time.perf_counter()
        totals = pull_invoices(naive_job, naive)
        naive_seconds = time.perf_counter() - started
        assert totals["created"] == args.naive, (totals, naive_job.failures)
        naive_rate = args.naive / naive_seconds
        ratio = batched_rate / naive_rate
        passed = ratio >= TARGET_RATIO

        write_csv(batched.folder / "export-2.csv", args.invoices, first_customers)
        since = db_now(args.db)
        started = time.perf_counter()
        totals = pull_invoices(job, batched)
        unchanged_seconds = time.perf_counter() - started
        invoice_writes, issues = writes_since(args.db, since)

        figures[f"pull, batched (pages of {args.page_size})"] = (
            f"{args.invoices:,} invoices in {batched_seconds:.1f} s: "
            f"{batched_rate:,.0f} rows/s"
        )
        figures["pull, naive (one record per call)"] = (
            f"{args.naive:,} invoices in {naive_seconds:.1f} s: "
            f"{naive_rate:,.0f} rows/s"
        )
        figures["batched / naive"] = (
            f"{ratio:.1f}x (target: at least {TARGET_RATIO}x): "
            f"{'PASS' if passed else 'FAIL'}"
        )
        figures["pull again, nothing changed"] = (
            f"{totals['read']:,} rows read, {totals['unchanged']:,} unchanged, "
            f"{invoice_writes} invoice rows written, {issues} sync issues created, "
            f"{unchanged_seconds:.1f} s"
        )
        push_jobs = []
        in_database = customer_count(admin)
        if args.radicale_customers and in_database <= args.radicale_customers:
            radicale = Radicale(work / "radicale").start()
            book = radicale.make_address_book("bench")
            target = TargetConfig(
                name=f"bench-phones-{stamp}",
                kind="carddav",
                url=book,
                username="test",
                password=Secret("x"),
            )
            push_job = sync_job(targets=[target])
            push_jobs.append(push_job)
            cards = work / "radicale" / "collections"
            first = timed_push(push_job, target, server.log_path)
            written_first = cards_written_since(cards, 0)
            time.sleep(1.1)  # file times: a clear second between the two runs
            since_push = time.time()
            again = timed_push(push_job, target, server.log_path)
            written_again = cards_written_since(cards, since_push)
            figures[f"push to Radicale ({in_database:,} customers), first run"] = (
                f"{push_figure(*first)}, {written_first:,} cards written "
                f"({first[0]['pushed'] / first[1]:,.0f} customers/s)"
            )
            figures["push to Radicale, nothing changed"] = (
                f"{push_figure(*again)}, {written_again} cards written"
            )
        elif args.radicale_customers:
            figures["push to Radicale"] = (
                f"skipped: the database has {in_database:,} customers, more than "
                f"--radicale-customers {args.radicale_customers:,}"
            )
        added += prepare(admin, args.customers)
        figures["customers"] = f"{args.customers:,} ({added:,} added now)"
        csv_path = work / "customers.csv"
        target = TargetConfig(
            name=f"bench-file-{stamp}", kind="csv_file", path=csv_path
        )
        push_job = sync_job(targets=[target])
        push_jobs.append(push_job)
        first = timed_push(push_job, target, server.log_path)
        lines = len(csv_path.read_text(encoding="utf-8-sig").splitlines()) - 1
        written_at = csv_path.stat().st_mtime_ns
        again = timed_push(push_job, target, server.log_path)
        rewritten = csv_path.stat().st_mtime_ns != written_at
        [one] = admin("res.partner", "search", [("vat", "=", vat(0))], limit=1)
        admin("res.partner", "write", [one], {"phone": f"+972 3 {time.time():.0f}"})
        changed = timed_push(push_job, target, server.log_path)
        figures[f"push to a CSV file ({args.customers:,} customers), first run"] = (
            f"{push_figure(*first)}, {lines:,} rows in the file"
        )
        figures["push to the CSV file, nothing changed"] = (
            f"{push_figure(*again)}, file "
            f"{'written again' if rewritten else 'left as it was'}"
        )
        figures["push to the CSV file, one customer changed"] = (
            f"{push_figure(*changed)} (the whole file is written again)"
        )
        failures = job.failures + naive_job.failures
        for push_job in push_jobs:
            failures += push_job.failures
        if failures:
            figures["failures"] = "; ".join(failures)
    finally:
        if radicale:
            radicale.stop()
        server.stop()
        if not args.keep:
            drop_database(args.db)
        config_path.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    print("figures:")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    return 0 if passed and not failures else 1


def customer_count(admin):
    return admin(
        "res.partner",
        "search_count",
        [("parent_id", "=", False), ("customer_rank", ">", 0)],
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
