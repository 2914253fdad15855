from odoo import fields, models


class CrmSyncBinding(models.Model):
    """A customer as pushed to an external target (an address book, a
    webhook): what was sent and where it lives there, so that the next push
    only sends what changed and deletions follow."""

    _name = "crm.sync.binding"
    _description = "Pushed Customer"
    _order = "job_id, id"
    _rec_name = "uid"

    job_id = fields.Many2one(
        "crm.sync.job", string="Target", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", ondelete="set null", index=True
    )
    partner_name = fields.Char("Customer Name")
    uid = fields.Char("UID", required=True)
    external_id = fields.Char("External ID")
    href = fields.Char()
    etag = fields.Char("ETag")
    content_hash = fields.Char()
    pushed_at = fields.Datetime()
    run_id = fields.Many2one(
        "crm.sync.run", string="Last Pushed By", ondelete="set null", index=True
    )
    company_id = fields.Many2one(related="job_id.company_id", store=True)

    _sql_constraints = [
        (
            "job_uid_uniq",
            "unique(job_id, uid)",
            "A customer is bound once per target.",
        )
    ]
