"""Benchmark of the SLA status refresh: a script printing figures, not a test.

Creates open tickets with two SLA policies each (on two calendars), then times
the cron's full refresh of every undecided SLA status, server side.

    .venv/bin/python bench/bench_sla_refresh.py              # 20,000 tickets
    .venv/bin/python bench/bench_sla_refresh.py --tickets 2000
"""

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from freezegun import freeze_time

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_customer_history import (  # noqa: E402
    ADDON,
    close_database,
    open_database,
)

BATCH = 1000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"{ADDON}_bench_sla")
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


def setup_policies(env):
    sun_thu = env.ref("crm_relationship.resource_calendar_sun_thu")
    mon_fri = env.ref("crm_relationship.resource_calendar_mon_fri")
    # a leader and assignees, so that the refresh also writes the activities
    # of targets at risk and the leader's digest of breaches
    users = env["res.users"].create(
        [{"name": f"Bench agent {i}", "login": f"bench-agent-{i}"} for i in range(5)]
    )
    team = env["crm.service.team"].create(
        {
            "name": "Bench team",
            "resource_calendar_id": sun_thu.id,
            "leader_id": users[0].id,
            "member_ids": [(6, 0, users.ids)],
        }
    )
    waiting = env.ref("crm_relationship.crm_service_ticket_stage_waiting")
    env["crm.sla.policy"].create(
        [
            {
                "name": "Israel office",
                "team_id": team.id,
                "first_response_hours": 4,
                "resolution_hours": 45,
                "pause_stage_ids": [(4, waiting.id)],
            },
            {
                "name": "London office",
                "team_id": team.id,
                "resource_calendar_id": mon_fri.id,
                "first_response_hours": 8,
                "resolution_hours": 80,
            },
        ]
    )
    return team


def create_tickets(env, cr, team, count):
    customers = env["res.partner"].create(
        [{"name": f"Bench customer {i}", "is_company": True} for i in range(200)]
    )
    now = datetime.now().replace(microsecond=0)
    random.seed(7)
    started = time.perf_counter()
    for offset in range(0, count, BATCH):
        env["crm.service.ticket"].create(
            [
                {
                    "name": f"Bench ticket {offset + i}",
                    "partner_id": random.choice(customers).id,
                    "team_id": team.id,
                    "user_id": random.choice(team.member_ids).id,
                    "opened_at": now
                    - timedelta(minutes=random.randint(0, 60 * 24 * 3)),
                }
                for i in range(min(BATCH, count - offset))
            ]
        )
        env.flush_all()
        cr.commit()
        env.invalidate_all()
    return time.perf_counter() - started


def refresh(env, cr, later=timedelta(0)):
    env.invalidate_all()
    queries = cr.sql_log_count
    started = time.perf_counter()
    with freeze_time(datetime.now() + later):
        env["crm.service.ticket.sla"]._cron_refresh()
    env.flush_all()
    seconds = time.perf_counter() - started
    cr.commit()
    return seconds, cr.sql_log_count - queries


def main():
    args = parse_args()
    _config, odoo, registry, _fresh = open_database("bench-sla", args.db)
    try:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            team = setup_policies(env)
            create_seconds = create_tickets(env, cr, team, args.tickets)
            cr.execute(
                "SELECT count(*), count(*) FILTER (WHERE status = 'breached') "
                "FROM crm_service_ticket_sla"
            )
            rows, breached_before = cr.fetchone()
            first_seconds, first_queries = refresh(env, cr)
            again_seconds, again_queries = refresh(env, cr)
            later_seconds, later_queries = refresh(env, cr, timedelta(days=1))
            cr.execute(
                "SELECT status, count(*) FROM crm_service_ticket_sla GROUP BY status"
            )
            statuses = dict(cr.fetchall())
            cr.execute(
                "SELECT count(*) FROM mail_activity "
                "WHERE res_model = 'crm.service.ticket'"
            )
            [activities] = cr.fetchone()
        tickets = args.tickets
        print(f"\ndatabase: {tickets:,} open tickets, {rows:,} SLA statuses")
        print("figures:")
        print(
            f"  ticket creation with SLA statuses: {tickets / create_seconds:,.0f} "
            f"tickets/s ({create_seconds:.1f} s)"
        )
        print(
            f"  cron full refresh: {first_seconds:.2f} s, "
            f"{tickets / first_seconds:,.0f} tickets/s, {first_queries:,} queries"
        )
        print(
            f"  cron refresh again (nothing changed): {again_seconds:.2f} s, "
            f"{tickets / again_seconds:,.0f} tickets/s, {again_queries:,} queries"
        )
        print(
            f"  cron refresh a day later (many at risk or breached): "
            f"{later_seconds:.2f} s, {tickets / later_seconds:,.0f} tickets/s, "
            f"{later_queries:,} queries"
        )
        print(f"  breached at creation: {breached_before:,}; statuses now: {statuses}")
        print(f"  at-risk activities created for the assignees: {activities:,}")
    finally:
        close_database(odoo, args.db, args.keep)


if __name__ == "__main__":
    main()
