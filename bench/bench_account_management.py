"""Benchmark of the nightly account computation: a script printing figures, not a test.

Fills a database (the addon without demo data) in set-based SQL with customers,
their posted invoices (four product lines each, one in twenty a credit note)
over two years and their interactions, then times the nightly computation
(value snapshots, tiers, cadence, churn risk and their activities) and counts
its queries at two sizes, to show the count does not grow with the number of
customers; and counts the queries of the customer form's read with and without
the Relationship panel's fields, and of the "My Accounts" dashboard.

    .venv/bin/python bench/bench_account_management.py     # 5,000 then 50,000
                                                           # customers, 1M lines
    .venv/bin/python bench/bench_account_management.py --sizes 500,2000
"""

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_customer_history import (  # noqa: E402
    ADDON,
    create_database,
    database_exists,
    drop_database,
    ensure_chart_of_accounts,
    free_port,
    measure,
    open_registry,
    write_config,
)

INVOICES_PER_CUSTOMER = 5
LINES_PER_INVOICE = 4
INTERACTIONS_PER_CUSTOMER = 3
FORM_SPEC = {
    "display_name": {},
    "name": {},
    "email": {},
    "phone": {},
    "vat": {},
    "street": {},
    "city": {},
    "country_id": {"fields": {"display_name": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "category_id": {"fields": {"display_name": {}}},
}
PANEL_SPEC = {
    "customer_value_id": {"fields": {}},
    "customer_tier_id": {"fields": {"display_name": {}}},
    "customer_tier_override_id": {"fields": {"display_name": {}}},
    "customer_tier_differs": {},
    "customer_computed_tier_id": {"fields": {"display_name": {}}},
    "account_currency_id": {"fields": {}},
    "account_revenue_12m": {},
    "account_has_trend": {},
    "account_trend_percent": {},
    "account_next_contact_date": {},
    "account_contact_overdue": {},
    "churn_score": {},
    "churn_level": {},
    "churn_reasons": {},
    "customer_preference_ids": {
        "fields": {"category": {}, "topic": {}, "value": {}, "is_current": {}}
    },
}
DASHBOARD_FIELDS = [
    "name",
    "my_customer_count",
    "my_overdue_count",
    "my_at_risk_count",
    "my_renewal_count",
    "my_warranty_count",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"{ADDON}_bench_accounts")
    parser.add_argument(
        "--sizes",
        default="5000,50000",
        help="customer counts, ascending; invoice lines are 20 per customer",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def setup(env):
    ensure_chart_of_accounts(env)
    products = env["product.product"].search([("name", "=like", "Bench product %")])
    if not products:
        products = env["product.product"].create(
            [
                {"name": f"Bench product {i}", "standard_price": 40 + 10 * i}
                for i in range(3)
            ]
        )
    users = env["res.users"].search([("login", "=like", "bench_manager_%")])
    if not users:
        users = env["res.users"].create(
            [
                {"name": f"Bench manager {i}", "login": f"bench_manager_{i}"}
                for i in range(10)
            ]
        )
    users.groups_id = [(4, env.ref("crm_relationship.group_user").id)]
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1
    )
    return products, users, journal


def wipe(cr):
    """A kept database (``--keep``) back to no bench customers, faster than a
    new one: their documents, interactions, snapshots and activities deleted,
    the customers themselves archived and renamed out of the way."""
    cr.execute(
        """
        DELETE FROM mail_activity WHERE res_model = 'res.partner';
        DELETE FROM crm_customer_value;
        DELETE FROM crm_customer_tier_history;
        DELETE FROM crm_interaction WHERE name = 'Bench call';
        DELETE FROM account_move_line WHERE name = 'Bench line';
        DELETE FROM account_move WHERE name LIKE 'BENCH/%%';
        UPDATE res_partner SET active = FALSE, customer_rank = 0,
               name = 'Old bench customer ' || id
         WHERE name LIKE 'Bench customer %%';
        """
    )
    cr.commit()


def grow(env, cr, target, products, users, journal):
    """Customers up to ``target``, each with its invoices and interactions,
    in SQL; returns the seconds taken."""
    cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Bench customer %%'")
    start = cr.fetchone()[0]
    if start >= target:
        return 0.0
    started = time.perf_counter()
    company = env.company
    params = {
        "start": start,
        "end": target - 1,
        "users": users.ids,
        "company": company.id,
        "currency": company.currency_id.id,
        "journal": journal.id,
        "account": journal.default_account_id.id,
        "products": products.ids,
        "product_count": len(products),
        "uom": products[0].uom_id.id,
        "invoices": INVOICES_PER_CUSTOMER,
        "lines": LINES_PER_INVOICE,
        "interactions": INTERACTIONS_PER_CUSTOMER,
        "today": date.today(),
    }
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, is_company, customer_rank,
                                 active, type, user_id, autopost_bills, lang,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Bench customer ' || g, 'Bench customer ' || g, TRUE, 1, TRUE,
               'contact', (%(users)s::int[])[1 + g %% cardinality(%(users)s::int[])],
               'ask', 'en_US', now(), now(), 1, 1
          FROM generate_series(%(start)s, %(end)s) g;
        UPDATE res_partner SET commercial_partner_id = id
         WHERE commercial_partner_id IS NULL AND name LIKE 'Bench customer %%';
        CREATE TEMP TABLE bench_new ON COMMIT DROP AS
            SELECT id FROM res_partner
             WHERE name LIKE 'Bench customer %%'
               AND id NOT IN (SELECT partner_id FROM account_move
                               WHERE name LIKE 'BENCH/%%');
        """,
        params,
    )
    # invoices: one customer in ten lapsing (nothing in the last year), the
    # others every 70 to 170 days; the amount skewed so that tiers differ
    cr.execute(
        """
        INSERT INTO account_move (name, move_type, state, date, invoice_date,
               journal_id, currency_id, company_id, partner_id,
               commercial_partner_id, amount_untaxed, amount_total,
               amount_untaxed_signed, amount_total_signed,
               amount_total_in_currency_signed, amount_residual,
               amount_residual_signed, auto_post, payment_state,
               create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/' || p.id || '/' || k, x.move_type, 'posted', x.day, x.day,
               %(journal)s, %(currency)s, %(company)s, p.id, p.id,
               x.amount, x.amount, x.sign * x.amount, x.sign * x.amount,
               x.sign * x.amount, 0, 0, 'no', 'paid', now(), now(), 1, 1
          FROM bench_new p, generate_series(0, %(invoices)s - 1) k,
               LATERAL (SELECT
                   CASE WHEN (p.id + k) %% 20 = 0 THEN 'out_refund'
                        ELSE 'out_invoice' END AS move_type,
                   CASE WHEN (p.id + k) %% 20 = 0 THEN -1 ELSE 1 END AS sign,
                   %(today)s::date - (CASE WHEN p.id %% 10 = 0 THEN 380 ELSE 0 END
                       + k * (70 + p.id %% 100) + p.id %% 30) AS day,
                   %(lines)s * (50 + (p.id * 7919 %% 1000) ^ 2 / 200.0) AS amount
               ) x
        """,
        params,
    )
    cr.execute(
        """
        INSERT INTO account_move_line (move_id, move_name, date, parent_state,
               journal_id, company_id, company_currency_id, currency_id,
               account_id, partner_id, display_type, name, quantity, price_unit,
               price_subtotal, price_total, balance, amount_currency, debit,
               credit, product_id, product_uom_id,
               create_date, write_date, create_uid, write_uid)
        SELECT m.id, m.name, m.date, 'posted', m.journal_id, m.company_id,
               m.currency_id, m.currency_id, %(account)s, m.partner_id,
               'product', 'Bench line', 1, l.amount, l.amount, l.amount,
               -l.signed, -l.signed, GREATEST(-l.signed, 0),
               GREATEST(l.signed, 0),
               (%(products)s::int[])[1 + (m.id + n) %% %(product_count)s],
               %(uom)s, now(), now(), 1, 1
          FROM account_move m
          JOIN bench_new p ON p.id = m.partner_id,
               generate_series(1, %(lines)s) n,
               LATERAL (SELECT m.amount_total / %(lines)s AS amount,
                               m.amount_total_signed / %(lines)s AS signed) l
        """,
        params,
    )
    # interactions: outbound calls, the latest 0 to 44 days ago
    cr.execute(
        """
        INSERT INTO crm_interaction (name, partner_id, commercial_partner_id,
               company_id, channel, direction, date, user_id,
               create_date, write_date, create_uid, write_uid)
        SELECT 'Bench call', p.id, p.id, %(company)s, 'call', 'outbound',
               now() - ((p.id %% 45) + k * 60) * interval '1 day',
               (%(users)s::int[])[1 + p.id %% cardinality(%(users)s::int[])],
               now(), now(), 1, 1
          FROM bench_new p, generate_series(0, %(interactions)s - 1) k
        """,
        params,
    )
    cr.execute("ANALYZE")
    cr.commit()
    return time.perf_counter() - started


def nightly(env, cr, day):
    """Seconds and queries of the nightly computation as of ``day``."""
    env.invalidate_all()
    before, started = cr.sql_log_count, time.perf_counter()
    env["crm.customer.value"]._run_computation(today=day)
    env.flush_all()
    seconds = time.perf_counter() - started
    queries = cr.sql_log_count - before
    cr.commit()
    return seconds, queries


def median_customer(cr):
    cr.execute(
        """SELECT partner_id FROM crm_customer_value WHERE is_latest
            ORDER BY revenue_12m, partner_id
           OFFSET (SELECT count(*) / 2 FROM crm_customer_value WHERE is_latest)
           LIMIT 1"""
    )
    return cr.fetchone()[0]


def read_form(env, partner_id, spec):
    def run():
        env["res.partner"].browse(partner_id).web_read(spec)

    return run


def read_dashboard(env, user):
    def run():
        env["crm.customer.tier"].with_user(user).search_read([], DASHBOARD_FIELDS)

    return run


def stage(env, cr, size, day, products, users, journal):
    """Grow to ``size`` customers, then the figures at that size."""
    fill_seconds = grow(env, cr, size, products, users, journal)
    cr.execute(
        """SELECT (SELECT count(*) FROM res_partner
                    WHERE name LIKE 'Bench customer %%'),
                  (SELECT count(*) FROM account_move_line
                    WHERE name = 'Bench line')"""
    )
    customers, lines = cr.fetchone()
    print(
        f"\n{customers:,} customers, {lines:,} invoice lines "
        f"(filled in {fill_seconds:.0f} s)",
        flush=True,
    )
    cr.execute("SELECT count(*) FROM mail_activity")
    activities_before = cr.fetchone()[0]
    first = nightly(env, cr, day)
    cr.execute("SELECT count(*) FROM mail_activity")
    activities = cr.fetchone()[0] - activities_before
    print(
        f"  nightly run, first night of the new customers: {first[0]:.1f} s, "
        f"{first[1]} queries ({activities:,} activities created)",
        flush=True,
    )
    # the same night again: every snapshot computed anew, every activity
    # already open, so none is created: the computation alone
    steady = nightly(env, cr, day)
    print(
        f"  nightly run again, no activity to create: {steady[0]:.1f} s, "
        f"{steady[1]} queries",
        flush=True,
    )
    partner_id = median_customer(cr)
    form = measure(env, cr, read_form(env, partner_id, FORM_SPEC))
    panel = measure(env, cr, read_form(env, partner_id, {**FORM_SPEC, **PANEL_SPEC}))
    dashboard = measure(env, cr, read_dashboard(env, users[0]))
    print(
        f"  customer form read: {form[0]:.1f} ms, {form[1]} queries without the "
        f"panel; {panel[0]:.1f} ms, {panel[1]} queries with it",
        flush=True,
    )
    print(
        f"  My Accounts dashboard: {dashboard[0]:.1f} ms, {dashboard[1]} queries",
        flush=True,
    )
    return {
        "customers": customers,
        "lines": lines,
        "first": first,
        "steady": steady,
        "form": form,
        "panel": panel,
        "dashboard": dashboard,
    }


def main():
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    config = write_config("bench", free_port(), db_name=args.db)
    reused = database_exists(args.db)
    if not reused:
        create_database(config, args.db, ADDON)
    odoo, registry = open_registry(config, args.db)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            if reused:
                started = time.perf_counter()
                wipe(cr)
                seconds = time.perf_counter() - started
                print(f"emptied the kept database in {seconds:.0f} s")
            products, users, journal = setup(env)
            cr.commit()
            day = date.today()
            results = []
            for size in sizes:
                results.append(stage(env, cr, size, day, products, users, journal))
                day += timedelta(days=1)
        small, large = results[0], results[-1]
        print(f"\n{large['customers'] / small['customers']:.0f}x the customers:")
        for label, key in (
            ("nightly run without new activities", "steady"),
            ("nightly run, first night", "first"),
            ("customer form with the panel", "panel"),
            ("customer form without the panel", "form"),
            ("My Accounts dashboard", "dashboard"),
        ):
            unit = "s" if key in ("steady", "first") else "ms"
            print(
                f"  {label}: queries {small[key][1]} -> {large[key][1]} "
                f"(x{large[key][1] / small[key][1]:.2f}), time "
                f"{small[key][0]:.1f} -> {large[key][0]:.1f} {unit} "
                f"(x{large[key][0] / small[key][0]:.1f})"
            )
    finally:
        if not args.keep:
            registry.delete(args.db)
            odoo.sql_db.close_db(args.db)
            drop_database(args.db)


if __name__ == "__main__":
    main()
