"""SLA engine and the OCA anchor side by side: a script printing figures, not a test.

The anchor is OCA `helpdesk_mgmt` + `helpdesk_mgmt_sla` 18.0, downloaded as wheels
with pip into var/oca-wheels (a cache; never committed) and unpacked into
var/oca-addons. Each side gets its own fresh database (no demo data) with the same
Sunday–Thursday 08:30–17:30 Asia/Jerusalem calendar, two holidays and two targets,
4 and 24 working hours. The same work then runs interleaved (OCA, ours, OCA,
ours) in one process:

- ticket creation in batches of 1,000, with the SLA targets and without any (the
  difference is the SLA's cost per ticket);
- all deadlines replanned after a holiday is added, at each size (SLA rows, two
  per ticket): ours through the holiday's own hook (and the replanning cron when
  it hands the work over), OCA's by forcing the recomputation of its stored
  deadlines, which do not depend on the calendar's leaves;
- all deadlines replanned after a target changes (24 h to 20 h and back).

Both sides' deadlines are compared after every replan (every row, and a sample of
edge cases: holiday openings, 17:29/17:30, Friday, Saturday night, the October DST
change). OCA counts from `create_date`: its tickets are created with the cursor's
`now` set to their opening time.

    .venv/bin/python bench/bench_sla_vs_oca.py --quick  # 1k, 4k, 10k rows (20k ours)
    .venv/bin/python bench/bench_sla_vs_oca.py          # 1k, 20k, 60k (100k ours)
"""

import argparse
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from unittest import mock

import pytz

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]

from odoo_env import (  # noqa: E402
    ADDON,
    VAR,
    drop_database,
    free_port,
    odoo_path,
    write_config,
)
from servers import create_database  # noqa: E402

OCA_WHEELS = VAR / "oca-wheels"
OCA_ADDONS = VAR / "oca-addons"
OCA_REQUIREMENTS = (
    "odoo-addon-helpdesk_mgmt==18.0.*",
    "odoo-addon-helpdesk_mgmt_sla==18.0.*",
)
OCA_MODULES = ("helpdesk_mgmt", "helpdesk_mgmt_sla")
TZ = pytz.timezone("Asia/Jerusalem")
BATCH = 1000
TARGETS = {"first_response": 4, "resolution": 24}
CHANGED_TARGET = ("resolution", 20)
FULL_SIZES = (1_000, 20_000, 60_000)
FULL_OURS_ONLY = 100_000
QUICK_SIZES = (1_000, 4_000, 10_000)
QUICK_OURS_ONLY = 20_000
# holidays of the calendar from the start
HOLIDAYS = (
    ("Holiday on a Sunday", "2026-10-04 00:00", "2026-10-05 00:00"),
    ("Holiday on a Tuesday", "2026-10-13 00:00", "2026-10-14 00:00"),
)
# the sample compared one by one: (label, opening)
SAMPLE = (
    ("opened on the Sunday holiday", "2026-10-04 10:00"),
    ("opened on the eve of the Sunday holiday", "2026-10-01 16:00"),
    ("opened on the Tuesday holiday", "2026-10-13 15:00"),
    ("opened on Monday 17:29, before the holiday", "2026-10-12 17:29"),
    ("opened on Monday 17:30, before the holiday", "2026-10-12 17:30"),
    ("opened on a Friday", "2026-10-16 11:00"),
    ("opened on Saturday night", "2026-10-17 23:30"),
    ("opened on Thursday before the DST change", "2026-10-22 16:00"),
    ("opened on Saturday night, the DST change", "2026-10-24 23:30"),
    ("opened at 17:29 on the DST change Sunday", "2026-10-25 17:29"),
)
# the bulk of the tickets opens between these moments, the benchmark runs at
# the second one (``fields.Datetime.now``): no target is breached yet
OPENINGS = ("2026-11-04 17:10", "2026-11-05 12:00")
# one holiday added per size; each one moves every deadline planned so far
STEP_HOLIDAYS = (
    ("Closed Thursday afternoon", "2026-11-05 12:00", "2026-11-06 00:00"),
    ("Closed on Sunday", "2026-11-08 00:00", "2026-11-09 00:00"),
    ("Closed on Monday", "2026-11-09 00:00", "2026-11-10 00:00"),
    ("Closed on Tuesday", "2026-11-10 00:00", "2026-11-11 00:00"),
)
# small sizes are timed this many times (holiday added, removed, added...)
SMALL_ROWS = 2_000
# tickets per side whose creation is timed, with and without SLA, at the
# second size
CREATION = 2_000
SMALL_REPEATS = 3


