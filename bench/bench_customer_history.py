"""Benchmark of the customer history at scale: a script printing figures, not a test.

Fills a database with customers, interactions and posted invoices, then measures,
server side, what a user waits for when opening a customer: the customer form and
the first page of its history. Also prints the batch creation rate of interactions.

    .venv/bin/python bench/bench_customer_history.py            # full size
    .venv/bin/python bench/bench_customer_history.py --customers 200 \
        --interactions 5000 --invoice-lines 1000                # quick look
"""

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]

from odoo_env import (  # noqa: E402
    ADDON,
    database_exists,
    drop_database,
    free_port,
    odoo_path,
    write_config,
)
from servers import create_database  # noqa: E402

CHANNELS = ["call", "email", "sms", "letter", "web", "meeting", "chat", "other"]
HISTORY_SPEC = {
    "date": {},
    "kind": {},
    "partner_id": {"fields": {"display_name": {}}},
    "title": {},
    "channel": {},
    "outcome": {},
    "amount": {},
    "currency_id": {"fields": {"display_name": {}}},
    "payment_state": {},
    "user_id": {"fields": {"display_name": {}}},
    "is_financial": {},
}
PARTNER_SPEC = {
    "display_name": {},
    "interaction_count": {},
    "history_count": {},
    "last_contact_date": {},
    "days_since_last_contact": {},
}
BATCH = 1000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"{ADDON}_bench")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--invoice-lines", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def open_database(name, database):
    """var/<name>.conf, the database (made with the addon when it is missing)
    and Odoo's registry on it: (config, odoo, registry, made now)."""
    config = write_config(name, free_port(), db_name=database)
    fresh = not database_exists(database)
    if fresh:
        create_database(config, database, ADDON)
    odoo, registry = open_registry(config, database)
    return config, odoo, registry, fresh


def close_database(odoo, database, keep):
    """The registry closed and the database dropped, unless ``keep``."""
    if not keep:
        odoo.modules.registry.Registry.delete(database)
        odoo.sql_db.close_db(database)
        drop_database(database)


def open_registry(config, database):
    sys.path.insert(0, str(odoo_path()))
    import odoo  # noqa: PLC0415

    odoo.tools.config.parse_config(["-c", str(config), "-d", database])
    return odoo, odoo.modules.registry.Registry(database)


def ensure_chart_of_accounts(env):
    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )


def fill(env, cr, args):
    rng = random.Random(2026)
    users = env["res.users"].search([("share", "=", False)], limit=5)
    customers = env["res.partner"]
    for start in range(0, args.customers, BATCH):
        count = min(BATCH, args.customers - start)
        customers |= env["res.partner"].create(
            [
                {"name": f"Customer {start + i:05d}", "is_company": True}
                for i in range(count)
            ]
        )
    cr.commit()

    now = datetime.now()
    # a few customers are much busier than the rest, as in real life
    weights = [50 if i < 10 else 1 for i in range(len(customers))]
    created, started = 0, time.perf_counter()
    while created < args.interactions:
        count = min(BATCH, args.interactions - created)
        picked = rng.choices(customers.ids, weights=weights, k=count)
        env["crm.interaction"].create(
            [
                {
                    "partner_id": partner_id,
                    "name": f"Interaction {created + i}",
                    "channel": rng.choice(CHANNELS),
                    "direction": rng.choice(("inbound", "outbound")),
                    "date": now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60)),
                    "user_id": rng.choice(users.ids),
                }
                for i, partner_id in enumerate(picked)
            ]
        )
        env.flush_all()
        cr.commit()
        created += count
    interaction_rate = created / (time.perf_counter() - started)

    lines_per_invoice = 4
    invoices = args.invoice_lines // lines_per_invoice
    started = time.perf_counter()
    for start in range(0, invoices, 250):
        count = min(250, invoices - start)
        moves = env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": rng.choice(customers.ids),
                    "invoice_date": (now - timedelta(days=rng.randint(0, 730))).date(),
                    "invoice_line_ids": [
                        (0, 0, {"name": f"Line {n}", "quantity": 1, "price_unit": 100})
                        for n in range(lines_per_invoice)
                    ],
                }
                for _i in range(count)
            ]
        )
        moves.action_post()
        cr.commit()
    invoice_seconds = time.perf_counter() - started
    return customers, interaction_rate, invoices, invoice_seconds


def measure(env, cr, function, runs=10):
    """Median time (ms) and query count of a server-side call, caches cold."""
    function()
    times, queries = [], []
    for _run in range(runs):
        env.invalidate_all()
        before, started = cr.sql_log_count, time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
        queries.append(cr.sql_log_count - before)
    return statistics.median(times), max(queries)


def customer_rows(env, partner_id):
    return env["crm.customer.timeline"].search_count([("partner_id", "=", partner_id)])


def open_customer(env, partner_id):
    def load():
        env["res.partner"].browse(partner_id).web_read(PARTNER_SPEC)
        env["crm.customer.timeline"].web_search_read(
            [("partner_id", "=", partner_id)],
            HISTORY_SPEC,
            limit=80,
            order="date desc, id desc",
        )

    return load


def history_plan(cr, partner_id):
    cr.execute(
        """EXPLAIN (ANALYZE, FORMAT TEXT)
           SELECT * FROM crm_customer_timeline WHERE partner_id = %s
           ORDER BY date DESC, id DESC LIMIT 80""",
        [partner_id],
    )
    return [row[0] for row in cr.fetchall()]


def main():
    args = parse_args()
    config, odoo, registry, fresh = open_database("bench", args.db)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            ensure_chart_of_accounts(env)
            cr.commit()
            figures = {}
            if fresh:
                _customers, rate, invoices, invoice_seconds = fill(env, cr, args)
                figures["interaction batch create"] = f"{rate:,.0f} rows/s"
                figures["invoices created and posted"] = (
                    f"{invoices:,} ({invoices * 4:,} lines) in {invoice_seconds:.0f} s"
                )
            cr.execute(
                """SELECT partner_id, count(*) FROM crm_customer_timeline
                   GROUP BY partner_id ORDER BY count(*) DESC"""
            )
            ranked = cr.fetchall()
            busiest, median = ranked[0], ranked[len(ranked) // 2]
            for label, (partner_id, rows) in (("busiest", busiest), ("median", median)):
                ms, queries = measure(env, cr, open_customer(env, partner_id))
                figures[f"open customer + history page 1 ({label}, {rows:,} rows)"] = (
                    f"{ms:.1f} ms, {queries} queries"
                )
            plan = history_plan(cr, busiest[0])
            cr.execute(
                "SELECT (SELECT count(*) FROM crm_interaction), "
                "(SELECT count(*) FROM account_move_line aml JOIN account_move am "
                "ON am.id = aml.move_id WHERE am.move_type = 'out_invoice' "
                "AND aml.display_type = 'product'), "
                "(SELECT count(*) FROM res_partner WHERE customer_rank >= 0)"
            )
            totals = cr.fetchone()
        print("\nquery plan of the busiest customer's first page:")
        print("\n".join(f"  {line}" for line in plan))
        print(
            f"\ndatabase: {totals[0]:,} interactions, {totals[1]:,} invoice lines, "
            f"{totals[2]:,} partners"
        )
        print("figures:")
        for name, value in figures.items():
            print(f"  {name}: {value}")
        seq_scans = [line.strip() for line in plan if "Seq Scan" in line]
        print(f"  sequential scans in the page's plan: {seq_scans or 'none'}")
    finally:
        close_database(odoo, args.db, args.keep)
        config.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
