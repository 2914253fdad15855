"""Benchmark of the customer document register: a script printing figures, not a test.

Fills a database with documents over customers, then times, server side, the
daily cron (states, reminders, renewal opportunities, managers' digest) and
one customer's documents list as a salesperson opens it.

    .venv/bin/python bench/bench_documents.py                     # 100,000 documents
    .venv/bin/python bench/bench_documents.py --documents 10000 --customers 500
"""

import argparse
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_customer_history import (  # noqa: E402
    ADDON,
    close_database,
    measure,
    open_database,
)

ORM_BATCH = 1000
LIST_SPEC = {
    "name": {},
    "type_id": {"fields": {"display_name": {}}},
    "partner_id": {"fields": {"display_name": {}}},
    "reference": {},
    "issued_on": {},
    "valid_until": {},
    "user_id": {"fields": {"display_name": {}}},
    "amount": {},
    "currency_id": {"fields": {"display_name": {}}},
    "confidentiality": {},
    "message_main_attachment_id": {"fields": {"display_name": {}}},
    "tag_ids": {"fields": {"display_name": {}, "color": {}}},
    "state": {},
}
PARTNER_SPEC = {
    "display_name": {},
    "customer_document_count": {},
    "customer_document_next_expiry": {},
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"{ADDON}_bench_documents")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def setup_users(env):
    salespeople = env["res.users"].create(
        [
            {
                "name": f"Bench salesperson {i}",
                "login": f"bench-doc-sales-{i}",
                "email": f"sales{i}@bench.example.com",
                "groups_id": [(4, env.ref("sales_team.group_sale_salesman").id)],
            }
            for i in range(5)
        ]
    )
    env["res.users"].create(
        {
            "name": "Bench relationship manager",
            "login": "bench-doc-manager",
            "email": "manager@bench.example.com",
            "groups_id": [(4, env.ref("crm_relationship.group_manager").id)],
        }
    )
    return salespeople


def orm_create_rate(env, cr, customers, salespeople):
    """Documents per second through the ORM's create, one batch."""
    types = env["crm.customer.document.type"].search([("file_required", "=", False)])
    started = time.perf_counter()
    env["crm.customer.document"].with_context(tracking_disable=True).create(
        [
            {
                "name": f"ORM document {i}",
                "type_id": types[i % len(types)].id,
                "partner_id": customers[i % len(customers)],
                "user_id": salespeople[i % len(salespeople)].id,
                "valid_until": date.today() + timedelta(days=i % 700),
            }
            for i in range(ORM_BATCH)
        ]
    )
    env.flush_all()
    seconds = time.perf_counter() - started
    cr.commit()
    return ORM_BATCH / seconds


def fill(env, cr, args, salespeople):
    """Customers through the ORM, documents in one INSERT ... SELECT (the
    cron and the list are measured, not the creation): valid until spread
    from 400 days ago to 800 days ahead, every state 'valid' as if the cron
    had never run, one in ten confidential."""
    customers = (
        env["res.partner"]
        .create(
            [
                {"name": f"Bench customer {i}", "is_company": True}
                for i in range(args.customers)
            ]
        )
        .ids
    )
    cr.commit()
    types = env["crm.customer.document.type"].search([]).ids
    company = env.company
    cr.execute(
        """
        INSERT INTO crm_customer_document (
            name, type_id, partner_id, commercial_partner_id, user_id, state,
            confidentiality, company_id, currency_id, issued_on, valid_from,
            valid_until, reminded_offset, shared_with_customer,
            create_uid, write_uid, create_date, write_date)
        SELECT 'Bench document ' || n,
               (%(types)s::int[])[1 + n %% cardinality(%(types)s::int[])],
               (%(customers)s::int[])[1 + n %% cardinality(%(customers)s::int[])],
               (%(customers)s::int[])[1 + n %% cardinality(%(customers)s::int[])],
               (%(users)s::int[])[1 + n %% cardinality(%(users)s::int[])],
               'valid',
               CASE WHEN n %% 10 = 0 THEN 'confidential' ELSE 'normal' END,
               %(company)s, %(currency)s,
               CURRENT_DATE - 400 + n %% 1200 - 365,
               CURRENT_DATE - 400 + n %% 1200 - 365,
               CURRENT_DATE - 400 + n %% 1200,
               0, FALSE, 1, 1, now(), now()
        FROM generate_series(1, %(count)s) AS n
        """,
        {
            "types": types,
            "customers": customers,
            "users": salespeople.ids,
            "company": company.id,
            "currency": company.currency_id.id,
            "count": args.documents,
        },
    )
    cr.execute("ANALYZE crm_customer_document")
    cr.commit()
    return customers


