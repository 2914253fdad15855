from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

from .crm_service_ticket import PRIORITIES

# A target longer than a working year is a typing mistake, not a promise.
MAX_TARGET_HOURS = 2500
# a change of these makes open tickets match again, or measure differently
MATCHING_FIELDS = {
    "active",
    "company_id",
    "team_id",
    "ticket_type_ids",
    "priority",
    "partner_category_ids",
    "plan_only",
}
TARGET_FIELDS = {
    "first_response_hours",
    "resolution_hours",
    "resource_calendar_id",
    "pause_stage_ids",
}


class CrmSlaPolicy(models.Model):
    _name = "crm.sla.policy"
    _description = "SLA Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    team_id = fields.Many2one(
        "crm.service.team",
        string="Team",
        check_company=True,
        help="Applies to tickets of this team; empty means every team.",
    )
    ticket_type_ids = fields.Many2many(
        "crm.service.ticket.type",
        string="Ticket Types",
        help="Applies to tickets of these types; empty means every type.",
    )
    priority = fields.Selection(
        PRIORITIES,
        string="Minimum Priority",
        default="0",
        required=True,
        help="Applies to tickets of this priority or higher.",
    )
    partner_category_ids = fields.Many2many(
        "res.partner.category",
        string="Customer Tags",
        help="Applies to customers with one of these tags; empty means every "
        "customer.",
    )
    plan_only = fields.Boolean(
        "Service Plans Only",
        help="Applies only to tickets on an asset covered by a service plan "
        "that entitles this policy, never as a default policy.",
    )
    first_response_hours = fields.Float(
        "First Response (working hours)",
        help="Working hours between the opening of a ticket and the first "
        "message to the customer. Empty: no first response target.",
    )
    resolution_hours = fields.Float(
        "Resolution (working hours)",
        help="Working hours between the opening of a ticket and its closing, "
        "paused time excluded. Empty: no resolution target.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="Calendar the targets are counted in; empty means the team's, "
        "else the company's.",
    )
    pause_stage_ids = fields.Many2many(
        "crm.service.ticket.stage",
        string="Pause Stages",
        help="Time spent in these stages (e.g. 'Waiting for customer') stops "
        "the clock.",
    )

    @api.constrains("name", "first_response_hours", "resolution_hours")
    def _check_targets(self):
        for policy in self:
            if not policy.first_response_hours and not policy.resolution_hours:
                raise ValidationError(
                    _(
                        "SLA policy %(policy)s needs a target: set 'First "
                        "Response (working hours)' or 'Resolution (working "
                        "hours)'.",
                        policy=policy.name,
                    )
                )
            for field_name in ("first_response_hours", "resolution_hours"):
                hours = policy[field_name]
                if hours < 0 or hours > MAX_TARGET_HOURS:
                    raise ValidationError(
                        _(
                            "SLA policy %(policy)s: '%(field)s' must be between "
                            "0 and %(max)s working hours, not %(hours)s.",
                            policy=policy.name,
                            field=policy._fields[field_name].string,
                            max=MAX_TARGET_HOURS,
                            hours=hours,
                        )
                    )

    @api.constrains("pause_stage_ids")
    def _check_pause_stages(self):
        for policy in self:
            closing = policy.pause_stage_ids.filtered("is_closing")
            if closing:
                raise ValidationError(
                    _(
                        "SLA policy %(policy)s: 'Pause Stages' cannot hold the "
                        "closing stage %(stage)s.",
                        policy=policy.name,
                        stage=", ".join(closing.mapped("name")),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        policies = super().create(vals_list)
        policies._apply_to_open_tickets()
        return policies

    def write(self, vals):
        result = super().write(vals)
        if (MATCHING_FIELDS | TARGET_FIELDS) & set(vals):
            self._apply_to_open_tickets(bool(TARGET_FIELDS & set(vals)))
        return result

    def unlink(self):
        """A policy that decided targets is archived instead: its met and
        breached rows are the history of the compliance reports."""
        decided = (
            self.env["crm.service.ticket.sla"]
            .sudo()
            ._read_group(
                [("policy_id", "in", self.ids), ("status", "in", ("met", "breached"))],
                ["policy_id"],
            )
        )
        kept = self.browse([policy.id for (policy,) in decided])
        kept.write({"active": False})
        deleted = self - kept
        # through the ORM, so that the tickets' SLA summaries follow
        self.env["crm.service.ticket.sla"].sudo().search(
            [("policy_id", "in", deleted.ids)]
        ).unlink()
        return super(CrmSlaPolicy, deleted).unlink()

    def _apply_to_open_tickets(self, targets_changed=False):
        """Open tickets follow a new or changed policy: they get its targets
        (counted from their opening), lose those of a policy that no longer
        matches, and a changed target moves their deadline. The working time
        consumed so far stays as it was counted."""
        now = fields.Datetime.now()
        if targets_changed:
            self._update_open_targets(now)
        tickets = (
            self.env["crm.service.ticket"]
            .sudo()
            .search(
                [
                    ("is_closed", "=", False),
                    ("company_id", "in", self.company_id.ids),
                ]
            )
        )
        # the rows of other policies are untouched, this one's just done
        tickets._sla_apply_policies(now, sync_existing=False)

    def _update_open_targets(self, now):
        Sla = self.env["crm.service.ticket.sla"].sudo()
        undecided = [("policy_id", "in", self.ids), ("reached_at", "=", False)]
        measured = {
            policy.id: [target for target, _hours in policy._targets()]
            for policy in self
        }
        # a breach stays in the history, as a target met does
        Sla.search(
            undecided
            + [("status", "!=", "breached")]
            + expression.OR(
                [("policy_id", "=", policy_id), ("target", "not in", targets)]
                for policy_id, targets in measured.items()
            )
        ).unlink()
        Sla.search(
            undecided
            + expression.OR(
                [("policy_id", "=", policy_id), ("target", "in", targets)]
                for policy_id, targets in measured.items()
            ),
            order="id",
        )._retarget(now)

    def _targets(self):
        """(target, hours) pairs this policy measures."""
        self.ensure_one()
        return [
            (target, self[field_name])
            for target, field_name in (
                ("first_response", "first_response_hours"),
                ("resolution", "resolution_hours"),
            )
            if self[field_name]
        ]

    def _matches(self, ticket):
        self.ensure_one()
        return (
            self.company_id == ticket.company_id
            and (not self.team_id or self.team_id == ticket.team_id)
            and (
                not self.ticket_type_ids
                or ticket.ticket_type_id in self.ticket_type_ids
            )
            and (ticket.priority or "0") >= self.priority
            and (
                not self.partner_category_ids
                or self.partner_category_ids
                & ticket.partner_id.commercial_partner_id.category_id
            )
        )

    def _calendar_for(self, ticket):
        return self._calendar_for_team(ticket.team_id, ticket.company_id)

    def _calendar_for_team(self, team, company):
        self.ensure_one()
        return (
            self.resource_calendar_id
            or team.resource_calendar_id
            or company.resource_calendar_id
        )
