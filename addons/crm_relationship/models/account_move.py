from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # The customer history reads invoices by customer: keep that lookup indexed.
    commercial_partner_id = fields.Many2one(index=True)
