from odoo import fields, models


class CrmSlaReplan(models.Model):
    """Open SLA targets whose deadlines are to be planned again because the
    working time of their calendar changed: too many to do at once, they are
    left to the replanning cron, which notes its progress here."""

    _name = "crm.sla.replan"
    _description = "SLA Deadlines to Replan"
    _order = "id"

    domain = fields.Text(required=True, help="The SLA rows whose working time changed.")
    last_id = fields.Integer(help="The rows up to this id are replanned.")
