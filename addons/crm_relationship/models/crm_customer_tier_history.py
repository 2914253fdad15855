from odoo import fields, models


class CrmCustomerTierHistory(models.Model):
    _name = "crm.customer.tier.history"
    _description = "Customer Tier Change"
    _order = "changed_at desc, id desc"
    _rec_name = "new_tier_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    changed_at = fields.Datetime(
        "Changed On", required=True, default=fields.Datetime.now, readonly=True
    )
    old_tier_id = fields.Many2one(
        "crm.customer.tier", string="From Tier", ondelete="set null", readonly=True
    )
    new_tier_id = fields.Many2one(
        "crm.customer.tier", string="To Tier", ondelete="set null", readonly=True
    )
    source = fields.Selection(
        [("computed", "Nightly Computation"), ("manual", "Manual Override")],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Changed By", default=lambda self: self.env.user
    )
