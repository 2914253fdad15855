from odoo import fields, models


class CrmServiceTicketType(models.Model):
    _name = "crm.service.ticket.type"
    _description = "Service Ticket Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    is_fault = fields.Boolean(
        "Fault",
        help="Tickets of this type count as faults in the fault frequency "
        "report (faults per product and month).",
    )
