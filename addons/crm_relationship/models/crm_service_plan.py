from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError

PLAN_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("expiring", "Renewal Due"),
    ("expired", "Expired"),
    ("renewed", "Renewed"),
    ("cancelled", "Cancelled"),
]
COVERAGE_SCOPES = [
    ("assets", "Named Assets"),
    ("products", "All Assets of Products"),
]


class CrmServicePlan(models.Model):
    _name = "crm.service.plan"
    _description = "Service Plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "end_date, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain=[("is_company", "=", True)],
    )
    user_id = fields.Many2one(
        "res.users",
        "Salesperson",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        tracking=True,
    )
    product_id = fields.Many2one(
        "product.product",
        "Plan",
        required=True,
        check_company=True,
        domain=[("is_service_plan", "=", True)],
    )
    asset_ids = fields.Many2many(
        "crm.customer.asset",
        "crm_service_plan_asset_rel",
        "plan_id",
        "asset_id",
        string="Covered Assets",
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id)]",
    )
    coverage_scope = fields.Selection(
        COVERAGE_SCOPES,
        "Covers",
        default="assets",
        required=True,
        tracking=True,
        help="The assets named on the plan, or all the customer's assets of "
        "the Covered Products: those bought later join the plan as they are "
        "created.",
    )
    covered_product_ids = fields.Many2many(
        "product.product",
        "crm_service_plan_product_rel",
        "plan_id",
        "product_id",
        string="Covered Products",
        check_company=True,
        domain=[("is_customer_asset", "=", True)],
    )
    term_months = fields.Integer(
        "Term (Months)", compute="_compute_term_months", store=True, readonly=False
    )
    start_date = fields.Date(required=True, default=fields.Date.context_today)
    end_date = fields.Date(
        compute="_compute_end_date", store=True, readonly=False, tracking=True
    )
    renewal_date = fields.Date(
        "Renewal Starts",
        compute="_compute_renewal_date",
        store=True,
        help="The day the renewal opportunity opens: the product's renewal lead "
        "time before the end.",
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    price = fields.Monetary(currency_field="currency_id", tracking=True)
    auto_renew = fields.Boolean(
        help="Renews by itself at the end of the term, without an opportunity."
    )
    state = fields.Selection(
        PLAN_STATES, default="draft", required=True, tracking=True, copy=False
    )
    previous_plan_id = fields.Many2one(
        "crm.service.plan", "Previous Term", readonly=True, copy=False
    )
    next_plan_id = fields.Many2one(
        "crm.service.plan", "Next Term", readonly=True, copy=False
    )
    renewal_lead_id = fields.Many2one(
        "crm.lead", "Renewal Opportunity", readonly=True, copy=False
    )
    source_key = fields.Char(
        readonly=True,
        copy=False,
        index=True,
        help="The invoice line that started this term, so that it counts once.",
    )
    move_line_id = fields.Many2one(
        "account.move.line", "Invoice Line", readonly=True, copy=False
    )
    external_line_id = fields.Many2one(
        "crm.external.invoice.line",
        "External Invoice Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    lost_reason_id = fields.Many2one(
        "crm.lost.reason", "Lost Reason", readonly=True, copy=False, tracking=True
    )
    sla_policy_id = fields.Many2one(
        "crm.sla.policy",
        "SLA Policy",
        check_company=True,
        tracking=True,
        help="The service level this plan entitles: tickets on its covered "
        "assets get this policy instead of the team's default policies.",
    )

    _sql_constraints = [
        (
            "source_key_unique",
            "UNIQUE(source_key)",
            "A service plan already exists for this invoice line.",
        ),
    ]

    @api.depends("partner_id")
    def _compute_user_id(self):
        for plan in self:
            plan.user_id = plan.partner_id.user_id or plan.user_id

    @api.depends("product_id")
    def _compute_term_months(self):
        for plan in self:
            plan.term_months = plan.product_id.service_plan_term_months or 12

    @api.depends("start_date", "term_months")
    def _compute_end_date(self):
        for plan in self:
            plan.end_date = (
                plan.start_date
                and plan.term_months > 0
                and plan.start_date
                + relativedelta(months=plan.term_months)
                - timedelta(days=1)
            )

    @api.depends("end_date", "product_id.renewal_lead_days")
    def _compute_renewal_date(self):
        for plan in self:
            plan.renewal_date = plan.end_date and plan.end_date - timedelta(
                days=plan.product_id.renewal_lead_days
            )

    @api.constrains(
        "start_date",
        "end_date",
        "price",
        "term_months",
        "coverage_scope",
        "covered_product_ids",
    )
    def _check_plan_values(self):
        for plan in self:
            if plan.coverage_scope == "products" and not plan.covered_product_ids:
                raise ValidationError(
                    _(
                        "Service plan %(plan)s covers all assets of products: "
                        "choose its Covered Products.",
                        plan=plan.display_name,
                    )
                )
            if plan.end_date and plan.end_date < plan.start_date:
                raise ValidationError(
                    _(
                        "Service plan %(plan)s: the End Date (%(end)s) is before the "
                        "Start Date (%(start)s).",
                        plan=plan.display_name,
                        end=plan.end_date,
                        start=plan.start_date,
                    )
                )
            if plan.currency_id.compare_amounts(plan.price, 0.0) < 0:
                raise ValidationError(
                    _(
                        "Service plan %(plan)s: the Price cannot be negative.",
                        plan=plan.display_name,
                    )
                )
            if plan.term_months <= 0:
                raise ValidationError(
                    _(
                        "Service plan %(plan)s: the Term (Months) must be at least 1.",
                        plan=plan.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        Product = self.env["product.product"]
        for vals in vals_list:
            product = Product.browse(vals.get("product_id")).with_company(
                vals.get("company_id") or self.env.company
            )
            # what the plan product says, unless the plan says otherwise
            if "sla_policy_id" not in vals:
                vals["sla_policy_id"] = product.service_plan_sla_policy_id.id
            if (
                "coverage_scope" not in vals
                and not vals.get("asset_ids")
                and product.service_plan_product_ids
            ):
                vals["coverage_scope"] = "products"
                vals["covered_product_ids"] = [
                    Command.set(product.service_plan_product_ids.ids)
                ]
        plans = super().create(vals_list)
        # linking the assets of covered products refreshes their tickets
        plans._sync_product_assets()
        plans.filtered(
            lambda plan: plan.sla_policy_id and plan.coverage_scope == "assets"
        ).asset_ids._sla_refresh_open_tickets()
        return plans

    def write(self, vals):
        entitlement = {
            "sla_policy_id",
            "asset_ids",
            "state",
            "start_date",
            "end_date",
            "term_months",
        } & set(vals)
        # only plans entitling a policy (before or after) change a ticket's SLA
        entitling = (
            self
            if "sla_policy_id" in vals
            else self.filtered("sla_policy_id")
            if entitlement
            else self.browse()
        )
        before = entitling.asset_ids
        result = super().write(vals)
        if entitling:
            (before | entitling.asset_ids)._sla_refresh_open_tickets()
        if {"coverage_scope", "covered_product_ids", "partner_id", "company_id"} & set(
            vals
        ):
            self._sync_product_assets()
        return result

    def _sync_product_assets(self):
        """A plan covering products covers exactly the customer's assets of
        these products (of its company), whenever they were bought."""
        Asset = self.env["crm.customer.asset"].sudo().with_context(active_test=True)
        for plan in self.filtered(lambda plan: plan.coverage_scope == "products"):
            assets = Asset.search(
                [
                    ("commercial_partner_id", "=", plan.partner_id.id),
                    ("product_id", "in", plan.covered_product_ids.ids),
                    ("company_id", "=", plan.company_id.id),
                ]
            )
            if set(assets.ids) != set(plan.asset_ids.ids):
                plan.asset_ids = [Command.set(assets.ids)]

    def _covers_on(self, day):
        """The plans whose term covers ``day`` (not drafts nor cancelled)."""
        return self.filtered(
            lambda plan: plan.state not in ("draft", "cancelled")
            and plan.start_date
            and plan.end_date
            and plan.start_date <= day <= plan.end_date
        )

    @api.onchange("product_id")
    def _onchange_product_id(self):
        product = self.product_id
        if product:
            self.name = self.name or product.name
            self.price = self.price or product.lst_price
            self.sla_policy_id = (
                self.sla_policy_id
                or product.with_company(self.company_id).service_plan_sla_policy_id
            )
            if product.service_plan_product_ids and not self.asset_ids:
                self.coverage_scope = "products"
                self.covered_product_ids = product.service_plan_product_ids

    def action_activate(self):
        self.filtered(lambda plan: plan.state == "draft").state = "active"

    def action_cancel(self):
        self.filtered(
            lambda plan: plan.state not in ("renewed", "expired")
        ).state = "cancelled"

    @api.model
    def _cron_renewals(self):
        """Daily: open one renewal opportunity per term when its renewal date
        comes, renew auto-renew plans at their end, expire active ones ended."""
        today = fields.Date.context_today(self)
        due = self.search(
            [
                ("state", "=", "active"),
                ("auto_renew", "=", False),
                ("next_plan_id", "=", False),
                ("renewal_date", "<=", today),
                ("renewal_lead_id", "=", False),
            ]
        )
        due._open_renewal_opportunities()
        # a plan waiting on its renewal opportunity stays due until it is won
        # or lost; the others end with their term
        ended = self.search([("state", "=", "active"), ("end_date", "<", today)])
        # a next term invoiced before the end already renewed the plan
        followed = self.search(
            [
                ("state", "in", ("active", "expiring")),
                ("end_date", "<", today),
                ("next_plan_id", "!=", False),
            ]
        )
        followed.state = "renewed"
        ended -= followed
        auto = ended.filtered("auto_renew")
        auto._create_next_terms()
        (ended - auto).state = "expired"
        self.env["crm.customer.asset"]._open_upsell_opportunities()

    def _open_renewal_opportunities(self):
        if not self:
            return self.env["crm.lead"]
        Tag = self.env["crm.tag"].sudo()
        # tag names are unique: reuse the tag a user may have made already
        tag_name = self.env._("Renewal")
        tag = Tag.search([("name", "=", tag_name)], limit=1) or Tag.create(
            {"name": tag_name}
        )
        leads = (
            self.env["crm.lead"]
            .with_context(mail_create_nolog=True)
            .create(
                [
                    {
                        "name": self.env._(
                            "Renewal: %(plan)s (%(customer)s)",
                            plan=plan.name,
                            customer=plan.partner_id.name,
                        ),
                        "type": "opportunity",
                        "partner_id": plan.partner_id.id,
                        "user_id": plan.user_id.id,
                        "expected_revenue": plan.currency_id._convert(
                            plan.price,
                            plan.company_id.currency_id,
                            plan.company_id,
                            plan.end_date,
                        ),
                        "date_deadline": plan.end_date,
                        "company_id": plan.company_id.id,
                        "tag_ids": [fields.Command.link(tag.id)],
                    }
                    for plan in self
                ]
            )
        )
        for plan, lead in zip(self, leads, strict=True):
            plan.write({"renewal_lead_id": lead.id, "state": "expiring"})
        self._send_renewal_reminders()
        return leads

    def _send_renewal_reminders(self):
        """The reminder email of the plans whose product asks for one: the
        product's template, else the default one."""
        default = self.env.ref(
            "crm_relationship.mail_template_crm_service_plan_renewal",
            raise_if_not_found=False,
        )
        by_template = defaultdict(list)
        for plan in self:
            product = plan.product_id
            template = product.renewal_mail_template_id or default
            if product.renewal_reminder and template:
                by_template[template].append(plan.id)
        for template, plan_ids in by_template.items():
            template.sudo().send_mail_batch(plan_ids)

    def _create_next_terms(self):
        if not self:
            return self
        next_plans = self.create(
            [
                {
                    "name": plan.name,
                    "partner_id": plan.partner_id.id,
                    "user_id": plan.user_id.id,
                    "product_id": plan.product_id.id,
                    "asset_ids": [fields.Command.set(plan.asset_ids.ids)],
                    "coverage_scope": plan.coverage_scope,
                    "covered_product_ids": [
                        fields.Command.set(plan.covered_product_ids.ids)
                    ],
                    "term_months": plan.term_months,
                    "start_date": plan.end_date + timedelta(days=1),
                    "currency_id": plan.currency_id.id,
                    "price": plan.price,
                    "auto_renew": plan.auto_renew,
                    "sla_policy_id": plan.sla_policy_id.id,
                    "company_id": plan.company_id.id,
                    "previous_plan_id": plan.id,
                    "state": "active",
                }
                for plan in self
            ]
        )
        for plan, next_plan in zip(self, next_plans, strict=True):
            plan.write({"next_plan_id": next_plan.id, "state": "renewed"})
        return next_plans

    @api.model
    def _create_from_invoice_lines(self, lines):
        """A posted invoice line of a plan product starts the customer's plan,
        or its next term when one of the same plan is running. Once per line."""
        return self._create_from_specs(
            [
                {
                    "source_key": f"account.move.line:{line.id}",
                    "partner": line.move_id.commercial_partner_id,
                    "product": line.product_id,
                    "quantity": line.quantity,
                    "price": line.price_subtotal,
                    "currency": line.currency_id,
                    "company": line.move_id.company_id,
                    "date": line.move_id.invoice_date or line.move_id.date,
                    "extra": {"move_line_id": line.id},
                }
                for line in lines
            ]
        )

    @api.model
    def _create_from_specs(self, specs):
        """Plans of sold plan lines (Odoo's or external), each a dict of
        ``source_key``, ``partner`` (commercial), ``product``, ``quantity``,
        ``price``, ``currency``, ``company``, ``date`` and ``extra`` values:
        the customer's plan starts, or its next term after the running one.
        Once per source key."""
        by_key = {spec["source_key"]: spec for spec in specs}
        known = set(
            self.search_fetch(
                [("source_key", "in", list(by_key))], ["source_key"]
            ).mapped("source_key")
        )
        specs = [spec for key, spec in by_key.items() if key not in known]
        if not specs:
            return self
        running = self.search(
            [
                ("partner_id", "in", [spec["partner"].id for spec in specs]),
                ("product_id", "in", [spec["product"].id for spec in specs]),
                ("state", "in", ("active", "expiring")),
                ("next_plan_id", "=", False),
            ],
            order="end_date desc",
        )
        latest = {}
        for plan in running:
            latest.setdefault((plan.partner_id.id, plan.product_id.id), plan.end_date)
        previous_by_key = {
            (plan.partner_id.id, plan.product_id.id): plan for plan in reversed(running)
        }
        # a next term entitles and covers what the running one does; a first
        # term what its product says (see create)
        carried_over = {
            key: {
                "sla_policy_id": plan.sla_policy_id.id,
                "coverage_scope": plan.coverage_scope,
                "covered_product_ids": [Command.set(plan.covered_product_ids.ids)],
                "asset_ids": [Command.set(plan.asset_ids.ids)],
            }
            for key, plan in previous_by_key.items()
        }
        values = []
        for spec in specs:
            product = spec["product"]
            key = (spec["partner"].id, product.id)
            term = product.service_plan_term_months * max(round(spec["quantity"]), 1)
            start = latest[key] + timedelta(days=1) if latest.get(key) else spec["date"]
            latest[key] = start + relativedelta(months=term) - timedelta(days=1)
            values.append(
                {
                    "name": product.name,
                    "partner_id": spec["partner"].id,
                    "product_id": product.id,
                    "term_months": term,
                    "start_date": start,
                    "price": spec["price"],
                    "currency_id": spec["currency"].id,
                    "company_id": spec["company"].id,
                    "state": "active",
                    "source_key": spec["source_key"],
                    **spec["extra"],
                    **carried_over.get(key, {}),
                }
            )
        plans = self.create(values)
        for plan in plans:
            key = (plan.partner_id.id, plan.product_id.id)
            previous = previous_by_key.get(key)
            if previous:
                previous.next_plan_id = plan
                plan.previous_plan_id = previous
            previous_by_key[key] = plan
        return plans
