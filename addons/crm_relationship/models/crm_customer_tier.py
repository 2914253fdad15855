from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

TIER_MODES = [
    ("share", "By Cumulative Revenue Share"),
    ("revenue", "By Revenue Thresholds"),
]
MODE_PARAMETER = "crm_relationship.customer_tier_mode"


class CrmCustomerTier(models.Model):
    _name = "crm.customer.tier"
    _description = "Customer Tier"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(
        default=10, help="The first tier is the most valuable customers."
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()
    revenue_share = fields.Float(
        "Revenue Share (%)",
        help="By cumulative share: the customers who, ranked by their revenue "
        "of the last 12 months, make this part of the company's revenue. The "
        "shares of the active tiers add up to 100 %.",
    )
    min_revenue = fields.Float(
        "Minimum Revenue",
        help="By revenue thresholds: the least revenue of the last 12 months, "
        "in each company's currency, of a customer of this tier.",
    )
    contact_interval_days = fields.Integer(
        "Contact Every (Days)",
        default=60,
        required=True,
        help="A customer of this tier is overdue when its last contact is "
        "older than this.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity Type",
        help="The activity the account manager gets for an overdue customer.",
    )
    mode = fields.Selection(
        TIER_MODES,
        string="Assign Tiers",
        compute="_compute_mode",
        inverse="_inverse_mode",
        help="How the nightly computation assigns the tiers, for all tiers.",
    )

    _sql_constraints = [
        ("name_uniq", "unique(name)", "A customer tier's name is unique."),
    ]

    @api.model
    def _get_mode(self):
        mode = self.env["ir.config_parameter"].sudo().get_param(MODE_PARAMETER)
        return mode if mode in dict(TIER_MODES) else "share"

    def _compute_mode(self):
        mode = self._get_mode()
        for tier in self:
            tier.mode = mode

    def _inverse_mode(self):
        modes = set(self.mapped("mode"))
        if len(modes) == 1 and modes != {False}:
            self.env["ir.config_parameter"].sudo().set_param(
                MODE_PARAMETER, modes.pop()
            )

    @api.constrains("contact_interval_days", "revenue_share", "min_revenue")
    def _check_values(self):
        for tier in self:
            if tier.contact_interval_days <= 0:
                raise ValidationError(
                    _(
                        "Tier %(tier)s: Contact Every (Days) must be more than 0.",
                        tier=tier.name,
                    )
                )
            if not 0 <= tier.revenue_share <= 100:
                raise ValidationError(
                    _(
                        "Tier %(tier)s: Revenue Share (%%) must be between 0 and 100.",
                        tier=tier.name,
                    )
                )
            if tier.min_revenue < 0:
                raise ValidationError(
                    _(
                        "Tier %(tier)s: Minimum Revenue cannot be negative.",
                        tier=tier.name,
                    )
                )

    @api.model
    def _check_setup(self):
        """The active tiers as the computation needs them: shares adding up
        to 100 %, or thresholds each lower than the tier before. Raise a
        ValidationError naming the field otherwise."""
        tiers = self.search([])
        if not tiers:
            raise ValidationError(_("Customer tiers: there is no active tier."))
        if self._get_mode() == "share":
            total = sum(tiers.mapped("revenue_share"))
            if abs(total - 100.0) > 0.01:
                raise ValidationError(
                    _(
                        "Customer tiers: the Revenue Share (%%) of the active tiers "
                        "adds up to %(total)s %%, not 100 %%.",
                        total=round(total, 2),
                    )
                )
        else:
            previous = None
            for tier in tiers:
                if previous is not None and tier.min_revenue >= previous.min_revenue:
                    raise ValidationError(
                        _(
                            "Customer tiers: the Minimum Revenue of %(tier)s must be "
                            "lower than that of %(previous)s, the tier before it.",
                            tier=tier.name,
                            previous=previous.name,
                        )
                    )
                previous = tier
        return tiers

    def action_compute_now(self):
        """Check the tiers and run the nightly computation now."""
        self._check_setup()
        self.env["crm.customer.value"]._run_computation()
        return True