def local(text):
    moment = TZ.localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
    return moment.astimezone(pytz.utc).replace(tzinfo=None)


BENCH_NOW = local(OPENINGS[1])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument(
        "--sizes",
        help="rows per size, comma-separated, the last one for ours only "
        "(instead of the sizes of --quick or of the full run)",
    )
    parser.add_argument(
        "--db-prefix",
        default=f"{ADDON}_bench_vs_oca",
        help="databases PREFIX_oca/_ours",
    )
    parser.add_argument("--port", type=int, default=0, help="http_port of the config")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--oca-target-upto",
        type=int,
        default=0,
        help="time OCA's replan after a target change up to this size only "
        "(its holiday replan at every size): to save time on a loaded machine",
    )
    parser.add_argument(
        "--orm-populations",
        action="store_true",
        help="create every ticket through the ORM (slow at 60k) instead of "
        "copying the first one in SQL beyond the first size and the timed creation",
    )
    parser.add_argument(
        "--template",
        action="store_true",
        help="copy the databases from PREFIX_oca_template/_ours_template (made "
        "once, kept) instead of installing: to develop faster",
    )
    return parser.parse_args()


# ----------------------------------------------------------------------
# Setting up
# ----------------------------------------------------------------------


def ensure_oca_addons():
    """var/oca-addons/<module> from the cached wheels, downloaded when missing."""
    wheels = sorted(OCA_WHEELS.glob("odoo_addon_helpdesk_mgmt*.whl"))
    if len(wheels) < len(OCA_MODULES):
        OCA_WHEELS.mkdir(parents=True, exist_ok=True)
        print("downloading the OCA wheels ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            + ["-d", str(OCA_WHEELS), *OCA_REQUIREMENTS],
            check=True,
        )
        wheels = sorted(OCA_WHEELS.glob("odoo_addon_helpdesk_mgmt*.whl"))
    if not all(
        (OCA_ADDONS / name / "__manifest__.py").exists() for name in OCA_MODULES
    ):
        shutil.rmtree(OCA_ADDONS, ignore_errors=True)
        with tempfile.TemporaryDirectory() as unpacked:
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(unpacked)
            shutil.copytree(Path(unpacked) / "odoo" / "addons", OCA_ADDONS)
    return [wheel.name for wheel in wheels]


def openings(count, seed):
    """``count`` opening moments to the second between OPENINGS."""
    rng = random.Random(seed)
    start, stop = local(OPENINGS[0]), local(OPENINGS[1])
    seconds = int((stop - start).total_seconds())
    return [start + timedelta(seconds=rng.randrange(seconds)) for _i in range(count)]


