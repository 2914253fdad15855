from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

TIER_MODES = [
    ("share", "By Cumulative Revenue Share"),
    ("revenue", "By Revenue Thresholds"),
]
MODE_PARAMETER = "crm_relationship.customer_tier_mode"
# the account manager's dashboard: renewals and warranties ending this soon
RENEWAL_DAYS = 90
# the counters of the dashboard and the model each one counts
DASHBOARD_COUNTERS = {
    "customers": "crm.customer.value",
    "overdue": "crm.customer.value",
    "at_risk": "crm.customer.value",
    "renewals": "crm.service.plan",
    "warranties": "crm.customer.asset",
}


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

    # the account manager's dashboard: the current user's customers
    my_customer_count = fields.Integer(
        "My Customers", compute="_compute_dashboard_counts"
    )
    my_overdue_count = fields.Integer(
        "Overdue Contacts", compute="_compute_dashboard_counts"
    )
    my_at_risk_count = fields.Integer("At Risk", compute="_compute_dashboard_counts")
    my_renewal_count = fields.Integer(
        "Renewals Due", compute="_compute_dashboard_counts"
    )
    my_warranty_count = fields.Integer(
        "Warranties Ending", compute="_compute_dashboard_counts"
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

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_dashboard_counts(self):
        fields_by_counter = {
            "customers": "my_customer_count",
            "overdue": "my_overdue_count",
            "at_risk": "my_at_risk_count",
            "renewals": "my_renewal_count",
            "warranties": "my_warranty_count",
        }
        for tier in self:
            for counter, field_name in fields_by_counter.items():
                model, domain = tier._dashboard_domain(counter)
                tier[field_name] = (
                    self.env[model].search_count(domain) if tier.id else 0
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

    def action_open_dashboard_counter(self):
        """The list behind a counter of the account manager's dashboard
        (the counter's name in the context key ``account_counter``): the
        same domain as the count, "My customers" a filter one can remove."""
        self.ensure_one()
        counter = self.env.context.get("account_counter")
        if counter not in DASHBOARD_COUNTERS:
            raise UserError(_("Unknown dashboard counter: %s", counter))
        model, domain = self._dashboard_domain(counter, mine=False)
        names = {
            "customers": _("%s: My Customers"),
            "overdue": _("%s: Overdue Contacts"),
            "at_risk": _("%s: At Risk"),
            "renewals": _("%s: Renewals Due"),
            "warranties": _("%s: Warranties Ending"),
        }
        my_filter = {
            "crm.customer.value": "search_default_my_customers",
            "crm.service.plan": "search_default_my_plans",
            "crm.customer.asset": "search_default_my_assets",
        }[model]
        views = {
            "crm.customer.value": [(False, "list"), (False, "kanban"), (False, "form")],
        }.get(model, [(False, "list"), (False, "form")])
        return {
            "type": "ir.actions.act_window",
            "name": names[counter] % self.name,
            "res_model": model,
            "views": views,
            "domain": domain,
            "context": {my_filter: 1, "create": False},
        }

    def _dashboard_domain(self, counter, mine=True):
        """(model, domain) of a counter of the dashboard for this tier: the
        customers whose latest snapshot is in this tier, those overdue or at
        medium or high churn risk, and their service plans and warranties
        ending within 90 days without a next term. ``mine``: only the
        current user's (the snapshot's account manager, the plan's
        salesperson, the asset's customer's salesperson)."""
        self.ensure_one()
        user = self.env.user
        today = fields.Date.context_today(self)
        soon = today + relativedelta(days=RENEWAL_DAYS)
        if DASHBOARD_COUNTERS.get(counter) == "crm.customer.value":
            domain = [("is_latest", "=", True), ("tier_id", "=", self.id)]
            if counter == "overdue":
                domain.append(("is_overdue", "=", True))
            elif counter == "at_risk":
                domain.append(("churn_level", "in", ("medium", "high")))
            if mine:
                domain.append(("user_id", "=", user.id))
            return "crm.customer.value", domain
        if counter == "renewals":
            domain = [
                ("state", "in", ("active", "expiring")),
                ("next_plan_id", "=", False),
                ("end_date", "<=", soon),
                ("partner_id.customer_tier_id", "=", self.id),
            ]
            if mine:
                domain.append(("user_id", "=", user.id))
            return "crm.service.plan", domain
        if counter == "warranties":
            domain = [
                ("state", "=", "active"),
                ("coverage", "=", "warranty"),
                ("warranty_end_date", "<=", soon),
                ("commercial_partner_id.customer_tier_id", "=", self.id),
            ]
            if mine:
                domain.append(("commercial_partner_id.user_id", "=", user.id))
            return "crm.customer.asset", domain
        raise UserError(_("Unknown dashboard counter: %s", counter))

    def action_compute_now(self):
        """Check the tiers and run the nightly computation now."""
        self._check_setup()
        self.env["crm.customer.value"]._run_computation()
        return True
