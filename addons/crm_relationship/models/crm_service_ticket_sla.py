import operator
import threading
from ast import literal_eval
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import SQL, split_every

from .crm_service_ticket import column_values, sla_clock_runs, sla_reached_at
from .working_time import WorkingTimes

SLA_TARGETS = [("first_response", "First Response"), ("resolution", "Resolution")]
SLA_STATUSES = [
    ("ongoing", "Ongoing"),
    ("paused", "Paused"),
    ("met", "Met"),
    ("breached", "Breached"),
]
AT_RISK_RATIO = 0.8
# Deadlines are searched this many days ahead, then further: a calendar with
# no working time in the last window gives a warning, never a silent "never".
DEADLINE_WINDOWS = (14, 60, 400, 1500)
# Deadlines are rounded to the second: a target reached on its deadline may
# show up to half a second over it, and is met.
BREACH_TOLERANCE_HOURS = 1 / 3600
SUCCESS_RATES = {"met": 100.0, "breached": 0.0}
# rows read, computed and written per query
BATCH_SIZE = 5000
# a replanning of more rows is handed to the replanning cron, which commits
# after each batch
REPLAN_INLINE_ROWS = 20000
# the rows whose deadline depends on the working time ahead
REPLANNED = [("reached_at", "=", False), ("clock_running", "=", True)]
# the columns of the table the engine reads
ROW_COLUMNS = (
    "ticket_id",
    "policy_id",
    "target",
    "target_hours",
    "calendar_id",
    "deadline",
    "reached_at",
    "status",
    "at_risk",
    "success_rate",
    "warning",
    "clock_hours",
    "clock_at",
    "clock_running",
    "at_risk_notified",
    "breach_notified",
)
# ... and the ticket's, read with them: a row does not store copies of its
# ticket, so inserting one checks three foreign keys, not ten
TICKET_COLUMNS = ("company_id", "team_id", "user_id", "opened_at")
ROW_FIELDS = ROW_COLUMNS + TICKET_COLUMNS
# ... and those it changes
ENGINE_FIELDS = (
    "target_hours",
    "calendar_id",
    "deadline",
    "reached_at",
    "status",
    "at_risk",
    "success_rate",
    "warning",
    "clock_hours",
    "clock_at",
    "clock_running",
    "breach_notified",
)
# the ticket fields that start, stop or reach a clock
# (whether it is closed is its stage's: read there, not in the stored
# ``is_closed`` a new ticket computes when flushed)
TICKET_CLOCK_FIELDS = ["stage_id", "closed_at", "first_response_at"]
BOOLEAN_FIELDS = (
    "at_risk",
    "clock_running",
    "at_risk_notified",
    "breach_notified",
)


engine_values = operator.attrgetter(*ENGINE_FIELDS)


def pg_array(values, kind):
    """The text form of a PostgreSQL array of ``values`` of the column type
    ``kind`` (None is NULL); text values quoted and escaped."""
    if not values:
        return "{}"
    if kind.lower().startswith(("varchar", "text")):
        if None not in values:
            # no value holds a NUL (PostgreSQL refuses it in text)
            joined = "\0".join(values)
            if '"' not in joined and "\\" not in joined:
                return '{"' + joined.replace("\0", '","') + '"}'
        items = (
            "NULL" if value is None else quote_array_item(value) for value in values
        )
    elif None in values:
        items = ("NULL" if value is None else f'"{value}"' for value in values)
    else:
        # numbers, booleans, moments: no quote or backslash in their text
        return '{"' + '","'.join(map(str, values)) + '"}'
    return "{" + ",".join(items) + "}"


