from odoo import fields, models, tools


class CrmCadenceReport(models.Model):
    """Cadence compliance per salesperson: one row per customer's latest
    snapshot, for pivot and graph."""

    _name = "crm.cadence.report"
    _description = "Contact Cadence Compliance"
    _auto = False
    _order = "user_id, partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Account Manager", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    tier_id = fields.Many2one("crm.customer.tier", string="Tier", readonly=True)
    computed_on = fields.Date(readonly=True)
    customer_count = fields.Integer("Customers", readonly=True)
    on_cadence_count = fields.Integer("On Cadence", readonly=True)
    overdue_count = fields.Integer("Overdue", readonly=True)
    compliance = fields.Float(
        "Compliance (%)",
        readonly=True,
        aggregator="avg",
        help="The part of the customers contacted within their tier's interval.",
    )
    overdue_days = fields.Integer("Days Overdue", readonly=True, aggregator="avg")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""CREATE OR REPLACE VIEW {self._table} AS (
                SELECT v.id, v.partner_id, v.user_id, v.company_id, v.tier_id,
                       v.computed_on, 1 AS customer_count,
                       CASE WHEN v.is_overdue THEN 0 ELSE 1 END AS on_cadence_count,
                       CASE WHEN v.is_overdue THEN 1 ELSE 0 END AS overdue_count,
                       CASE WHEN v.is_overdue THEN 0.0 ELSE 100.0 END AS compliance,
                       v.overdue_days
                  FROM crm_customer_value v
                 WHERE v.is_latest)"""
        )
