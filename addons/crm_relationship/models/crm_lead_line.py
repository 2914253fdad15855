from odoo import api, fields, models


class CrmLeadLine(models.Model):
    """A product on an opportunity, so that reports can speak per product."""

    _name = "crm.lead.line"
    _description = "Opportunity Product"
    _order = "lead_id, sequence, id"

    lead_id = fields.Many2one(
        "crm.lead", "Opportunity", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    product_id = fields.Many2one(
        "product.product", "Product", required=True, index=True
    )
    name = fields.Char("Description")
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    price_unit = fields.Monetary("Unit Price", currency_field="currency_id")
    price_subtotal = fields.Monetary(
        "Subtotal",
        compute="_compute_price_subtotal",
        store=True,
        currency_field="currency_id",
    )
    currency_id = fields.Many2one(related="lead_id.company_currency")
    company_id = fields.Many2one(related="lead_id.company_id", store=True)

    _sql_constraints = [
        (
            "quantity_positive",
            "CHECK(quantity >= 0)",
            "The quantity of an opportunity product cannot be negative.",
        )
    ]

    @api.depends("quantity", "price_unit")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.quantity * line.price_unit

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.product_id:
            self.name = self.product_id.display_name
            self.price_unit = self.product_id.lst_price

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.lead_id._update_revenue_from_lines()
        return lines

    def write(self, vals):
        leads = self.lead_id
        result = super().write(vals)
        (leads | self.lead_id)._update_revenue_from_lines()
        return result

    def unlink(self):
        leads = self.lead_id
        result = super().unlink()
        leads.exists()._update_revenue_from_lines()
        return result