class Side:
    """One database, its cursor, and what the benchmark does in it."""

    label = ""

    def __init__(self, odoo, database):
        self.odoo = odoo
        self.database = database
        self.registry = odoo.modules.registry.Registry(database)
        self.cr = self.registry.cursor()
        self.env = odoo.api.Environment(self.cr, odoo.SUPERUSER_ID, {})
        self.counts = {True: 0, False: 0}  # tickets created with / without SLA
        # no parallel workers: their CPU would escape the backend's figures
        self.cr.execute("SET max_parallel_workers_per_gather = 0")
        self.cr.execute("SELECT pg_backend_pid()")
        (self.backend,) = self.cr.fetchone()
        self.last_cpu = None  # CPU seconds of the last ``timed`` work

    def cpu_seconds(self):
        """CPU seconds used so far by this process and by the PostgreSQL
        backend of this side's cursor (from /proc, as the server is local), or
        None when the backend's figures cannot be read: unlike wall time, they
        do not grow when other work shares the machine."""
        try:
            stat = Path(f"/proc/{self.backend}/stat").read_text()
        except OSError:
            return None
        # the fields after the command's closing parenthesis: utime, stime are
        # the 12th and 13th of them
        ticks = stat.rsplit(")", 1)[1].split()
        backend = (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")
        return time.process_time() + backend

    def close(self):
        self.cr.close()
        self.odoo.modules.registry.Registry.delete(self.database)
        self.odoo.sql_db.close_db(self.database)

    def commit(self):
        self.env.flush_all()
        self.cr.commit()
        self.env.invalidate_all()

    def timed(self, work):
        """Seconds of ``work()`` up to its commit, caches cold before."""
        self.env.invalidate_all()
        cpu = self.cpu_seconds()
        started = time.perf_counter()
        result = work()
        self.env.flush_all()
        self.cr.commit()
        seconds = time.perf_counter() - started
        after = self.cpu_seconds()
        self.last_cpu = after - cpu if cpu is not None and after is not None else None
        self.env.invalidate_all()
        return seconds, result

    def setup(self):
        Command = self.odoo.Command
        self.calendar = self.env["resource.calendar"].create(
            {
                "name": "Bench Sunday-Thursday",
                "tz": TZ.zone,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 8.5,
                            "hour_to": 17.5,
                        }
                    )
                    # Monday is 0, Sunday 6
                    for day in (6, 0, 1, 2, 3)
                ],
            }
        )
        for name, start, stop in HOLIDAYS:
            self.add_holiday(name, start, stop)
        self.setup_side()
        self.commit()
        for index, (_label, opening) in enumerate(SAMPLE):
            self.create_tickets([(f"Sample {index}", local(opening))])
            self.commit()

    def add_holiday(self, name, start, stop):
        return self.env["resource.calendar.leaves"].create(
            {
                "name": name,
                "calendar_id": self.calendar.id,
                "date_from": local(start),
                "date_to": local(stop),
            }
        )

    def create_batch(self, moments, with_sla=True):
        """A batch of tickets opened at ``moments``; returns the seconds."""
        first = self.counts[with_sla]
        self.counts[with_sla] += len(moments)
        prefix = "Bench ticket" if with_sla else "No SLA"
        tickets = [
            (f"{prefix} {first + i}", moment) for i, moment in enumerate(moments)
        ]
        seconds, _result = self.timed(lambda: self.create_tickets(tickets, with_sla))
        self.after_batch()
        return seconds

    def after_batch(self):
        pass

    def bulk_create(self, moments):
        """Tickets with SLA targets opened at ``moments`` as copies, in SQL,
        of the first ticket created through the ORM, and copies of its SLA rows
        with no deadline yet (the next replan plans them): the same on both
        sides, no chatter, not timed."""
        SQL = self.odoo.tools.SQL
        first = self.counts[True]
        self.counts[True] += len(moments)
        names = [f"Bench ticket {first + i}" for i in range(len(moments))]
        ticket_table, sla_table = self.tables
        self.env.flush_all()
        self.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE name = 'Bench ticket 0'",
                SQL.identifier(ticket_table),
            )
        )
        (template,) = self.cr.fetchone()

        def columns(table, replaced):
            self.cr.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name != 'id' ORDER BY column_name",
                [table],
            )
            names = [name for (name,) in self.cr.fetchall()]
            return (
                SQL(", ").join(map(SQL.identifier, names)),
                SQL(", ").join(
                    replaced.get(name) or SQL("old.%s", SQL.identifier(name))
                    for name in names
                ),
            )

        ticket_columns, ticket_values = columns(ticket_table, self.ticket_copy)
        sla_columns, sla_values = columns(sla_table, self.sla_copy)
        for offset in range(0, len(moments), 10_000):
            self.cr.execute(
                SQL(
                    "WITH new AS (INSERT INTO %(tickets)s (%(ticket_columns)s) "
                    "SELECT %(ticket_values)s FROM %(tickets)s old, "
                    "unnest(%(names)s::varchar[], %(openings)s::timestamp[]) "
                    "AS new(name, opening) WHERE old.id = %(template)s "
                    "RETURNING id, %(opening)s AS opening) "
                    "INSERT INTO %(slas)s (%(sla_columns)s) "
                    "SELECT %(sla_values)s FROM %(slas)s old, new "
                    "WHERE old.ticket_id = %(template)s",
                    tickets=SQL.identifier(ticket_table),
                    slas=SQL.identifier(sla_table),
                    ticket_columns=ticket_columns,
                    ticket_values=ticket_values,
                    sla_columns=sla_columns,
                    sla_values=sla_values,
                    names=names[offset : offset + 10_000],
                    openings=moments[offset : offset + 10_000],
                    template=template,
                    opening=SQL.identifier(self.opening_column),
                )
            )
        self.cr.commit()
        self.env.invalidate_all()

    def replan_after(self, change):
        """Seconds of the change and of all the replanning it causes (their
        CPU seconds in ``last_cpu``)."""
        seconds, result = self.timed(change)
        cpu, self.last_cpu = self.last_cpu, 0.0
        seconds += self.replan()
        if cpu is None or self.last_cpu is None:
            self.last_cpu = None
        else:
            self.last_cpu += cpu
        return seconds, result