def quote_array_item(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


EMPTY_ROW = {
    "id": None,
    "saved": None,
    **dict.fromkeys(ROW_FIELDS),
    **dict.fromkeys(BOOLEAN_FIELDS, False),
}


class SlaRow:
    """One SLA row as the engine reads, computes and writes it: plain values,
    None when empty, no ORM."""

    def __init__(self, **values):
        self.__dict__.update(EMPTY_ROW, **values)

    @classmethod
    def from_db(cls, values):
        """From ``id, *ROW_FIELDS`` as read in the tables."""
        row = cls.__new__(cls)
        row.__dict__.update(zip(("id", *ROW_FIELDS), values, strict=True))
        row.target_hours = row.target_hours or 0.0
        row.clock_hours = row.clock_hours or 0.0
        row.warning = row.warning or None
        for name in BOOLEAN_FIELDS:
            setattr(row, name, bool(getattr(row, name)))
        row.mark_saved()
        return row

    @property
    def key(self):
        """The working time a row counts in: its calendar, with the holidays
        of its company."""
        return (self.calendar_id, self.company_id)

    def mark_saved(self):
        self.saved = engine_values(self)

    def changed(self):
        """Names of the fields changed since read or written."""
        values = engine_values(self)
        if values == self.saved:
            return ()
        return tuple(
            name
            for name, value, saved in zip(
                ENGINE_FIELDS, values, self.saved, strict=True
            )
            if value != saved
        )


class CrmServiceTicketSla(models.Model):
    """The state of one SLA target of one ticket.

    The clock is kept as ``clock_hours`` working hours consumed up to
    ``clock_at``, running or not since then. Every change of the ticket that
    starts, stops or reaches the clock closes the running segment, so the
    consumed time never needs the stage history again; the cron only compares
    the clock with the deadline.
    """

    _name = "crm.service.ticket.sla"
    _description = "Service Ticket SLA Status"
    _order = "deadline, id"
    _rec_name = "policy_id"
    # rows of the system, inserted and updated by the engine: who and when
    # are the ticket's chatter's, not four more columns (two foreign keys)
    # on every row
    _log_access = False

    ticket_id = fields.Many2one(
        "crm.service.ticket", required=True, ondelete="cascade", index=True
    )
    policy_id = fields.Many2one(
        "crm.sla.policy", string="SLA Policy", required=True, ondelete="cascade"
    )
    target = fields.Selection(SLA_TARGETS, required=True)
    target_hours = fields.Float("Target (working hours)", required=True)
    calendar_id = fields.Many2one("resource.calendar", string="Working Hours")
    deadline = fields.Datetime(index=True)
    reached_at = fields.Datetime("Reached On")
    status = fields.Selection(
        SLA_STATUSES, required=True, default="ongoing", index=True
    )
    at_risk = fields.Boolean(
        index=True,
        help="At least 80 % of the target consumed, not reached yet.",
    )
    success_rate = fields.Float(
        "Compliance (%)",
        aggregator="avg",
        help="100 when met, 0 when breached, empty while undecided.",
    )
    warning = fields.Char(readonly=True)
    clock_hours = fields.Float(
        "Hours Consumed at Checkpoint", help="Working hours consumed by clock_at."
    )
    clock_at = fields.Datetime("Clock Checkpoint", required=True)
    clock_running = fields.Boolean()
    at_risk_notified = fields.Boolean(copy=False)
    breach_notified = fields.Boolean(copy=False)
    consumed_hours = fields.Float(
        "Consumed (working hours)", compute="_compute_consumed_hours"
    )
    remaining_hours = fields.Float(
        "Time Left (working hours)", compute="_compute_consumed_hours"
    )
    # the ticket's, for lists, filters and reports: read through the ticket
    # (Odoo joins it to search, group and sort), never copied on the row
    team_id = fields.Many2one(related="ticket_id.team_id")
    user_id = fields.Many2one(related="ticket_id.user_id")
    partner_id = fields.Many2one(
        related="ticket_id.commercial_partner_id", string="Customer"
    )
    ticket_type_id = fields.Many2one(related="ticket_id.ticket_type_id")
    opened_at = fields.Datetime(related="ticket_id.opened_at")
    company_id = fields.Many2one(related="ticket_id.company_id")

    _sql_constraints = [
        (
            "ticket_policy_target_uniq",
            "unique(ticket_id, policy_id, target)",
            "A ticket has one status per SLA policy and target.",
        )
    ]

    @api.depends("clock_hours", "clock_at", "clock_running", "target_hours")
    def _compute_consumed_hours(self):
        consumed = self._consumed_now(fields.Datetime.now())
        for sla in self:
            sla.consumed_hours = consumed.get(sla.id, sla.clock_hours)
            sla.remaining_hours = sla.target_hours - sla.consumed_hours

    def _consumed_now(self, now):
        """{row id: working hours consumed at ``now``} of the running rows."""
        running = self.filtered(
            lambda s: s.id and s.clock_running and s.calendar_id and s.clock_at < now
        )
        keys = {sla: (sla.calendar_id.id, sla.company_id.id) for sla in running}
        times = WorkingTimes(self.env)
        times.cover_all((keys[sla], sla.clock_at, now) for sla in running)
        return {
            sla.id: sla.clock_hours
            + times.known[keys[sla]].hours_between(sla.clock_at, now)
            for sla in running
        }

    # ------------------------------------------------------------
    # The engine: rows read, computed and written in batches as plain
    # values, one query each way per batch, no ORM call per row
    # ------------------------------------------------------------

    def _engine_batches(self):
        """The rows of self as lists of ``SlaRow``, BATCH_SIZE at most, each
        read in one query, with their ticket's values, when the previous one
        is done."""
        self.flush_model(ROW_COLUMNS)
        self.env["crm.service.ticket"].flush_model(TICKET_COLUMNS)
        columns = SQL(", ").join(
            [SQL.identifier("sla", "id")]
            + [SQL.identifier("sla", name) for name in ROW_COLUMNS]
            + [SQL.identifier("ticket", name) for name in TICKET_COLUMNS]
        )
        for ids in split_every(BATCH_SIZE, self.ids, list):
            self.env.cr.execute(
                SQL(
                    "SELECT %s FROM crm_service_ticket_sla sla "
                    "JOIN crm_service_ticket ticket ON ticket.id = sla.ticket_id "
                    "WHERE sla.id = ANY(%s) ORDER BY sla.id",
                    columns,
                    ids,
                )
            )
            yield [SlaRow.from_db(values) for values in self.env.cr.fetchall()]

    def _engine_consumed(self, rows, now, times):
        """{row: working hours consumed at ``now``}."""
        running = [
            row
            for row in rows
            if row.clock_running and row.calendar_id and row.clock_at < now
        ]
        times.cover_all((row.key, row.clock_at, now) for row in running)
        consumed = {row: row.clock_hours for row in rows}
        for row in running:
            consumed[row] += times.known[row.key].hours_between(row.clock_at, now)
        return consumed

    def _engine_plan(self, rows, times, segments=None, remeasured=()):
        """Each row's deadline: see ``_plan_deadlines``."""
        segments = segments or {}
        plans = {}  # row -> (moment, working hours after it)
        for row in rows:
            left = row.target_hours - row.clock_hours
            segment = row.clock_running and segments.get(
                row.id, (row.clock_at, row.clock_hours)
            )
            if left > 0:
                if row.clock_running:
                    plans[row] = (row.clock_at, left)
                else:
                    row.deadline = None
            elif segment and segment[1] <= row.target_hours:
                plans[row] = (segment[0], row.target_hours - segment[1])
            elif row.id in remeasured:
                plans[row] = (row.opened_at, row.target_hours)
        for window in DEADLINE_WINDOWS:
            if not plans:
                break
            times.cover_all(
                (row.key, moment, moment + timedelta(days=window))
                for row, (moment, _hours) in plans.items()
            )
            for row, (moment, hours) in list(plans.items()):
                working_time = times.known.get(row.key)
                deadline = working_time and working_time.add_hours(moment, hours)
                if deadline:
                    row.deadline = deadline
                    row.warning = None
                    del plans[row]
        for row in plans:
            row.deadline = None
            row.warning = self._no_working_time_warning(row)

    def _no_working_time_warning(self, row):
        calendar = self.env["resource.calendar"].browse(row.calendar_id)
        return _(
            "The working hours '%(calendar)s' have no working time in the next "
            "%(days)s days: the %(target)s deadline of '%(policy)s' cannot be "
            "computed. Fix the calendar or the policy.",
            calendar=calendar.name or _("(none)"),
            days=DEADLINE_WINDOWS[-1],
            target=dict(SLA_TARGETS)[row.target],
            policy=self.env["crm.sla.policy"].browse(row.policy_id).name,
        )

    def _engine_decide(self, rows, now, times):
        """Status, risk and compliance of the rows at ``now``: see
        ``_refresh_status``."""
        consumed = self._engine_consumed(rows, now, times)
        for row in rows:
            hours = consumed[row]
            if hours - row.target_hours > BREACH_TOLERANCE_HOURS:
                status = "breached"
            elif row.reached_at:
                status = "met"
            elif row.clock_running:
                status = "ongoing"
            else:
                status = "paused"
            at_risk = (
                not row.reached_at
                and status != "breached"
                and hours >= AT_RISK_RATIO * row.target_hours
            )
            rate = SUCCESS_RATES.get(status)
            stored_rate = row.success_rate if row.status in SUCCESS_RATES else None
            if (row.status, row.at_risk, stored_rate) != (status, at_risk, rate):
                row.status, row.at_risk, row.success_rate = status, at_risk, rate
                if status != "breached":
                    # a raised target undid the breach: a new one is told again
                    row.breach_notified = False

    def _engine_ticket_states(self, rows):
        """({(ticket id, target): reached at or None},
        {(ticket id, policy id): whether the clock runs}), from the values of
        the tickets read in bulk, as ``_sla_reached_at`` and
        ``_sla_clock_runs`` decide them."""
        tickets = self.env["crm.service.ticket"].browse({row.ticket_id for row in rows})
        pauses = {
            policy.id: set(policy.pause_stage_ids.ids)
            for policy in self.env["crm.sla.policy"].browse(
                {row.policy_id for row in rows}
            )
        }
        pairs = defaultdict(set)  # ticket id -> policy ids
        for row in rows:
            pairs[row.ticket_id].add(row.policy_id)
        reached, runs = {}, {}
        columns = [column_values(tickets, name) for name in TICKET_CLOCK_FIELDS]
        stages = self.env["crm.service.ticket.stage"].browse(set(columns[0]) - {None})
        closing = set(stages.filtered("is_closing").ids)
        for ticket_id, stage_id, closed_at, responded_at in zip(
            tickets.ids, *columns, strict=True
        ):
            is_closed = stage_id in closing
            for target, _label in SLA_TARGETS:
                reached[ticket_id, target] = (
                    sla_reached_at(target, responded_at, closed_at) or None
                )
            for policy_id in pairs[ticket_id]:
                runs[ticket_id, policy_id] = sla_clock_runs(
                    is_closed, stage_id, pauses[policy_id]
                )
        return reached, runs

    def _engine_sync(self, rows, at, times, states=None):
        """Clocks in line with the tickets at ``at``: see ``_sync_clock``."""
        reached, runs = states or self._engine_ticket_states(rows)
        stops = []  # (row, moment)
        started = []
        for row in rows:
            reached_at = reached[row.ticket_id, row.target]
            running = runs[row.ticket_id, row.policy_id]
            if reached_at and not row.reached_at:
                if row.clock_running:
                    stops.append((row, max(reached_at, row.clock_at)))
                row.reached_at = reached_at
            elif row.reached_at and not reached_at:
                row.reached_at = None
                if running:
                    started.append(row)
            elif not row.reached_at:
                if row.clock_running and not running:
                    stops.append((row, max(at, row.clock_at)))
                elif running and not row.clock_running:
                    started.append(row)
        times.cover_all((row.key, row.clock_at, moment) for row, moment in stops)
        for row, moment in stops:
            working_time = times.known.get(row.key)
            if working_time:
                row.clock_hours += working_time.hours_between(row.clock_at, moment)
            row.clock_at = moment
            row.clock_running = False
        for row in started:
            row.clock_at = max(at, row.clock_at)
            row.clock_running = True
        # a stopped clock below its target has no deadline until it restarts
        stopped = [row for row in rows if not row.clock_running and not row.reached_at]
        self._engine_plan(stopped + started, times)
        self._engine_decide(rows, at, times)

    def _engine_save(self, rows):
        """Write what changed in one ``UPDATE`` per set of fields changed and
        batch; then the ORM forgets the old values and recomputes what
        depends on them (the tickets' summaries)."""
        groups = defaultdict(list)  # names of the fields changed -> rows
        for row in rows:
            names = row.changed()
            if names:
                groups[names].append(row)
        for names, group in groups.items():
            for chunk in split_every(BATCH_SIZE, group):
                self._sql_update(names, chunk)
            records = self.browse([row.id for row in group])
            records.invalidate_recordset(names, flush=False)
            # what depends on the rows is found through their ticket, known
            self.env.cache.update(
                records, self._fields["ticket_id"], [row.ticket_id for row in group]
            )
            records.modified(names)
            for row in group:
                row.mark_saved()
        if groups:
            self.env["crm.service.ticket"].browse(
                {row.ticket_id for group in groups.values() for row in group}
            )._sla_store_summaries()

    def _sql_update(self, names, rows):
        """One ``UPDATE`` of the fields ``names`` of rows, their new values
        given as one array per field (see ``_engine_insert``)."""
        kinds = [self._fields[name].column_type[1] for name in names]
        self.env.cr.execute(
            SQL(
                "UPDATE crm_service_ticket_sla AS sla SET %s "
                "FROM unnest(%s::int4[], %s) AS new (id, %s) WHERE sla.id = new.id",
                SQL(", ").join(
                    SQL("%s = new.%s", SQL.identifier(name), SQL.identifier(name))
                    for name in names
                ),
                pg_array([row.id for row in rows], "int4"),
                SQL(", ").join(
                    SQL(
                        f"%s::{kind}[]",
                        pg_array([getattr(row, name) for row in rows], kind),
                    )
                    for name, kind in zip(names, kinds, strict=True)
                ),
                SQL(", ").join(map(SQL.identifier, names)),
            )
        )

    @api.model
    def _engine_insert(self, rows, alone=()):
        """Insert new rows, their clock, deadline and status already
        computed: one INSERT per batch and no write after. ``alone``: the
        tickets that have no other row."""
        tickets = list({row.ticket_id: None for row in rows})
        # one text array per column, parsed by the server in one go: much
        # cheaper than a literal per value (or a tuple per row)
        kinds = [self._fields[name].column_type[1] for name in ROW_COLUMNS]
        ids = []
        for chunk in split_every(BATCH_SIZE, rows, list):
            self.env.cr.execute(
                SQL(
                    "INSERT INTO crm_service_ticket_sla (%s) "
                    "SELECT * FROM unnest(%s) RETURNING id",
                    SQL(", ").join(map(SQL.identifier, ROW_COLUMNS)),
                    SQL(", ").join(
                        SQL(
                            f"%s::{kind}[]",
                            pg_array([getattr(row, name) for row in chunk], kind),
                        )
                        for name, kind in zip(ROW_COLUMNS, kinds, strict=True)
                    ),
                )
            )
            ids += [sla_id for (sla_id,) in self.env.cr.fetchall()]
        for row, sla_id in zip(rows, ids, strict=True):
            row.id = sla_id
            row.mark_saved()
        # The tickets' summaries are the stored fields that depend on the
        # rows: those of tickets with no other row are known from ``rows``,
        # the others are read back from the table; not left to ``modified``
        # and a recomputation one ticket at a time.
        Ticket = self.env["crm.service.ticket"]
        Ticket.browse(tickets).invalidate_recordset(["sla_ids"], flush=False)
        by_ticket = defaultdict(list)
        for row in rows:
            by_ticket[row.ticket_id].append(row)
        Ticket.browse(alone)._sla_set_summaries(by_ticket)
        Ticket.browse(set(tickets) - set(alone))._sla_store_summaries()
        return self.browse(ids)

    def _engine_to_notify(self, rows):
        """Ids of the rows whose risk or breach is to be told."""
        return [
            row.id
            for row in rows
            # an unassigned ticket gets its activity once someone is assigned
            if (row.at_risk and not row.at_risk_notified and row.user_id)
            or (
                row.status == "breached"
                and not row.breach_notified
                and not row.reached_at
            )
        ]

    # ------------------------------------------------------------
    # Clock events and planning, in batches
    # ------------------------------------------------------------

    @api.model
    def _rows_of_tickets(self, ticket_ids):
        """{ticket id: {(policy id, target): (row id, status)}}, in one query."""
        rows = defaultdict(dict)
        if ticket_ids:
            self.flush_model(["ticket_id", "policy_id", "target", "status"])
            self.env.cr.execute(
                SQL(
                    "SELECT ticket_id, policy_id, target, id, status "
                    "FROM crm_service_ticket_sla WHERE ticket_id = ANY(%s)",
                    list(ticket_ids),
                )
            )
            for ticket_id, policy_id, target, sla_id, status in self.env.cr.fetchall():
                rows[ticket_id][policy_id, target] = (sla_id, status)
        return rows

    @api.model
    def _new_row(self, opening, policy_id, target, hours, calendar_id):
        """A row for a target of a policy a ticket does not have yet,
        counted from its opening (``opening``: the ticket's id, company, team,
        assignee and opening); ``_create_rows`` starts its clock."""
        return SlaRow(
            **opening,
            policy_id=policy_id,
            target=target,
            target_hours=hours,
            calendar_id=calendar_id or None,
            clock_at=opening["opened_at"],
            clock_hours=0.0,
            status="ongoing",
        )

    @api.model
    def _create_rows(self, rows, now, alone=()):
        """Insert the new ``rows`` with their clock running from the opening,
        unless the ticket starts in a pause or closing stage, brought in line
        with their ticket at ``now``; tell the risks and breaches. ``alone``:
        the tickets that have no other row."""
        if not rows:
            return self.browse()
        states = self._engine_ticket_states(rows)
        reached, runs = states
        for row in rows:
            row.clock_running = runs[row.ticket_id, row.policy_id] or bool(
                reached[row.ticket_id, row.target]
            )
        times = WorkingTimes(self.env)
        self._engine_plan([row for row in rows if row.clock_running], times)
        self._engine_sync(rows, now, times, states)
        records = self._engine_insert(rows, alone)
        self.browse(self._engine_to_notify(rows))._notify_risks()
        return records

    def _plan_deadlines(self, segments=None, remeasured=(), now=None):
        """Set each row's deadline: the moment its consumed hours reach its
        target.

        - Running below the target: the hours left after the checkpoint.
        - Paused below it: none; it is planned when the clock restarts.
        - Over the target: the moment it went over. Inside the running segment
          when that segment began below the target (``segments[row id]`` is
          ``(start, hours consumed at start)``, by default the checkpoint of a
          running row). Before that segment the pauses are not kept: for the
          rows whose target or calendar changed (ids in ``remeasured``) the
          earliest moment it can have been, the target's hours after the
          opening (exact when no pause came first); for the others the
          deadline stays, planned when the clock went over.

        With ``now``, the statuses are decided at ``now`` in the same pass.
        """
        times = WorkingTimes(self.env)
        notify = []
        for rows in self._engine_batches():
            self._engine_plan(rows, times, segments, remeasured)
            if now:
                self._engine_decide(rows, now, times)
                notify += self._engine_to_notify(rows)
            self._engine_save(rows)
        self.browse(notify)._notify_risks()

    def _sync_clock(self, at):
        """Bring each row's clock in line with its ticket at time ``at``:
        reached, reopened, paused, resumed."""
        times = WorkingTimes(self.env)
        notify = []
        for rows in self._engine_batches():
            self._engine_sync(rows, at, times)
            notify += self._engine_to_notify(rows)
            self._engine_save(rows)
        self.browse(notify)._notify_risks()

    def _refresh_status(self, now):
        """Status, risk and compliance of the rows at ``now``, decided on the
        working hours consumed against the target (a deadline planned before
        a pause or a target change would be stale); writes only the rows that
        change."""
        times = WorkingTimes(self.env)
        notify = []
        for rows in self._engine_batches():
            self._engine_decide(rows, now, times)
            notify += self._engine_to_notify(rows)
            self._engine_save(rows)
        self.browse(notify)._notify_risks()

    def _retarget(self, now):
        """Rows of policies whose targets, calendar or pause stages changed:
        the running segment closed on the calendar it ran on (where it began
        tells when a lowered target was crossed), the new target and calendar
        set, the deadline planned again, the clock in line with the pause
        stages."""
        targets = {}
        calendars = {}  # (policy id, team id, company id) -> calendar id
        times = WorkingTimes(self.env)
        notify = []
        for rows in self._engine_batches():
            running = [row for row in rows if row.clock_running and row.clock_at < now]
            consumed = self._engine_consumed(running, now, times)
            segments = {}
            for row in running:
                segments[row.id] = (row.clock_at, row.clock_hours)
                row.clock_hours, row.clock_at = consumed[row], now
            remeasured = set()
            for row in rows:
                policy = self.env["crm.sla.policy"].browse(row.policy_id)
                if row.policy_id not in targets:
                    targets[row.policy_id] = dict(policy._targets())
                place = (row.policy_id, row.team_id, row.company_id)
                if place not in calendars:
                    calendars[place] = (
                        policy._calendar_for_team(
                            self.env["crm.service.team"].browse(row.team_id),
                            self.env["res.company"].browse(row.company_id),
                        ).id
                        or None
                    )
                hours = targets[row.policy_id][row.target]
                if (row.target_hours, row.calendar_id) != (hours, calendars[place]):
                    remeasured.add(row.id)
                row.target_hours, row.calendar_id = hours, calendars[place]
            self._engine_plan(rows, times, segments, remeasured)
            self._engine_sync(rows, now, times)
            notify += self._engine_to_notify(rows)
            self._engine_save(rows)
        self.browse(notify)._notify_risks()

    def _notify_risks(self):
        """An activity for the assignee when targets get at risk; a note on
        the ticket and one digest to each team leader when they are breached.
        Once each, in batch: a cron run may decide thousands at a time."""
        at_risk = self.filtered(lambda s: s.at_risk and not s.at_risk_notified)
        todo = self.env.ref("mail.mail_activity_data_todo")
        ticket_model = self.env["ir.model"]._get_id("crm.service.ticket")
        # the activity itself is the notice: no email per activity (a cron
        # run may put thousands of targets at risk at once)
        self.env["mail.activity"].sudo().with_context(
            mail_activity_quick_update=True
        ).create(
            [
                {
                    "res_model_id": ticket_model,
                    "res_id": ticket.id,
                    "activity_type_id": todo.id,
                    "summary": self.env._("SLA at risk: %s", rows._describe()),
                    "user_id": ticket.user_id.id,
                    "date_deadline": fields.Date.context_today(ticket),
                }
                for ticket, rows in at_risk.grouped("ticket_id").items()
                if ticket.user_id
            ]
        )
        # an unassigned ticket gets its activity once someone is assigned
        at_risk.filtered("ticket_id.user_id").write({"at_risk_notified": True})
        breached = self.filtered(
            lambda s: s.status == "breached"
            and not s.breach_notified
            and not s.reached_at
        )
        if not breached:
            return
        by_ticket = breached.grouped("ticket_id")
        tickets = self.env["crm.service.ticket"].concat(*by_ticket)
        tickets._message_log_batch(
            {
                ticket.id: Markup("<p>%s</p>")
                % self.env._("SLA breached: %s", rows._describe(with_deadline=True))
                for ticket, rows in by_ticket.items()
            }
        )
        for team, team_tickets in tickets.grouped("team_id").items():
            leader = team.leader_id.partner_id
            if leader:
                team.message_notify(
                    partner_ids=leader.ids,
                    subject=_("SLA breached on %s tickets", len(team_tickets)),
                    body=self.env["ir.qweb"]._render(
                        "crm_relationship.sla_breach_digest",
                        {"tickets": team_tickets},
                    ),
                    model_description=_("Service Team"),
                )
        breached.write({"breach_notified": True})

    def _describe(self, with_deadline=False):
        targets = dict(SLA_TARGETS)
        parts = []
        for sla in self:
            if with_deadline:
                deadline = (
                    fields.Datetime.to_string(sla.deadline)
                    if sla.deadline
                    else _("unknown")
                )
                parts.append(
                    _(
                        "%(target)s (%(policy)s), deadline %(deadline)s UTC",
                        target=targets[sla.target],
                        policy=sla.policy_id.name,
                        deadline=deadline,
                    )
                )
            else:
                parts.append(
                    _(
                        "%(target)s (%(policy)s)",
                        target=targets[sla.target],
                        policy=sla.policy_id.name,
                    )
                )
        return "; ".join(parts)

    @api.model
    def _replan_inline_rows(self):
        """Up to this many running targets a calendar change replans at once;
        above, the replanning cron takes them in committed batches. System
        parameter ``crm_relationship.sla_replan_inline_rows``."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_relationship.sla_replan_inline_rows")
        )
        try:
            return max(int(value), 0) if value else REPLAN_INLINE_ROWS
        except ValueError:
            return REPLAN_INLINE_ROWS

    @api.model
    def _replan_deadlines(self, scope):
        """Deadlines of the running targets in the domain ``scope`` after the
        working time of their calendar changed: in batches right away, or,
        above ``_replan_inline_rows()`` rows, queued for the replanning cron. Left
        to the caller in the context ``crm_sla_replan_later`` (a calendar
        saving its lines and leaves replans once)."""
        if self.env.context.get("crm_sla_replan_later"):
            return
        Sla = self.sudo()
        domain = [*REPLANNED, *scope]
        inline = Sla._replan_inline_rows()
        if Sla.search_count(domain, limit=inline + 1) > inline:
            self.env["crm.sla.replan"].sudo().create({"domain": repr(scope)})
            Sla.env.ref(
                "crm_relationship.ir_cron_crm_service_ticket_sla_replan"
            )._trigger()
            return
        Sla.search(domain, order="id")._plan_deadlines(now=fields.Datetime.now())

    @api.model
    def _cron_replan_deadlines(self, batch_size=BATCH_SIZE):
        """Replan the rows of the queued scopes, a batch at a time, each
        committed with the queue's progress: a run stopped midway resumes
        after the last batch done."""
        Sla = self.sudo()
        commit = not getattr(threading.current_thread(), "testing", False)
        done = 0
        for replan in self.env["crm.sla.replan"].sudo().search([], order="id"):
            domain = [*REPLANNED, *literal_eval(replan.domain)]
            remaining = Sla.search_count([*domain, ("id", ">", replan.last_id)])
            while True:
                rows = Sla.search(
                    [*domain, ("id", ">", replan.last_id)], order="id", limit=batch_size
                )
                if not rows:
                    break
                rows._plan_deadlines(now=fields.Datetime.now())
                replan.last_id = rows[-1].id
                done += len(rows)
                remaining = max(remaining - len(rows), 0)
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
                if commit:
                    # a batch done stays done, with the progress that says so
                    self.env.cr.commit()  # pylint: disable=invalid-commit
            replan.unlink()
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _cron_refresh(self, batch_size=2000):
        """Keep the statuses of undecided targets true, a batch at a time,
        after the responses logged ahead of time have happened."""
        now = fields.Datetime.now()
        self.env["crm.service.ticket"]._record_due_responses(now)
        domain = [("reached_at", "=", False), ("status", "!=", "breached")]
        last_id = 0
        while True:
            batch = self.search(
                domain + [("id", ">", last_id)], limit=batch_size, order="id"
            )
            if not batch:
                break
            batch._refresh_status(now)
            last_id = batch[-1].id
            if len(batch) < batch_size:
                break
