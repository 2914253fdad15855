from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models

from .working_time import WorkingTime

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
DEADLINE_WINDOWS = (60, 400, 1500)
# Deadlines are rounded to the second: a target reached on its deadline may
# show up to half a second over it, and is met.
BREACH_TOLERANCE_HOURS = 1 / 3600


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
    # stored copies of the ticket for fast reports
    team_id = fields.Many2one(related="ticket_id.team_id", store=True)
    user_id = fields.Many2one(related="ticket_id.user_id", store=True)
    partner_id = fields.Many2one(
        related="ticket_id.commercial_partner_id", string="Customer", store=True
    )
    ticket_type_id = fields.Many2one(related="ticket_id.ticket_type_id", store=True)
    opened_at = fields.Datetime(related="ticket_id.opened_at", store=True)
    company_id = fields.Many2one(related="ticket_id.company_id", store=True)

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

    # ------------------------------------------------------------
    # Working time, batched per calendar and company
    # ------------------------------------------------------------

    @staticmethod
    def _time_key(sla):
        # a calendar may serve several companies, each with its own holidays
        return (sla.calendar_id.id, sla.company_id.id)

    def _working_times(self, until, since=None):
        """{(calendar id, company id): WorkingTime} from the earliest moment of
        the rows of each calendar and company (their checkpoint, or
        ``since[row id]``) until ``until``: one calendar query per key."""
        since = since or {}
        starts = {}
        for sla in self:
            if sla.calendar_id:
                key = (sla.calendar_id, sla.company_id)
                moment = since.get(sla.id, sla.clock_at)
                starts[key] = min(starts.get(key, moment), moment)
        return {
            (calendar.id, company.id): WorkingTime.from_calendar(
                calendar, start, max(until, start), company
            )
            for (calendar, company), start in starts.items()
        }

    def _consumed_now(self, now):
        running = self.filtered(
            lambda s: s.id and s.clock_running and s.calendar_id and s.clock_at < now
        )
        times = running._working_times(now)
        return {
            sla.id: sla.clock_hours
            + times[self._time_key(sla)].hours_between(sla.clock_at, now)
            for sla in running
        }

    def _plan_deadlines(self, segments=None, remeasured=()):
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
        """
        segments = segments or {}
        plans = {}  # row id -> (moment, working hours after it)
        standing = []
        for sla in self:
            left = sla.target_hours - sla.clock_hours
            segment = sla.clock_running and segments.get(
                sla.id, (sla.clock_at, sla.clock_hours)
            )
            if left > 0:
                if sla.clock_running:
                    plans[sla.id] = (sla.clock_at, left)
                elif sla.deadline:
                    standing.append(sla.id)
            elif segment and segment[1] <= sla.target_hours:
                plans[sla.id] = (segment[0], sla.target_hours - segment[1])
            elif sla.id in remeasured:
                plans[sla.id] = (sla.opened_at, sla.target_hours)
        self.browse(standing).write({"deadline": False})
        for window in DEADLINE_WINDOWS:
            if not plans:
                break
            pending = self.browse(list(plans))
            latest = max(moment for moment, _hours in plans.values())
            times = pending._working_times(
                latest + timedelta(days=window),
                since={sla_id: moment for sla_id, (moment, _hours) in plans.items()},
            )
            found = defaultdict(list)  # deadline -> row ids
            for sla in pending:
                working_time = times.get(self._time_key(sla))
                deadline = working_time and working_time.add_hours(*plans[sla.id])
                if deadline:
                    found[deadline].append(sla.id)
            for deadline, ids in found.items():
                self.browse(ids).write({"deadline": deadline, "warning": False})
                for sla_id in ids:
                    del plans[sla_id]
        for sla in self.browse(list(plans)):
            sla.write(
                {
                    "deadline": False,
                    "warning": _(
                        "The working hours '%(calendar)s' have no working time "
                        "in the next %(days)s days: the %(target)s deadline of "
                        "'%(policy)s' cannot be computed. Fix the calendar or "
                        "the policy.",
                        calendar=sla.calendar_id.name or _("(none)"),
                        days=DEADLINE_WINDOWS[-1],
                        target=dict(SLA_TARGETS)[sla.target],
                        policy=sla.policy_id.name,
                    ),
                }
            )

    # ------------------------------------------------------------
    # Clock events
    # ------------------------------------------------------------

    def _sync_clock(self, at):
        """Bring each row's clock in line with its ticket at time ``at``:
        reached, reopened, paused, resumed."""
        stops = defaultdict(list)  # moment -> ids of the rows to stop
        starts = []
        reached = defaultdict(list)  # reached_at -> row ids
        reopened = []
        for sla in self:
            ticket = sla.ticket_id
            reached_at = ticket._sla_reached_at(sla.target)
            running = ticket._sla_clock_runs(sla.policy_id)
            if reached_at and not sla.reached_at:
                if sla.clock_running:
                    stops[max(reached_at, sla.clock_at)].append(sla.id)
                reached[reached_at].append(sla.id)
            elif sla.reached_at and not reached_at:
                reopened.append(sla.id)
                if running:
                    starts.append(sla.id)
            elif not sla.reached_at:
                if sla.clock_running and not running:
                    stops[max(at, sla.clock_at)].append(sla.id)
                elif running and not sla.clock_running:
                    starts.append(sla.id)
        for moment, ids in stops.items():
            rows = self.browse(ids)
            times = rows._working_times(moment)
            for sla in rows:
                consumed = times.get(self._time_key(sla))
                sla.write(
                    {
                        "clock_hours": sla.clock_hours
                        + (
                            consumed.hours_between(sla.clock_at, moment)
                            if consumed
                            else 0.0
                        ),
                        "clock_at": moment,
                        "clock_running": False,
                    }
                )
        for reached_at, ids in reached.items():
            self.browse(ids).write({"reached_at": reached_at})
        self.browse(reopened).write({"reached_at": False})
        started = self.browse(starts)
        for sla in started:
            sla.write({"clock_at": max(at, sla.clock_at), "clock_running": True})
        # a stopped clock below its target has no deadline until it restarts
        self.filtered(
            lambda s: not s.clock_running and not s.reached_at
        )._plan_deadlines()
        started._plan_deadlines()
        self._refresh_status(at)

    def _refresh_status(self, now):
        """Status, risk and compliance of the rows at ``now``, decided on the
        working hours consumed against the target (a deadline planned before
        a pause or a target change would be stale); writes only the rows that
        change, grouped by value."""
        consumed = self._consumed_now(now)
        changes = defaultdict(list)
        for sla in self:
            hours = consumed.get(sla.id, sla.clock_hours)
            over = hours - sla.target_hours > BREACH_TOLERANCE_HOURS
            if over:
                status = "breached"
            elif sla.reached_at:
                status = "met"
            elif sla.clock_running:
                status = "ongoing"
            else:
                status = "paused"
            at_risk = (
                not sla.reached_at
                and status != "breached"
                and hours >= AT_RISK_RATIO * sla.target_hours
            )
            rate = {"met": 100.0, "breached": 0.0}.get(status, False)
            if (sla.status, sla.at_risk, sla.success_rate or False) != (
                status,
                at_risk,
                rate,
            ):
                changes[status, at_risk, rate].append(sla.id)
        for (status, at_risk, rate), ids in changes.items():
            rows = self.browse(ids)
            values = {"status": status, "at_risk": at_risk, "success_rate": rate}
            if status != "breached":
                # a raised target undid the breach: a new one is told again
                values["breach_notified"] = False
            rows.write(values)
            if status == "breached":
                # the ORM skips writing 0.0 over an empty column, which it
                # reads as 0.0 too; averages must see the breach as a 0
                rows.flush_recordset(["success_rate"])
                self.env.cr.execute(
                    "UPDATE crm_service_ticket_sla SET success_rate = 0 "
                    "WHERE id IN %s AND success_rate IS NULL",
                    [tuple(rows.ids)],
                )
        self._notify_risks()

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
    def _replan_deadlines(self, scope):
        """Deadlines of the running targets in the domain ``scope`` after the
        working time of their calendar changed."""
        domain = [("reached_at", "=", False), ("clock_running", "=", True)]
        rows = self.sudo().search(domain + scope)
        if rows:
            rows._plan_deadlines()
            rows._refresh_status(fields.Datetime.now())

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
