from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL, split_every

from .working_time import WorkingTime

PRIORITIES = [
    ("0", "Low"),
    ("1", "Medium"),
    ("2", "High"),
    ("3", "Urgent"),
]
SLA_SUMMARY = [
    ("none", "No SLA"),
    ("ongoing", "On Track"),
    ("at_risk", "At Risk"),
    ("paused", "Paused"),
    ("breached", "Breached"),
    ("met", "Met"),
]

# the ticket's summary of its SLA rows, stored for lists, filters and reports
SLA_SUMMARY_FIELDS = (
    "sla_deadline",
    "sla_status",
    "sla_breached",
    "sla_at_risk",
    "sla_warning",
)
SUMMARY_BATCH_SIZE = 5000


def column_values(records, name):
    """The values of the field ``name`` of ``records`` in their order, as the
    cache holds them (ids for a many2one, None when empty): read in bulk,
    pending computations done, without a record per value."""
    field = records._fields[name]
    field.mapped(records)
    values = records.env.cache.get_until_miss(records, field)
    assert len(values) == len(records)
    return values


def sla_reached_at(target, first_response_at, closed_at):
    """When ``target`` was reached by a ticket with these values, False if
    not (yet): see ``_sla_reached_at``."""
    if target == "resolution":
        return closed_at or False
    responses = [d for d in (first_response_at, closed_at) if d]
    return min(responses) if responses else False


def sla_clock_runs(is_closed, stage_id, pause_stage_ids):
    """Whether the clock of a policy pausing in the stages ``pause_stage_ids``
    runs for a ticket with these values: see ``_sla_clock_runs``."""
    return not is_closed and stage_id not in pause_stage_ids


def sla_summary(statuses, deadline, at_risk, warnings):
    """The summary of a ticket's SLA rows from their statuses (a set), the
    nearest deadline of a target not reached, whether a target not decided is
    at risk, and their warnings in order."""
    if not statuses:
        status = "none"
    elif "breached" in statuses:
        status = "breached"
    elif at_risk:
        status = "at_risk"
    elif "ongoing" in statuses:
        status = "ongoing"
    elif "paused" in statuses:
        status = "paused"
    else:
        status = "met"
    return {
        "sla_deadline": deadline or False,
        "sla_status": status,
        "sla_breached": "breached" in statuses,
        "sla_at_risk": at_risk,
        "sla_warning": "\n".join(warnings),
    }


