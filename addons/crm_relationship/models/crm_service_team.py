from odoo import fields, models


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

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("crm.service.ticket")
        if self.id:
            values["alias_defaults"] = {
                "team_id": self.id,
                "company_id": self.company_id.id,
            }
        return values
