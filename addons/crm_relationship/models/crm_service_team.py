from datetime import timedelta

from odoo import fields, models

DASHBOARD_DAYS = 30


class CrmServiceTeam(models.Model):
    _name = "crm.service.team"
    _description = "Service Team"
    _inherit = ["mail.alias.mixin", "mail.thread"]
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    leader_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        check_company=True,
        help="Notified when a ticket of the team breaches its SLA.",
    )
    member_ids = fields.Many2many(
        "res.users",
        string="Members",
        check_company=True,
        domain=[("share", "=", False)],
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="SLA targets of the team's tickets are counted in these working "
        "hours, unless the policy has its own; empty means the company's.",
    )
    ticket_ids = fields.One2many("crm.service.ticket", "team_id", string="Tickets")
    color = fields.Integer()
    # the dashboard's figures, read when the dashboard opens
    open_ticket_count = fields.Integer("Open", compute="_compute_dashboard")
    unassigned_ticket_count = fields.Integer("Unassigned", compute="_compute_dashboard")
    at_risk_ticket_count = fields.Integer("At Risk", compute="_compute_dashboard")
    breached_ticket_count = fields.Integer("Breached", compute="_compute_dashboard")
    sla_compliance = fields.Float(
        "SLA Met (%)",
        compute="_compute_dashboard",
        help="Share of the SLA targets decided in the last 30 days that were met.",
    )
    sla_decided_count = fields.Integer(
        "SLA Targets Decided",
        compute="_compute_dashboard",
        help="SLA targets met or breached in the last 30 days.",
    )
    first_response_avg = fields.Float(
        "Average First Response (working hours)",
        compute="_compute_dashboard",
        help="Tickets opened in the last 30 days and answered.",
    )
    rating_avg = fields.Float(
        "Satisfaction (1-5)",
        compute="_compute_dashboard",
        help="Tickets rated in the last 30 days.",
    )

    def _compute_dashboard(self):
        Ticket = self.env["crm.service.ticket"]
        open_domain = [("team_id", "in", self.ids), ("is_closed", "=", False)]
        counts = {}
        for name, extra in (
            ("open_ticket_count", []),
            ("unassigned_ticket_count", [("user_id", "=", False)]),
            ("at_risk_ticket_count", [("sla_at_risk", "=", True)]),
            ("breached_ticket_count", [("sla_breached", "=", True)]),
        ):
            counts[name] = dict(
                Ticket._read_group(open_domain + extra, ["team_id"], ["__count"])
            )
        since = fields.Datetime.now() - timedelta(days=DASHBOARD_DAYS)
        compliance = {
            team: (rate, count)
            for team, rate, count in self.env["crm.service.ticket.sla"]._read_group(
                [
                    ("team_id", "in", self.ids),
                    ("status", "in", ("met", "breached")),
                    ("opened_at", ">=", since),
                ],
                ["team_id"],
                ["success_rate:avg", "__count"],
            )
        }
        report = {
            team: (response, rating)
            for team, response, rating in self.env[
                "crm.service.ticket.report"
            ]._read_group(
                [("team_id", "in", self.ids), ("opened_at", ">=", since)],
                ["team_id"],
                ["first_response_hours:avg", "rating:avg"],
            )
        }
        for team in self:
            for name, by_team in counts.items():
                team[name] = by_team.get(team, 0)
            rate, decided = compliance.get(team, (0.0, 0))
            team.sla_compliance = rate or 0.0
            team.sla_decided_count = decided
            response, rating = report.get(team, (0.0, 0.0))
            team.first_response_avg = response or 0.0
            team.rating_avg = rating or 0.0

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("crm.service.ticket")
        if self.id:
            values["alias_defaults"] = {
                "team_id": self.id,
                "company_id": self.company_id.id,
            }
        return values