class OcaSide(Side):
    label = "OCA"
    tables = ("helpdesk_ticket", "helpdesk_ticket_sla")
    opening_column = "create_date"

    @property
    def ticket_copy(self):
        SQL = self.odoo.tools.SQL
        return {"name": SQL("new.name"), "create_date": SQL("new.opening")}

    @property
    def sla_copy(self):
        SQL = self.odoo.tools.SQL
        return {
            "ticket_id": SQL("new.id"),
            "last_state_date": SQL("new.opening"),
            "deadline": SQL("NULL"),
        }

    def setup_side(self):
        Command = self.odoo.Command
        self.team = self.env["helpdesk.ticket.team"].create(
            {
                "name": "Bench SLA",
                "use_sla": True,
                "resource_calendar_id": self.calendar.id,
            }
        )
        self.plain_team = self.env["helpdesk.ticket.team"].create(
            {"name": "Bench without SLA", "resource_calendar_id": self.calendar.id}
        )
        done = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        self.slas = self.env["helpdesk.sla"].create(
            [
                {
                    "name": target,
                    "team_ids": [Command.set(self.team.ids)],
                    "hours": hours,
                    "days": 0,
                    "stage_id": done.id,
                }
                for target, hours in TARGETS.items()
            ]
        )
        self.forced = ["deadline"]
        self.moved = []  # (moved by the change, by the forced replan, rows)

    def create_tickets(self, tickets, with_sla=True):
        """One create per batch. The cursor's now, hence ``create_date``, is
        the opening of the first ticket; ``after_batch`` moves the others'."""
        self.cr._now = tickets[0][1]
        records = self.env["helpdesk.ticket"].create(
            [
                {
                    "name": name,
                    "description": "<p>Bench</p>",
                    "team_id": (self.team if with_sla else self.plain_team).id,
                }
                for name, _opening in tickets
            ]
        )
        self._openings = dict(zip(records.ids, (o for _n, o in tickets), strict=True))

    def after_batch(self):
        """create_date of each ticket of the last batch at its own opening, as
        if each was created then (not timed)."""
        openings = self._openings
        if len(set(openings.values())) > 1:
            SQL = self.odoo.tools.SQL
            values = SQL(",").join(
                SQL("(%s, %s::timestamp)", ticket_id, opening)
                for ticket_id, opening in openings.items()
            )
            self.cr.execute(
                SQL(
                    "UPDATE helpdesk_ticket t SET create_date = v.opening "
                    "FROM (VALUES %s) AS v(id, opening) WHERE t.id = v.id",
                    values,
                )
            )
            self.cr.execute(
                "UPDATE helpdesk_ticket_sla s SET last_state_date = t.create_date "
                "FROM helpdesk_ticket t WHERE t.id = s.ticket_id AND t.id IN %s",
                [tuple(openings)],
            )
            self.cr.commit()

    def replanned_rows(self):
        return self.env["helpdesk.ticket.sla"].search_count(
            [("state", "=", "in_progress")]
        )

    def replan(self):
        """Force the recomputation of the stored deadlines (and of the hours
        after a target change): they depend on neither the calendar's leaves
        nor the SLA's hours. Before that, count the deadlines that moved."""
        before = self.stored_deadlines_before
        hooked = self.stored_deadlines()

        def force():
            rows = self.env["helpdesk.ticket.sla"].search(
                [("state", "=", "in_progress")]
            )
            for name in self.forced:
                self.env.add_to_compute(rows._fields[name], rows)

        seconds, _result = self.timed(force)
        forced = self.stored_deadlines()
        # rows copied in bulk have no deadline before their first replan
        before = {key: deadline for key, deadline in before.items() if deadline}
        self.moved.append(
            (
                sum(hooked[key] != deadline for key, deadline in before.items()),
                sum(forced[key] != deadline for key, deadline in before.items()),
                len(before),
            )
        )
        return seconds

    def replan_after(self, change):
        self.stored_deadlines_before = self.stored_deadlines()
        return super().replan_after(change)

    def change_target(self, hours):
        target, _hours = CHANGED_TARGET
        self.slas.filtered(lambda sla: sla.name == target).hours = hours

    def stored_deadlines(self):
        self.env.flush_all()
        self.cr.execute(
            """
            SELECT ticket.name, sla.name, row.deadline
              FROM helpdesk_ticket_sla row
              JOIN helpdesk_ticket ticket ON ticket.id = row.ticket_id
              JOIN helpdesk_sla sla ON sla.id = row.sla_id
            """
        )
        return {
            (ticket, target): moment for ticket, target, moment in self.cr.fetchall()
        }


