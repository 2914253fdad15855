from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmServiceTicketStage(models.Model):
    _name = "crm.service.ticket.stage"
    _description = "Service Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    fold = fields.Boolean(
        "Folded in Kanban", help="Folded in the kanban view of tickets."
    )
    is_closing = fields.Boolean(
        "Closing Stage",
        help="Tickets in this stage are resolved: the resolution target is "
        "reached and the customer is asked to rate the service.",
    )
    is_pause = fields.Boolean(
        "Pause Stage",
        help="Suggested as pause stage for new SLA policies, e.g. 'Waiting for "
        "customer'. Each policy decides which stages stop its clock.",
    )
    team_ids = fields.Many2many(
        "crm.service.team",
        string="Teams",
        help="Teams using this stage; empty means every team.",
    )
    rating_template_id = fields.Many2one(
        "mail.template",
        string="Rating Request",
        domain=[("model", "=", "crm.service.ticket")],
        help="Sent to the customer when a ticket reaches this stage.",
    )
    active = fields.Boolean(default=True)

    @api.constrains("is_closing", "is_pause")
    def _check_closing_not_pause(self):
        for stage in self.filtered("is_closing"):
            pausing = self.env["crm.sla.policy"].search(
                [("pause_stage_ids", "in", stage.ids)]
            )
            if stage.is_pause or pausing:
                raise ValidationError(
                    _(
                        "Stage %(stage)s: a closing stage cannot also be a pause "
                        "stage (field 'Pause Stage'%(policies)s).",
                        stage=stage.name,
                        policies=pausing
                        and _(", policies %s", ", ".join(pausing.mapped("name")))
                        or "",
                    )
                )
