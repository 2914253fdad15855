"""Benchmark of the sales analytics: a script printing figures, not a test.

Fills a database (the addon without demo data) in SQL with opportunities over
a year and their stage changes as tracking values (as Odoo's chatter keeps
them), then times the backfill of the stage history from those tracking
values and, server side, each analysis report read for the year grouped by
month, with its query plan's top lines.

    .venv/bin/python bench/bench_sales_analytics.py       # 200,000 opportunities
    .venv/bin/python bench/bench_sales_analytics.py --opportunities 20000
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_customer_history import (  # noqa: E402
    ADDON,
    create_database,
    database_exists,
    drop_database,
    free_port,
    measure,
    open_registry,
    write_config,
)

REPORTS = {
    "Funnel (created cohort)": (
        "crm.lead.funnel.report",
        [("cohort", "=", "created")],
        "date",
        ["count_in:sum", "count_reached:sum", "conversion_rate:sum"],
    ),
    "Funnel (active cohort)": (
        "crm.lead.funnel.report",
        [("cohort", "=", "active")],
        "date",
        ["count_in:sum", "count_reached:sum", "conversion_rate:sum"],
    ),
    "Time in Stage": (
        "crm.lead.stage.time.report",
        [],
        "entered_at",
        ["duration_days:avg", "duration_median_days:sum"],
    ),
    "Time to Close / Lost / Close Rates": (
        "crm.lead.outcome.report",
        [],
        "date_closed",
        [
            "days_to_close:sum",
            "days_to_close_median:sum",
            "close_rate:sum",
            "lost_revenue:sum",
        ],
    ),
    "Campaign Yield": (
        "crm.campaign.yield.report",
        [],
        "date",
        ["count_lead:sum", "count_won:sum", "invoiced_revenue:sum", "cost_return:sum"],
    ),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"{ADDON}_bench_sales_analytics")
    parser.add_argument("--opportunities", type=int, default=200_000)
    parser.add_argument(
        "--changes", type=int, default=5, help="stage changes per opportunity"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def fill(env, cr, args):
    """Opportunities created over the last year, each with ``changes`` stage
    moves (forward, one in six back) a few days apart, in SQL."""
    stages = env["crm.stage"].search([("is_won", "=", False)], order="sequence")
    won = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    stage_ids = [*stages.ids, won.id]
    users = env["res.users"].search([("share", "=", False)], limit=5).ids
    field_id = env["ir.model.fields"]._get("crm.lead", "stage_id").id
    campaigns = (
        env["utm.campaign"]
        .create(
            [{"title": f"Bench campaign {i}", "cost": 1000 * (i + 1)} for i in range(5)]
        )
        .ids
    )
    started = time.perf_counter()
    cr.execute(
        """
        INSERT INTO crm_lead (name, type, active, stage_id, user_id, company_id,
                              campaign_id, expected_revenue, probability, priority,
                              create_date, write_date, create_uid, write_uid,
                              date_last_stage_update)
        SELECT 'Bench ' || g, 'opportunity', TRUE, %(first)s,
               (%(users)s::int[])[1 + g %% cardinality(%(users)s::int[])],
               %(company)s,
               (%(campaigns)s::int[])[1 + g %% cardinality(%(campaigns)s::int[])],
               1000 + g %% 9000, 10, '0',
               now() - interval '365 days' + (g %% 330) * interval '1 day',
               now(), 1, 1,
               now() - interval '365 days' + (g %% 330) * interval '1 day'
          FROM generate_series(1, %(count)s) g
        RETURNING id
        """,
        {
            "first": stage_ids[0],
            "users": users,
            "company": env.company.id,
            "campaigns": campaigns,
            "count": args.opportunities,
        },
    )
    lead_ids = [row[0] for row in cr.fetchall()]
    # the changes: positions walk forward, one step back in six
    cr.execute(
        """
        WITH steps AS (
            SELECT l.id AS lead_id, l.create_date, s AS step,
                   LEAST(GREATEST(
                       SUM(CASE WHEN (l.id + s) %% 6 = 0 THEN -1 ELSE 1 END)
                           OVER (PARTITION BY l.id ORDER BY s), 0),
                       cardinality(%(stages)s::int[]) - 1) AS position
              FROM crm_lead l, generate_series(1, %(changes)s) s
             WHERE l.id = ANY(%(leads)s)
        ), moves AS (
            SELECT lead_id, create_date + step * interval '3 days'
                       + (lead_id %% 48) * interval '1 hour' AS at,
                   (%(stages)s::int[])[1 + COALESCE(LAG(position) OVER w, 0)]
                       AS old_stage,
                   (%(stages)s::int[])[1 + position] AS new_stage
              FROM steps
            WINDOW w AS (PARTITION BY lead_id ORDER BY step)
        ), messages AS (
            INSERT INTO mail_message (model, res_id, message_type, date, author_id,
                                      create_date, write_date, create_uid, write_uid)
            SELECT 'crm.lead', lead_id, 'notification', at, 3, at, at, 1, 1
              FROM moves WHERE old_stage != new_stage
            RETURNING id, res_id, date
        )
        INSERT INTO mail_tracking_value (field_id, mail_message_id, old_value_integer,
                                         new_value_integer, create_date, write_date,
                                         create_uid, write_uid)
        SELECT %(field)s, m.id, mv.old_stage, mv.new_stage, m.date, m.date, 1, 1
          FROM messages m
          JOIN moves mv ON mv.lead_id = m.res_id AND mv.at = m.date
        """,
        {
            "stages": stage_ids,
            "changes": args.changes,
            "leads": lead_ids,
            "field": field_id,
        },
    )
    changes = cr.rowcount
    cr.execute(
        """
        UPDATE crm_lead l SET stage_id = t.new_value_integer,
               date_last_stage_update = t.date
          FROM (SELECT DISTINCT ON (m.res_id) m.res_id, m.date, v.new_value_integer
                  FROM mail_tracking_value v
                  JOIN mail_message m ON m.id = v.mail_message_id
                 WHERE v.field_id = %(field)s AND m.res_id = ANY(%(leads)s)
                 ORDER BY m.res_id, m.date DESC) t
         WHERE t.res_id = l.id
        """,
        {"field": field_id, "leads": lead_ids},
    )
    cr.execute(
        """
        UPDATE crm_lead l SET probability = 100, date_closed = l.date_last_stage_update
          FROM crm_stage s WHERE s.id = l.stage_id AND s.is_won
           AND l.id = ANY(%(leads)s);
        UPDATE crm_lead SET active = FALSE, probability = 0,
               date_closed = date_last_stage_update
         WHERE id = ANY(%(leads)s) AND id %% 5 = 0 AND probability != 100
        """,
        {"leads": lead_ids},
    )
    cr.execute("ANALYZE")
    return len(lead_ids), changes, time.perf_counter() - started


def read_report(env, model, domain, date_field, aggregates):
    def run():
        env[model]._read_group(
            [*domain, (date_field, ">=", "2000-01-01")],
            [f"{date_field}:month"],
            aggregates,
        )

    return run


def plan(cr, env, model, domain, date_field, aggregates):
    query = env[model]._search([*domain, (date_field, ">=", "2000-01-01")])
    groupby = env[model]._read_group_groupby(f"{date_field}:month", query)
    selects = [env[model]._read_group_select(spec, query) for spec in aggregates]
    sql = query.select(groupby, *selects)
    sql = type(sql)("%s GROUP BY %s", sql, groupby)
    cr.execute(type(sql)("EXPLAIN (ANALYZE, COSTS OFF) %s", sql))
    lines = [row[0] for row in cr.fetchall()]
    scans = [line.strip() for line in lines if "Scan" in line]
    return lines[-1].strip(), scans


def main():
    args = parse_args()
    config = write_config("bench", free_port(), db_name=args.db)
    if not database_exists(args.db):
        create_database(config, args.db, ADDON)
    odoo, registry = open_registry(config, args.db)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            leads, changes, seconds = fill(env, cr, args)
            cr.commit()
            print(
                f"filled {leads:,} opportunities, {changes:,} tracked stage changes "
                f"in {seconds:.0f} s"
            )
            cr.execute("DELETE FROM crm_lead_stage_history")
            started = time.perf_counter()
            rows = env["crm.lead.stage.history"]._backfill_from_tracking()
            backfill = time.perf_counter() - started
            cr.execute("SELECT COUNT(*) FROM crm_lead_stage_month")
            [[months]] = cr.fetchall()
            # the open stays through the current month, as the daily cron does
            started = time.perf_counter()
            extended = env["crm.lead.stage.month"]._cron_extend_open_stays()
            extend = time.perf_counter() - started
            cr.execute("ANALYZE crm_lead_stage_history")
            cr.execute("ANALYZE crm_lead_stage_month")
            cr.commit()
            print(
                f"backfill from tracking values: {rows:,} history rows and "
                f"{months:,} stage-months in {backfill:.1f} s; the open stays' "
                f"later months: {extended:,} in {extend:.1f} s"
            )
            print("\nreports, a year grouped by month (median of 3, server side):")
            for label, (model, domain, date_field, aggregates) in REPORTS.items():
                ms, queries = measure(
                    env,
                    cr,
                    read_report(env, model, domain, date_field, aggregates),
                    runs=3,
                )
                total, scans = plan(cr, env, model, domain, date_field, aggregates)
                print(f"  {label}: {ms:,.0f} ms, {queries} queries; {total}")
                for scan in scans[:6]:
                    print(f"      {scan}")
    finally:
        if not args.keep:
            registry.delete(args.db)
            drop_database(args.db)


if __name__ == "__main__":
    main()