class OursSide(Side):
    label = "ours"
    tables = ("crm_service_ticket", "crm_service_ticket_sla")
    opening_column = "opened_at"

    @property
    def ticket_copy(self):
        SQL = self.odoo.tools.SQL
        return {"name": SQL("new.name"), "opened_at": SQL("new.opening")}

    @property
    def sla_copy(self):
        SQL = self.odoo.tools.SQL
        return {
            "ticket_id": SQL("new.id"),
            "opened_at": SQL("new.opening"),
            "clock_at": SQL("new.opening"),
            "clock_hours": SQL("0"),
            "deadline": SQL("NULL"),
        }

    def setup_side(self):
        self.team = self.env["crm.service.team"].create(
            {"name": "Bench SLA", "resource_calendar_id": self.calendar.id}
        )
        self.plain_team = self.env["crm.service.team"].create(
            {"name": "Bench without SLA", "resource_calendar_id": self.calendar.id}
        )
        self.policy = self.env["crm.sla.policy"].create(
            {
                "name": "Bench 4 h / 24 h",
                "team_id": self.team.id,
                "first_response_hours": TARGETS["first_response"],
                "resolution_hours": TARGETS["resolution"],
            }
        )

    def create_tickets(self, tickets, with_sla=True):
        team = self.team if with_sla else self.plain_team
        self.env["crm.service.ticket"].create(
            [
                {"name": name, "team_id": team.id, "opened_at": opening}
                for name, opening in tickets
            ]
        )

    def replanned_rows(self):
        return self.env["crm.service.ticket.sla"].search_count(
            [("reached_at", "=", False), ("clock_running", "=", True)]
        )

    def replan(self):
        """What the change handed over to the replanning cron, if anything,
        run as the cron runs it (a commit per batch)."""
        Sla = self.env["crm.service.ticket.sla"]
        if not hasattr(Sla, "_cron_replan_deadlines"):
            return 0.0
        seconds, _result = self.timed(Sla._cron_replan_deadlines)
        return seconds

    def change_target(self, hours):
        target, _hours = CHANGED_TARGET
        self.policy[f"{target}_hours"] = hours

    def stored_deadlines(self):
        self.env.flush_all()
        self.cr.execute(
            """
            SELECT ticket.name, row.target, row.deadline
              FROM crm_service_ticket_sla row
              JOIN crm_service_ticket ticket ON ticket.id = row.ticket_id
            """
        )
        return {
            (ticket, target): moment for ticket, target, moment in self.cr.fetchall()
        }


# ----------------------------------------------------------------------
# Comparing
# ----------------------------------------------------------------------


