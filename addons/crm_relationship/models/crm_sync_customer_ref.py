from odoo import fields, models


class CrmSyncCustomerRef(models.Model):
    """The customer id a source uses for a partner, learnt on first match."""

    _name = "crm.sync.customer.ref"
    _description = "External Customer ID"

    job_id = fields.Many2one("crm.sync.job", required=True, ondelete="cascade")
    external_id = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade")

    _sql_constraints = [
        (
            "job_external_id_uniq",
            "unique(job_id, external_id)",
            "An external customer id maps to one customer per job.",
        )
    ]
