from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

WARRANTY_UNITS = [("day", "Days"), ("month", "Months"), ("year", "Years")]


class ProductTemplate(models.Model):
    _inherit = "product.template"

    is_customer_asset = fields.Boolean(
        "Customer Asset",
        help="Units sold on a posted customer invoice become assets of the "
        "customer's installed base.",
    )
    asset_tracking = fields.Selection(
        [("unit", "One Asset per Unit"), ("line", "One Asset per Invoice Line")],
        "Assets Created",
        default="unit",
        required=True,
        help="One per unit for serial-numbered equipment, one per line for "
        "consumables sold by quantity.",
    )
    warranty_duration = fields.Integer(
        help="Length of the warranty from the purchase date."
    )
    warranty_unit = fields.Selection(WARRANTY_UNITS, default="month", required=True)
    is_service_plan = fields.Boolean(
        "Service Plan",
        help="Selling this product starts or extends a customer's service plan.",
    )
    service_plan_term_months = fields.Integer("Plan Term (Months)", default=12)
    default_service_plan_id = fields.Many2one(
        "product.product",
        "Default Service Plan",
        domain=[("is_service_plan", "=", True)],
        help="The plan offered to the customer when the warranty of an asset ends.",
    )
    service_plan_sla_policy_id = fields.Many2one(
        "crm.sla.policy",
        "Plan SLA Policy",
        company_dependent=True,
        help="Copied to the plans this product starts (in this company): "
        "tickets on the assets they cover get this policy instead of the "
        "team's default policies.",
    )
    service_plan_product_ids = fields.Many2many(
        "product.product",
        "product_template_service_plan_product_rel",
        "template_id",
        "product_id",
        "Plan Covers Products",
        domain=[("is_customer_asset", "=", True)],
        help="A plan this product starts covers all the customer's assets of "
        "these products, those bought later too. Empty: the plan covers the "
        "assets named on it.",
    )
    renewal_reminder = fields.Boolean(
        "Renewal Reminder Email",
        help="When the renewal of a plan of this product opens, the customer "
        "gets the reminder email.",
    )
    renewal_mail_template_id = fields.Many2one(
        "mail.template",
        "Renewal Reminder Template",
        domain=[("model", "=", "crm.service.plan")],
        help="The reminder email of this plan product; empty: the default "
        "“Service Plan: Renewal Reminder”.",
    )
    renewal_lead_days = fields.Integer(
        "Renewal Lead Time (Days)",
        default=30,
        help="How many days before a warranty or plan ends the renewal starts.",
    )

    @api.constrains(
        "warranty_duration", "service_plan_term_months", "renewal_lead_days"
    )
    def _check_asset_durations(self):
        for product in self:
            if product.warranty_duration < 0:
                raise ValidationError(
                    _(
                        "Product %(product)s: the Warranty Duration cannot be negative "
                        "(%(value)s).",
                        product=product.display_name,
                        value=product.warranty_duration,
                    )
                )
            if product.is_service_plan and product.service_plan_term_months <= 0:
                raise ValidationError(
                    _(
                        "Product %(product)s: the Plan Term (Months) of a service "
                        "plan must be at least 1.",
                        product=product.display_name,
                    )
                )
            if product.renewal_lead_days < 0:
                raise ValidationError(
                    _(
                        "Product %(product)s: the Renewal Lead Time (Days) cannot "
                        "be negative.",
                        product=product.display_name,
                    )
                )

    def _warranty_end_date(self, start_date):
        """The last day covered by the warranty starting on ``start_date``."""
        self.ensure_one()
        if not start_date or not self.warranty_duration:
            return False
        step = {self.warranty_unit + "s": self.warranty_duration}
        return start_date + relativedelta(**step) - relativedelta(days=1)