def compare(oca, ours):
    """(rows compared, rows differing by more than a second, a few of them)."""
    theirs = oca.stored_deadlines()
    differ = []
    for key, deadline in ours.stored_deadlines().items():
        other = theirs.get(key)
        if not (deadline and other and abs(deadline - other) <= timedelta(seconds=1)):
            differ.append((key, deadline, other))
    return len(theirs), len(differ), differ[:5]


def wall(moment):
    if not moment:
        return "-"
    return pytz.utc.localize(moment).astimezone(TZ).strftime("%a %d %b %H:%M")


def print_sample(oca, ours):
    theirs = oca.stored_deadlines()
    mine = ours.stored_deadlines()
    print(
        "\nsample deadlines, Asia/Jerusalem (4 h target | 24 h target; '=' both sides):"
    )
    same = 0
    for index, (label, opening) in enumerate(SAMPLE):
        cells = []
        for target in TARGETS:
            key = (f"Sample {index}", target)
            equal = bool(mine[key] and theirs[key]) and abs(
                mine[key] - theirs[key]
            ) <= timedelta(seconds=1)
            same += equal
            cells.append(
                f"{wall(mine[key])} "
                + ("=" if equal else f"!= OCA {wall(theirs[key])}")
            )
        print(f"  {label:<44} {wall(local(opening))}: " + " | ".join(cells))
    return same, 2 * len(SAMPLE)


# ----------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------


def create_interleaved(sides, count, seed, without=False):
    """``count`` tickets per side in batches, OCA then ours for each batch
    (then a batch without SLA on each side when ``without``); returns the
    seconds and the CPU seconds (None when unknown) per (side, with SLA)."""
    seconds = {(side.label, kind): 0.0 for side in sides for kind in (True, False)}
    cpu = dict.fromkeys(seconds, 0.0)
    moments = openings(count, seed)
    for offset in range(0, count, BATCH):
        chunk = moments[offset : offset + BATCH]
        for with_sla in (True, False) if without else (True,):
            for side in sides:
                seconds[side.label, with_sla] += side.create_batch(chunk, with_sla)
                if cpu is not None and side.last_cpu is not None:
                    cpu[side.label, with_sla] += side.last_cpu
                else:
                    cpu = None
    return seconds, cpu


def timed_replans(sides, size, changes):
    """rows/s of each side, the changes applied in turn (OCA, then ours); at
    small sizes the median of several. Also, keyed "<side> CPU", rows per
    CPU second of the process and its PostgreSQL backend."""
    rates = {side.label: [] for side in sides}
    cpu_rates = {side.label: [] for side in sides}
    repeats = SMALL_REPEATS if size <= SMALL_ROWS else 1
    for attempt in range(repeats):
        change = changes[attempt % len(changes)]
        for side in sides:
            rows = side.replanned_rows()
            seconds, _result = side.replan_after(partial(change, side))
            rates[side.label].append(rows / seconds)
            if side.last_cpu:
                cpu_rates[side.label].append(rows / side.last_cpu)
    median = {label: statistics.median(values) for label, values in rates.items()}
    for label, values in cpu_rates.items():
        if values:
            median[f"{label} CPU"] = statistics.median(values)
    return median


def holiday_changes(holiday):
    """Add ``holiday``, remove it."""
    leaves = {}

    def add(side):
        leaves[side.label] = side.add_holiday(*holiday)

    def remove(side):
        leaves.pop(side.label).unlink()

    return [add, remove]


def target_changes():
    """Lower the changed target, restore it."""
    target, hours = CHANGED_TARGET
    return [
        lambda side: side.change_target(hours),
        lambda side: side.change_target(TARGETS[target]),
    ]


