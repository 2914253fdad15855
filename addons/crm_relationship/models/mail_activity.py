from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    account_reason = fields.Selection(
        [("cadence", "Contact Cadence"), ("churn", "Churn Risk")],
        string="Account Management",
        index="btree_not_null",
        copy=False,
        help="Scheduled by the nightly account computation: an overdue "
        "contact or a customer rising to high churn risk.",
    )