class CrmServiceTicket(models.Model):
    _name = "crm.service.ticket"
    _description = "Service Ticket"
    _inherit = [
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "rating.mixin",
        "mail.tracking.duration.mixin",
    ]
    _order = "priority desc, opened_at desc, id desc"
    _primary_email = "email_from"
    _check_company_auto = True
    _rec_names_search = ["number", "name", "partner_id.name"]
    _track_duration_field = "stage_id"
    _mail_post_access = "read"

    def _default_stage_id(self):
        return self.env["crm.service.ticket.stage"].search([], limit=1)

    number = fields.Char(
        readonly=True, copy=False, index="trigram", default=lambda self: _("New")
    )
    name = fields.Char("Title", required=True, tracking=True)
    description = fields.Html()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        string="Customer Entity",
        store=True,
        index=True,
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact",
        check_company=True,
        domain="[('id', 'child_of', commercial_partner_id)]",
    )
    email_from = fields.Char(
        "Email",
        help="Address of the requester; kept even when no contact matches it.",
    )
    ticket_type_id = fields.Many2one(
        "crm.service.ticket.type", string="Type", tracking=True, index=True
    )
    product_id = fields.Many2one(
        "product.product", string="Product", check_company=True, index=True
    )
    asset_id = fields.Many2one(
        "crm.customer.asset",
        string="Asset",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
        help="The customer's installed unit the ticket is about: its warranty "
        "or service plan decides the coverage and the SLA.",
    )
    asset_coverage = fields.Selection(related="asset_id.coverage", string="Coverage")
    asset_coverage_label = fields.Char(
        related="asset_id.coverage_label", string="Coverage Status"
    )
    priority = fields.Selection(
        PRIORITIES, default="1", required=True, tracking=True, index=True
    )
    stage_id = fields.Many2one(
        "crm.service.ticket.stage",
        string="Stage",
        default=_default_stage_id,
        group_expand="_read_group_expand_full",
        tracking=True,
        index=True,
        ondelete="restrict",
        copy=False,
    )
    is_closed = fields.Boolean(related="stage_id.is_closing", store=True)
    user_id = fields.Many2one(
        "res.users",
        string="Assigned To",
        tracking=True,
        index=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one(
        "crm.service.team", string="Team", tracking=True, index=True, check_company=True
    )
    interaction_ids = fields.One2many(
        "crm.interaction", "ticket_id", string="Interactions"
    )
    interaction_count = fields.Integer(compute="_compute_interaction_count")
    opened_at = fields.Datetime(
        "Opened On",
        required=True,
        default=fields.Datetime.now,
        index=True,
        copy=False,
        help="Start of the SLA clock; set it when importing older tickets.",
    )
    first_response_at = fields.Datetime("First Response On", copy=False, readonly=True)
    closed_at = fields.Datetime("Closed On", copy=False, readonly=True, index=True)
    first_response_hours = fields.Float(
        "First Response (working hours)",
        readonly=True,
        copy=False,
        aggregator="avg",
    )
    resolution_hours = fields.Float(
        "Resolution (working hours)", readonly=True, copy=False, aggregator="avg"
    )
    sla_ids = fields.One2many(
        "crm.service.ticket.sla", "ticket_id", string="SLA Statuses"
    )
    sla_deadline = fields.Datetime(
        "SLA Deadline",
        compute="_compute_sla_summary",
        store=True,
        help="The nearest deadline of a target not reached yet.",
    )
    sla_status = fields.Selection(
        SLA_SUMMARY, compute="_compute_sla_summary", store=True, string="SLA"
    )
    sla_breached = fields.Boolean(compute="_compute_sla_summary", store=True)
    sla_at_risk = fields.Boolean(compute="_compute_sla_summary", store=True)
    sla_warning = fields.Char(compute="_compute_sla_summary", store=True)
    sla_hours_left = fields.Float(
        "SLA Time Left (working hours)", compute="_compute_sla_hours_left"
    )

    @api.depends("number", "name")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = (
                f"{ticket.number} {ticket.name}"
                if ticket.number and ticket.name
                else ticket.name or ticket.number
            )

    def _compute_interaction_count(self):
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"]
            )
        )
        for ticket in self:
            ticket.interaction_count = counts.get(ticket, 0)

    @api.depends(
        "sla_ids.status", "sla_ids.deadline", "sla_ids.at_risk", "sla_ids.warning"
    )
    def _compute_sla_summary(self):
        for ticket in self:
            statuses = set()
            deadlines = []
            warnings = []
            at_risk = False
            for sla in ticket.sla_ids:
                statuses.add(sla.status)
                # a target breached and not reached yet keeps its (past) deadline
                if sla.deadline and not sla.reached_at:
                    deadlines.append(sla.deadline)
                if sla.status in ("ongoing", "paused") and sla.at_risk:
                    at_risk = True
                if sla.warning:
                    warnings.append(sla.warning)
            ticket.update(
                sla_summary(statuses, min(deadlines, default=False), at_risk, warnings)
            )

    def _compute_sla_hours_left(self):
        """The least time left of the targets not reached: negative when
        overdue."""
        slas = self.sla_ids.filtered(lambda s: not s.reached_at)
        left = defaultdict(list)
        for sla in slas:
            left[sla.ticket_id.id].append(sla.remaining_hours)
        for ticket in self:
            ticket.sla_hours_left = min(left[ticket.id], default=0.0)

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/tickets/{ticket.id}"
        return result

    @api.constrains("opened_at")
    def _check_dates(self):
        now = fields.Datetime.now()
        for ticket in self:
            if ticket.opened_at and ticket.opened_at > now + timedelta(minutes=5):
                raise ValidationError(
                    _(
                        "Ticket %(ticket)s: 'Opened On' cannot be in the future.",
                        ticket=ticket.display_name,
                    )
                )

    @api.constrains("asset_id", "partner_id")
    def _check_asset(self):
        for ticket in self:
            asset = ticket.asset_id
            if asset and asset.commercial_partner_id != ticket.commercial_partner_id:
                raise ValidationError(
                    _(
                        "Ticket %(ticket)s: the Asset %(asset)s belongs to "
                        "%(owner)s, not to the ticket's customer.",
                        ticket=ticket.display_name,
                        asset=asset.display_name,
                        owner=asset.commercial_partner_id.display_name,
                    )
                )

    @api.onchange("asset_id")
    def _onchange_asset_id(self):
        if self.asset_id:
            self.product_id = self.asset_id.product_id

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            self.email_from = self.partner_id.email
            if self.partner_id.parent_id:
                self.contact_id = self.partner_id

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        Stage = self.env["crm.service.ticket.stage"]
        Asset = self.env["crm.customer.asset"]
        for vals in vals_list:
            if vals.get("asset_id") and not vals.get("product_id"):
                vals["product_id"] = Asset.browse(vals["asset_id"]).product_id.id
            if vals.get("number", _("New")) == _("New"):
                vals["number"] = self.env["ir.sequence"].next_by_code(
                    "crm.service.ticket"
                ) or _("New")
            stage = Stage.browse(vals.get("stage_id"))
            if stage.is_closing and not vals.get("closed_at"):
                vals["closed_at"] = now
        tickets = super().create(vals_list)
        for ticket in tickets:
            if ticket.partner_id and not ticket.email_from:
                ticket.email_from = ticket.partner_id.email
        tickets._sla_apply_policies(now, created=True)
        return tickets

    def write(self, vals):
        now = fields.Datetime.now()
        closing = reopening = self.browse()
        if "stage_id" in vals:
            stage = self.env["crm.service.ticket.stage"].browse(vals["stage_id"])
            # moving between closing stages keeps the time of the closing
            closing = self.filtered(lambda t: stage.is_closing and not t.is_closed)
            reopening = self.filtered(lambda t: not stage.is_closing and t.is_closed)
        if vals.get("asset_id") and "product_id" not in vals:
            asset = self.env["crm.customer.asset"].browse(vals["asset_id"])
            vals = {**vals, "product_id": asset.product_id.id}
        result = super().write(vals)
        if "closed_at" not in vals:
            if closing:
                super(CrmServiceTicket, closing).write({"closed_at": now})
            if reopening:
                super(CrmServiceTicket, reopening).write({"closed_at": False})
        if "opened_at" in vals:
            # the rows are the system's: counted again from the new opening
            self.sla_ids.sudo().unlink()
        if {
            "opened_at",
            "team_id",
            "ticket_type_id",
            "priority",
            "partner_id",
            "company_id",
            "asset_id",
        } & set(vals):
            self._sla_apply_policies(now)
        elif {"stage_id", "first_response_at"} & set(vals):
            self.sla_ids.sudo()._sync_clock(now)
        if "user_id" in vals and vals["user_id"]:
            # targets at risk before anyone was assigned: the activity now
            self.sla_ids.sudo()._notify_risks()
        if "stage_id" in vals:
            self._record_resolution_hours()
            if closing:
                closing._send_rating_requests()
        return result

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_open_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_interaction_action"
        )
        action["domain"] = [("ticket_id", "=", self.id)]
        action["context"] = {
            "default_ticket_id": self.id,
            "default_partner_id": self.commercial_partner_id.id,
            "default_res_model": self._name,
            "default_res_id": self.id,
        }
        return action

    def action_log_interaction(self):
        self.ensure_one()
        return self.env["crm.interaction"]._action_quick_log(
            {
                "default_partner_id": self.commercial_partner_id.id,
                "default_contact_id": self.contact_id.id,
                "default_ticket_id": self.id,
                "default_res_model": self._name,
                "default_res_id": self.id,
                "default_name": self.display_name,
            }
        )

    # ------------------------------------------------------------
    # SLA
    # ------------------------------------------------------------

    def _sla_apply_policies(self, now, sync_existing=True, created=False):
        """Create the status rows of the policies matching each ticket; drop
        the undecided rows of policies that no longer match; bring the
        others in line with their ticket unless ``sync_existing`` is False
        (they are known to be). ``created``: the tickets were just created,
        they have no row to look for."""
        Sla = self.env["crm.service.ticket.sla"].sudo()
        policies = self.env["crm.sla.policy"].search(
            [("company_id", "in", self.company_id.ids)]
        )
        targets = {policy: policy._targets() for policy in policies}
        existing = {} if created else Sla._rows_of_tickets(self.ids)
        # what matching and new rows read, in bulk, not ticket by ticket
        columns = [
            column_values(self, name)
            for name in (
                "company_id",
                "team_id",
                "ticket_type_id",
                "priority",
                "user_id",
                "opened_at",
                "asset_id",
            )
        ]
        if any(policy.partner_category_ids for policy in policies):
            columns.append(column_values(self, "commercial_partner_id"))
        else:
            columns.append([None] * len(self))
        new_rows = []
        obsolete = []
        kept = []
        # what a policy gives the tickets of a team and company, found once:
        # (policy id, team id, company id) -> (calendar id, targets)
        plans = {}
        # the policies matching a ticket without an asset depend on these
        # values only: matched once per group of tickets alike
        matches = {}
        Team, Company = self.env["crm.service.team"], self.env["res.company"]
        for ticket_id, ticket_values in zip(
            self.ids, zip(*columns, strict=True), strict=True
        ):
            (
                company_id,
                team_id,
                type_id,
                priority,
                user_id,
                opened_at,
                asset_id,
                partner_id,
            ) = ticket_values
            # a ticket on an asset: the plan of the asset on its opening day
            key = (
                None
                if asset_id
                else (company_id, team_id, type_id, priority, partner_id)
            )
            matching = matches.get(key) if key else None
            if matching is None:
                ticket = self.browse(ticket_id).with_prefetch(self._prefetch_ids)
                matching = [
                    policy.id for policy in ticket._sla_matching_policies(policies)
                ]
                if key:
                    matches[key] = matching
            rows = existing.get(ticket_id, {})
            for (policy_id, _target), (sla_id, status) in rows.items():
                # a breach stays in the history, as a target met does
                if policy_id not in matching and status not in ("met", "breached"):
                    obsolete.append(sla_id)
                else:
                    kept.append(sla_id)
            if not matching:
                continue
            opening = {
                "ticket_id": ticket_id,
                "company_id": company_id,
                "team_id": team_id or None,
                "user_id": user_id or None,
                "opened_at": opened_at,
            }
            for policy_id in matching:
                place = (policy_id, team_id, company_id)
                plan = plans.get(place)
                if plan is None:
                    policy = policies.browse(policy_id)
                    calendar = policy._calendar_for_team(
                        Team.browse(team_id), Company.browse(company_id)
                    )
                    plan = plans[place] = (calendar.id or None, targets[policy])
                calendar_id, policy_targets = plan
                for target, hours in policy_targets:
                    if (policy_id, target) not in rows:
                        new_rows.append(
                            Sla._new_row(opening, policy_id, target, hours, calendar_id)
                        )
        Sla.browse(obsolete).unlink()
        Sla._create_rows(
            new_rows, now, alone=[t for t in self.ids if t not in existing]
        )
        if sync_existing and kept:
            Sla.browse(kept)._sync_clock(now)

    def _sla_matching_policies(self, policies):
        """The policies (among ``policies``) measuring this ticket: the one its
        asset's service plan entitles, else the matching default policies."""
        self.ensure_one()
        if self.asset_id:
            day = fields.Datetime.context_timestamp(self, self.opened_at).date()
            entitled = self.asset_id.sudo()._entitled_sla_policy(day)
            if entitled in policies and entitled._matches(self):
                return policies.browse(entitled.id)
        return policies.filtered(lambda p: not p.plan_only and p._matches(self))

    def _sla_set_summaries(self, rows_by_ticket):
        """Set the SLA summaries of these tickets, as ``_compute_sla_summary``
        does, from all their rows given as ``SlaRow`` (``rows_by_ticket``):
        the ORM writes them with the tickets' other computed fields."""
        columns = {name: [] for name in SLA_SUMMARY_FIELDS}
        for ticket_id in self.ids:
            rows = rows_by_ticket[ticket_id]
            warnings = [row for row in rows if row.warning]
            if len(warnings) > 1:
                # in the order of sla_ids: by deadline, the empty ones last
                warnings.sort(key=lambda r: (r.deadline is None, r.deadline or 0, r.id))
            summary = sla_summary(
                {row.status for row in rows},
                min(
                    (r.deadline for r in rows if r.deadline and not r.reached_at),
                    default=False,
                ),
                any(
                    row.at_risk and row.status in ("ongoing", "paused") for row in rows
                ),
                [row.warning for row in warnings],
            )
            for name, value in summary.items():
                columns[name].append(value)
        # what the ORM does when a computation assigns a value, once per
        # field for all the tickets instead of once per value
        for name, values in columns.items():
            field = self._fields[name]
            self.env.remove_to_compute(field, self)
            self.env.cache.update(
                self,
                field,
                [field.convert_to_cache(value, self) for value in values],
                dirty=True,
            )

    def _sla_store_summaries(self):
        """Write the SLA summaries of these saved tickets as
        ``_compute_sla_summary`` does, from their rows in the table: one query
        to read and one ``UPDATE ... FROM (VALUES ...)`` per batch, instead of
        the ORM computing them one ticket at a time after the SLA engine
        changed thousands of rows."""
        for name in SLA_SUMMARY_FIELDS:
            self.env.remove_to_compute(self._fields[name], self)
        self.flush_recordset(list(SLA_SUMMARY_FIELDS))
        self.env["crm.service.ticket.sla"].flush_model(
            ["ticket_id", "status", "deadline", "reached_at", "at_risk", "warning"]
        )
        changed = []
        for ids in split_every(SUMMARY_BATCH_SIZE, self.ids, list):
            self.env.cr.execute(
                SQL(
                    """
                SELECT ticket.id, ticket.sla_deadline, ticket.sla_status,
                       ticket.sla_breached, ticket.sla_at_risk, ticket.sla_warning,
                       array_remove(array_agg(DISTINCT sla.status), NULL),
                       min(sla.deadline) FILTER (WHERE sla.reached_at IS NULL),
                       coalesce(bool_or(sla.at_risk AND sla.status IN
                                        ('ongoing', 'paused')), FALSE),
                       array_remove(array_agg(NULLIF(sla.warning, '')
                                              ORDER BY sla.deadline, sla.id), NULL)
                  FROM crm_service_ticket ticket
             LEFT JOIN crm_service_ticket_sla sla ON sla.ticket_id = ticket.id
                 WHERE ticket.id = ANY(%s)
              GROUP BY ticket.id
                    """,
                    ids,
                )
            )
            for (
                ticket_id,
                *stored,
                statuses,
                deadline,
                at_risk,
                warnings,
            ) in self.env.cr.fetchall():
                values = sla_summary(set(statuses), deadline, at_risk, warnings)
                before = dict(zip(SLA_SUMMARY_FIELDS, stored, strict=True))
                if any(
                    (before[name] or False) != (value or False)
                    for name, value in values.items()
                ):
                    values["sla_deadline"] = values["sla_deadline"] or None
                    changed.append((ticket_id, *values.values()))
        columns = [self._fields[name].column_type[1] for name in SLA_SUMMARY_FIELDS]
        template = "(%s, " + ", ".join(f"%s::{cast}" for cast in columns) + ")"
        for rows in split_every(SUMMARY_BATCH_SIZE, changed):
            self.env.cr.execute(
                SQL(
                    # computed values: write_date stays, as when the ORM
                    # flushes a recomputation
                    "UPDATE crm_service_ticket AS ticket SET %s "
                    "FROM (VALUES %s) AS new (id, %s) WHERE ticket.id = new.id",
                    SQL(", ").join(
                        SQL("%s = new.%s", SQL.identifier(name), SQL.identifier(name))
                        for name in SLA_SUMMARY_FIELDS
                    ),
                    SQL(
                        ", ".join([template] * len(rows)),
                        *(value for row in rows for value in row),
                    ),
                    SQL(", ").join(map(SQL.identifier, SLA_SUMMARY_FIELDS)),
                )
            )
        self.invalidate_recordset(list(SLA_SUMMARY_FIELDS), flush=False)
        self.browse([row[0] for row in changed]).modified(list(SLA_SUMMARY_FIELDS))

    def _sla_clock_runs(self, policy):
        """Whether the clock of ``policy`` runs for this ticket now."""
        self.ensure_one()
        return sla_clock_runs(
            self.is_closed, self.stage_id.id, policy.pause_stage_ids.ids
        )

    def _sla_reached_at(self, target):
        """When ``target`` was reached, False if not (yet). A ticket closed
        without any message to the customer had its answer with the closing."""
        self.ensure_one()
        return sla_reached_at(target, self.first_response_at, self.closed_at)

    def _record_response(self, at):
        """A response to the customer at ``at``: the first one after the
        opening stops the first response clock. One dated later than now has
        not happened yet: the SLA cron records it when its time comes."""
        if at > fields.Datetime.now():
            return
        for ticket in self:
            if ticket.first_response_at or at <= ticket.opened_at:
                continue
            slas = ticket.sla_ids.filtered(lambda s: s.target == "first_response")
            consumed = slas._consumed_now(at)
            ticket.write(
                {
                    "first_response_at": at,
                    "first_response_hours": max(
                        consumed.get(sla.id, sla.clock_hours) for sla in slas
                    )
                    if slas
                    else ticket._working_hours_since_opening(at),
                }
            )

    @api.model
    def _record_due_responses(self, now):
        """Outbound interactions logged ahead of time on open tickets not
        answered yet: the first one after the opening whose time has come is
        the response, at its own date."""
        self.env["crm.interaction"].flush_model(["ticket_id", "direction", "date"])
        self.flush_model(["first_response_at", "closed_at", "opened_at"])
        self.env.cr.execute(
            """
            SELECT interaction.ticket_id, min(interaction.date)
              FROM crm_interaction interaction
              JOIN crm_service_ticket ticket ON ticket.id = interaction.ticket_id
             WHERE interaction.direction = 'outbound'
               AND interaction.date > ticket.opened_at
               AND interaction.date <= %s
               AND ticket.first_response_at IS NULL
               AND ticket.closed_at IS NULL
          GROUP BY interaction.ticket_id
            """,
            [now],
        )
        for ticket_id, responded_at in self.env.cr.fetchall():
            self.browse(ticket_id).sudo()._record_response(responded_at)

    def _record_resolution_hours(self):
        for ticket in self:
            if ticket.closed_at:
                slas = ticket.sla_ids.filtered(lambda s: s.target == "resolution")
                hours = max(slas.mapped("clock_hours"), default=None)
                ticket.resolution_hours = (
                    hours
                    if hours is not None
                    else ticket._working_hours_since_opening(ticket.closed_at)
                )

    def _working_hours_since_opening(self, until):
        """Working hours from the opening to ``until`` on the team's (or the
        company's) calendar, for tickets no policy measures."""
        self.ensure_one()
        calendar = (
            self.team_id.resource_calendar_id or self.company_id.resource_calendar_id
        )
        if not calendar or until <= self.opened_at:
            return 0.0
        return WorkingTime.from_calendar(
            calendar, self.opened_at, until, self.company_id
        ).total

    # ------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------

    def _send_rating_requests(self):
        for ticket in self:
            template = ticket.stage_id.rating_template_id
            if template and ticket.partner_id:
                ticket.rating_send_request(template, force_send=False)

    def _rating_get_partner(self):
        return self.partner_id or super()._rating_get_partner()

    def _is_response_message(self, message):
        """A message to the customer by an internal user: an email or a
        portal-visible reply, not an internal note."""
        if message.message_type not in ("email", "comment", "email_outgoing"):
            return False
        if message.is_internal or message.subtype_id.internal:
            return False
        if not message.subtype_id or message.subtype_id != self.env.ref(
            "mail.mt_comment"
        ):
            return False
        author_users = message.author_id.user_ids
        return bool(author_users) and not all(author_users.mapped("share"))

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if self._is_response_message(message):
            # a Date header ahead of the clock: the message is here now
            now = fields.Datetime.now()
            self._record_response(min(message.date or now, now))
        for ticket in self:
            customer = ticket.partner_id or message.author_id.filtered(
                lambda author: not author.user_ids
                or all(author.user_ids.mapped("share"))
            )
            self.env["crm.interaction"]._log_email_message(ticket, message, customer)
        return result

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        values.setdefault("name", msg_dict.get("subject") or _("No Subject"))
        values.setdefault("description", msg_dict.get("body"))
        values["email_from"] = msg_dict.get("email_from")
        team = self.env["crm.service.team"].browse(values.get("team_id"))
        if team:
            values.setdefault("company_id", team.company_id.id)
        company = (
            self.env["res.company"].browse(values.get("company_id")) or self.env.company
        )
        partner = self._customer_from_email(msg_dict, company)
        if partner:
            values.setdefault("partner_id", partner.id)
            if partner.parent_id:
                values.setdefault("contact_id", partner.id)
        return super().message_new(msg_dict, custom_values=values)

    def _customer_from_email(self, msg_dict, company):
        """The customer of an email to a team of ``company``: the sender's
        partner in that company (or in none), created when unknown. None when
        the sender is an internal user (a colleague forwarding or reporting is
        not the customer) or the address cannot be parsed: the ticket keeps
        it in email_from."""
        Partner = self.env["res.partner"]
        normalized = tools.email_normalize(msg_dict.get("email_from") or "")
        author = Partner.browse(msg_dict.get("author_id"))
        if author.user_ids.filtered(lambda user: not user.share):
            return Partner
        if author and (not author.company_id or author.company_id == company):
            return author
        if not normalized:
            return Partner
        if (
            self.env["res.users"]
            .sudo()
            .search_count(
                [("email_normalized", "=", normalized), ("share", "=", False)],
                limit=1,
            )
        ):
            return Partner
        partner = Partner.search(
            [
                ("email_normalized", "=", normalized),
                ("company_id", "in", [False, company.id]),
            ],
            limit=1,
        )
        if partner:
            return partner
        name, email = tools.parse_contact_from_email(msg_dict["email_from"])
        return Partner.create({"name": name or email, "email": email})

    def _notify_get_reply_to(self, default=None):
        aliases = self.sudo().mapped("team_id")._notify_get_reply_to(default=default)
        res = {ticket.id: aliases.get(ticket.team_id.id) for ticket in self}
        leftover = self.filtered(lambda rec: not rec.team_id)
        if leftover:
            res.update(
                super(CrmServiceTicket, leftover)._notify_get_reply_to(default=default)
            )
        return res