def load_average():
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def run(sides, sizes, ours_only, orm_populations=False, oca_target_upto=0):
    oca, ours = sides
    results = []
    creation = None
    for step, size in enumerate([*sizes, ours_only]):
        running = sides if size in sizes else (ours,)
        todo = size // 2 - len(SAMPLE) - ours.counts[True]
        measure = step == 1  # the second size times creation, without SLA too
        # the first size and the creation timing through the ORM; the rest of
        # the populations in bulk unless told otherwise
        orm = todo if orm_populations or step == 0 else 0
        if measure:
            orm = max(orm, min(todo, CREATION))
        seconds, cpu = create_interleaved(running, orm, seed=step, without=measure)
        if measure:
            creation = (orm, seconds, cpu)
        if todo > orm:
            moments = openings(todo - orm, seed=100 + step)
            for side in running:
                side.bulk_create(moments)
        result = {"size": size, "load": load_average(), "compared": []}
        oca.moved.clear()
        result["holiday"] = timed_replans(
            running, size, holiday_changes(STEP_HOLIDAYS[step])
        )
        if oca in running:
            result["moved"] = oca.moved[0]
            result["compared"].append(compare(oca, ours))
        oca.forced = ["hours", "deadline"]
        targeted = [
            side
            for side in running
            if side is ours or not oca_target_upto or size <= oca_target_upto
        ]
        result["target"] = timed_replans(targeted, size, target_changes())
        oca.forced = ["deadline"]
        if oca in targeted:
            result["compared"].append(compare(oca, ours))
        results.append(result)
        print(
            f"{size:,} rows: holiday "
            + ", ".join(f"{k} {v:,.0f} rows/s" for k, v in result["holiday"].items())
            + "; target "
            + ", ".join(f"{k} {v:,.0f} rows/s" for k, v in result["target"].items())
            + "".join(
                f"; compared {compared:,}, {differ} differ"
                for compared, differ, _examples in result["compared"]
            )
            + f"; load {result['load']}",
            flush=True,
        )
        for _compared, _differ, examples in result["compared"]:
            for example in examples:
                print(f"    differs: {example}")
    return results, creation


def ratio(theirs, mine):
    return f"{mine / theirs:.2f}x" if theirs and mine else "-"


def report(results, creation, sample, wheels, orm_populations=False):
    print(f"\nOCA anchor: {', '.join(wheels)}")
    print("\n| work | OCA | this addon | ratio |\n|---|---|---|---|")
    count, seconds, cpu = creation
    rate = {label: count / seconds[label, True] for label in ("OCA", "ours")}
    print(
        f"| create {count:,} tickets with two SLA targets, batches of {BATCH:,} "
        f"| {rate['OCA']:,.0f} tickets/s | {rate['ours']:,.0f} tickets/s "
        f"| {ratio(rate['OCA'], rate['ours'])} |"
    )
    cost = {
        label: (seconds[label, True] - seconds[label, False]) / count * 1000
        for label in ("OCA", "ours")
    }
    print(
        "| SLA cost per created ticket (with minus without SLA) "
        f"| {cost['OCA']:.2f} ms | {cost['ours']:.2f} ms "
        f"| {ratio(cost['ours'], cost['OCA'])} |"
    )
    if cpu:
        cpu_cost = {
            label: (cpu[label, True] - cpu[label, False]) / count * 1000
            for label in ("OCA", "ours")
        }
        print(
            "| the same in CPU time (this process and its PostgreSQL backend) "
            f"| {cpu_cost['OCA']:.2f} ms | {cpu_cost['ours']:.2f} ms "
            f"| {ratio(cpu_cost['ours'], cpu_cost['OCA'])} |"
        )
    for kind, title in (
        ("holiday", "a holiday is added"),
        ("target", "a target changes"),
    ):
        for result in results:
            rates = result[kind]
            for suffix, unit in (("", "rows/s"), (" CPU", "rows per CPU s")):
                if f"ours{suffix}" not in rates:
                    continue
                theirs = rates.get(f"OCA{suffix}")
                print(
                    f"| deadlines replanned after {title}, {result['size']:,} rows"
                    f"{', in CPU time' if suffix else ''} "
                    f"| {f'{theirs:,.0f} {unit}' if theirs else '-'} "
                    f"| {rates[f'ours{suffix}']:,.0f} {unit} "
                    f"| {ratio(theirs, rates[f'ours{suffix}'])} |"
                )
    print()
    for kind in ("holiday", "target"):
        for key, unit in (("ours", "rows/s"), ("ours CPU", "rows per CPU second")):
            if key not in results[0][kind] or key not in results[-1][kind]:
                continue
            first, last = results[0][kind][key], results[-1][kind][key]
            print(
                f"linearity ({kind}, {unit}): ours {last:,.0f} at "
                f"{results[-1]['size']:,} rows = {last / first:.2f} x its "
                f"{first:,.0f} at {results[0]['size']:,} "
                f"({'PASS' if last >= 0.8 * first else 'FAIL'}, at least 0.8)"
            )
    for kind in ("holiday", "target"):
        anchor = [result for result in results if "OCA" in result[kind]][-1]
        times = anchor[kind]["ours"] / anchor[kind]["OCA"]
        in_cpu = ""
        if "OCA CPU" in anchor[kind] and "ours CPU" in anchor[kind]:
            in_cpu = (
                f", {anchor[kind]['ours CPU'] / anchor[kind]['OCA CPU']:.1f}x "
                "in CPU time"
            )
        print(
            f"{kind} replan at {anchor['size']:,} rows: {times:.1f}x OCA{in_cpu} "
            f"({'PASS' if times >= 10 else 'FAIL'}, at least 10x)"
        )
    compared = sum(c[0] for r in results for c in r["compared"])
    differ = sum(c[1] for r in results for c in r["compared"])
    print(
        f"deadlines compared with OCA's after each replan: {compared:,}, "
        f"{differ} different; sample: {sample[0]} of {sample[1]} equal"
    )
    for hooked, forced, total in (r["moved"] for r in results if "moved" in r):
        print(
            f"OCA: adding a holiday moved {hooked:,} of its {total:,} stored "
            f"deadlines; its forced recomputation moved {forced:,}"
        )
    print(
        "(OCA's stored deadlines do not depend on the calendar's leaves: a "
        "holiday added moves none of them until they are recomputed for another "
        "reason; its replan is forced here)"
    )
    print(
        "populations: "
        + (
            "all tickets created through the ORM"
            if orm_populations
            else f"the first size and the {count:,} timed tickets created "
            "through the ORM, the rest on both sides alike as SQL copies of the "
            "first ticket with its SLA rows (opening set, no deadline until the "
            "replan; no chatter)"
        )
    )
    print(
        "load average (1/5/15 min) per size: "
        + ", ".join(f"{r['size']:,}: {r['load']}" for r in results)
    )


