"""Benchmark of the installed base: a script printing figures, not a test.

Posts customer invoices of three asset-product lines each, half with the
addon's asset hook and half without it (the hook replaced by a no-op),
alternating batch by batch in one run, and prints the time ratio; then times
the daily renewal cron over many service plans (time and queries).

    .venv/bin/python bench/bench_installed_base.py   # 20,000 invoices, 50,000 plans
    .venv/bin/python bench/bench_installed_base.py --invoices 2000 --plans 5000
"""

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_customer_history import (  # noqa: E402
    ADDON,
    create_database,
    database_exists,
    drop_database,
    ensure_chart_of_accounts,
    free_port,
    open_registry,
    write_config,
)

BATCH = 100  # invoices posted per batch, alternately with and without the hook
PLAN_BATCH = 1000
PROGRESS_EVERY = 20  # batches between two progress lines of the posting
NO_MAIL = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"{ADDON}_bench_assets")
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--plans", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def setup(env):
    ensure_chart_of_accounts(env)
    env = env(context=dict(env.context, **NO_MAIL))
    Product = env["product.product"]
    products = Product.create(
        [
            {
                "name": f"Bench asset {i}",
                "is_customer_asset": True,
                "asset_tracking": "line",
                "warranty_duration": 12,
                "warranty_unit": "month",
                "taxes_id": [(5, 0, 0)],
            }
            for i in range(3)
        ]
    )
    plan_product = Product.create(
        {
            "name": "Bench plan",
            "type": "service",
            "is_service_plan": True,
            "service_plan_term_months": 12,
            "renewal_lead_days": 30,
        }
    )
    customers = env["res.partner"].create(
        [{"name": f"Bench customer {i}", "is_company": True} for i in range(200)]
    )
    return env, products, plan_product, customers


def post_batch(env, products, customers, start, count):
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": customers[(start + i) % len(customers)].id,
                "invoice_date": date.today() - timedelta(days=(start + i) % 700),
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "quantity": 1 + (start + i) % 3,
                            "price_unit": 100,
                            "tax_ids": [(5, 0, 0)],
                        },
                    )
                    for product in products
                ],
            }
            for i in range(count)
        ]
    )
    env.flush_all()
    started = time.perf_counter()
    moves.action_post()
    env.flush_all()
    return time.perf_counter() - started


def bench_posting(env, cr, products, customers, invoices):
    """Posting time only (the drafts are created outside the clock), with and
    without the hook, alternating so that both see the same database growth."""
    Move = type(env["account.move"])
    seconds = {"with": 0.0, "without": 0.0}
    posted = {"with": 0, "without": 0}
    for number, start in enumerate(range(0, invoices, BATCH)):
        count = min(BATCH, invoices - start)
        kind = "with" if number % 2 == 0 else "without"
        if kind == "with":
            seconds[kind] += post_batch(env, products, customers, start, count)
        else:
            with patch.object(Move, "_sync_customer_assets", lambda self: None):
                seconds[kind] += post_batch(env, products, customers, start, count)
        posted[kind] += count
        cr.commit()
        env.invalidate_all()
        if number % PROGRESS_EVERY == PROGRESS_EVERY - 1:
            print_posting(seconds, posted, flush=True)
    return seconds, posted


def print_posting(seconds, posted, flush=False):
    """Posted so far with and without the hook, and their time ratio."""
    ratio = (seconds["with"] / posted["with"]) / (
        seconds["without"] / posted["without"]
    )
    print(
        f"  {sum(posted.values()):,} posted: with the hook {seconds['with']:.1f} s, "
        f"without {seconds['without']:.1f} s, time per invoice {ratio:.2f}",
        flush=flush,
    )


def create_plans(env, cr, plan_product, customers, count):
    """Plans ending over the next two years and the last month: about 1 in 25
    reaches its renewal date today, 1 in 25 ended; a tenth renew by themselves."""
    today = date.today()
    Plan = env["crm.service.plan"]
    for offset in range(0, count, PLAN_BATCH):
        values = []
        for i in range(offset, min(offset + PLAN_BATCH, count)):
            end = today + timedelta(days=(i % 750) - 30)
            values.append(
                {
                    "name": f"Bench plan {i}",
                    "partner_id": customers[i % len(customers)].id,
                    "product_id": plan_product.id,
                    "term_months": 12,
                    "start_date": end - timedelta(days=364),
                    "end_date": end,
                    "price": 1200,
                    "auto_renew": i % 10 == 0,
                    "state": "active",
                }
            )
        Plan.create(values)
        env.flush_all()
        cr.commit()
        env.invalidate_all()


def run_cron(env, cr):
    env.invalidate_all()
    queries = cr.sql_log_count
    started = time.perf_counter()
    env["crm.service.plan"]._cron_renewals()
    env.flush_all()
    seconds = time.perf_counter() - started
    cr.commit()
    return seconds, cr.sql_log_count - queries


def main():
    args = parse_args()
    config = write_config("bench-assets", free_port(), db_name=args.db)
    if not database_exists(args.db):
        create_database(config, args.db, ADDON)
    odoo, registry = open_registry(config, args.db)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            env, products, plan_product, customers = setup(env)
            cr.commit()
            seconds, posted = bench_posting(env, cr, products, customers, args.invoices)
            cr.execute("SELECT count(*) FROM crm_customer_asset")
            [assets] = cr.fetchone()
            create_plans(env, cr, plan_product, customers, args.plans)
            first_seconds, first_queries = run_cron(env, cr)
            cr.execute("SELECT state, count(*) FROM crm_service_plan GROUP BY state")
            states = dict(cr.fetchall())
            cr.execute("SELECT count(*) FROM crm_lead")
            [leads] = cr.fetchone()
            again_seconds, again_queries = run_cron(env, cr)
        rate = {kind: posted[kind] / seconds[kind] for kind in seconds}
        print(
            f"\nposting {sum(posted.values()):,} invoices x 3 asset lines "
            f"(batches of {BATCH}, alternately):"
        )
        print(
            f"  with the asset hook:    {posted['with']:,} invoices, "
            f"{seconds['with']:.1f} s, {rate['with']:.1f} invoices/s"
        )
        print(
            f"  without the asset hook: {posted['without']:,} invoices, "
            f"{seconds['without']:.1f} s, {rate['without']:.1f} invoices/s"
        )
        ratio = (seconds["with"] / posted["with"]) / (
            seconds["without"] / posted["without"]
        )
        print(f"  time per invoice, with / without: {ratio:.2f}")
        print(f"  assets created: {assets:,}")
        print(f"\nrenewal cron over {args.plans:,} plans:")
        print(
            f"  first run: {first_seconds:.2f} s, {first_queries:,} queries; "
            f"plans by state after: {states}; opportunities: {leads:,}"
        )
        print(
            f"  again (nothing due): {again_seconds:.2f} s, {again_queries:,} queries"
        )
    finally:
        if not args.keep:
            odoo.modules.registry.Registry.delete(args.db)
            odoo.sql_db.close_db(args.db)
            drop_database(args.db)


if __name__ == "__main__":
    main()