def run_cron(env, cr, on_day):
    env.invalidate_all()
    queries = cr.sql_log_count
    started = time.perf_counter()
    with freeze_time(on_day):
        env["crm.customer.document"]._cron_daily()
    env.flush_all()
    seconds = time.perf_counter() - started
    cr.commit()
    return seconds, cr.sql_log_count - queries


def counts(cr):
    cr.execute("SELECT state, count(*) FROM crm_customer_document GROUP BY state")
    states = dict(cr.fetchall())
    cr.execute(
        "SELECT count(*) FROM mail_activity WHERE res_model = 'crm.customer.document'"
    )
    [activities] = cr.fetchone()
    cr.execute("SELECT count(*) FROM crm_lead WHERE renewal_document_id IS NOT NULL")
    [renewals] = cr.fetchone()
    return states, activities, renewals


def open_customer_documents(env, partner_id):
    def load():
        env["res.partner"].browse(partner_id).web_read(PARTNER_SPEC)
        env["crm.customer.document"].web_search_read(
            [("commercial_partner_id", "=", partner_id)],
            LIST_SPEC,
            limit=80,
            count_limit=10001,
        )

    return load


def main():
    args = parse_args()
    _config, odoo, registry, _fresh = open_database("bench-documents", args.db)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            salespeople = setup_users(env)
            started = time.perf_counter()
            customers = fill(env, cr, args, salespeople)
            fill_seconds = time.perf_counter() - started
            orm_rate = orm_create_rate(env, cr, customers, salespeople)
            today = datetime.now()
            first = run_cron(env, cr, today)
            first_counts = counts(cr)
            again = run_cron(env, cr, today)
            again_counts = counts(cr)
            next_day = run_cron(env, cr, today + timedelta(days=1))
            next_counts = counts(cr)
            salesperson_env = env(user=salespeople[0])
            median_ms, queries = measure(
                salesperson_env,
                cr,
                open_customer_documents(salesperson_env, customers[0]),
            )
            per_customer = env["crm.customer.document"].search_count(
                [("commercial_partner_id", "=", customers[0])]
            )
        total = args.documents + ORM_BATCH
        print(f"\ndatabase: {total:,} documents over {args.customers:,} customers")
        print("figures:")
        print(f"  filled in {fill_seconds:.1f} s (documents by SQL)")
        print(f"  ORM create: {orm_rate:,.0f} documents/s (batch of {ORM_BATCH:,})")
        for label, (seconds, query_count), (states, activities, renewals) in (
            ("daily cron, first run (every state to fix)", first, first_counts),
            ("daily cron, again the same day", again, again_counts),
            ("daily cron, the next day", next_day, next_counts),
        ):
            print(
                f"  {label}: {seconds:.2f} s, {query_count:,} queries; "
                f"states {states}; reminder activities {activities:,}; "
                f"renewal opportunities {renewals:,}"
            )
        print(
            f"  one customer's documents ({per_customer} documents; form counts + "
            f"first list page, as a salesperson): {median_ms:.1f} ms median, "
            f"{queries} queries"
        )
    finally:
        close_database(odoo, args.db, args.keep)


if __name__ == "__main__":
    main()