def main():
    args = parse_args()
    sizes, ours_only = (
        (QUICK_SIZES, QUICK_OURS_ONLY) if args.quick else (FULL_SIZES, FULL_OURS_ONLY)
    )
    if args.sizes:
        *sizes, ours_only = (int(size) for size in args.sizes.split(","))
    wheels = ensure_oca_addons()
    config = write_config(
        "bench-sla-vs-oca",
        args.port or free_port(),
        addons_path=",".join(
            [
                str(odoo_path() / "odoo" / "addons"),
                str(REPO / "addons"),
                str(OCA_ADDONS),
            ]
        ),
    )
    databases = {"OCA": f"{args.db_prefix}_oca", "ours": f"{args.db_prefix}_ours"}
    create_database(config, databases["OCA"], "helpdesk_mgmt_sla", args.template)
    create_database(config, databases["ours"], ADDON, args.template)

    sys.path.insert(0, str(odoo_path()))
    import odoo  # noqa: PLC0415

    odoo.tools.config.parse_config(["-c", str(config)])
    # both sides run at BENCH_NOW: the tickets are fresh, no target breached
    patch_now = mock.patch.object(
        odoo.fields.Datetime, "now", staticmethod(lambda *_args: BENCH_NOW)
    )
    sides = []
    try:
        patch_now.start()
        sides = [OcaSide(odoo, databases["OCA"]), OursSide(odoo, databases["ours"])]
        for side in sides:
            side.setup()
        # two registries in one process: the collector would otherwise walk
        # both of them at random moments of either side's timings
        gc.collect()
        gc.freeze()
        sample = print_sample(*sides)
        print(f"load average at start: {load_average()}", flush=True)
        results, creation = run(
            sides, sizes, ours_only, args.orm_populations, args.oca_target_upto
        )
        report(results, creation, sample, wheels, args.orm_populations)
    finally:
        patch_now.stop()
        for side in sides:
            side.close()
        if not args.keep:
            for database in databases.values():
                drop_database(database)


if __name__ == "__main__":
    main()
