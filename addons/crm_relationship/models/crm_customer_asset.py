from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import float_compare, float_is_zero, format_date

SOURCES = [
    ("invoice", "Odoo Invoice Line"),
    ("external", "External Invoice Line"),
    ("manual", "Manual"),
]
STATES = [("active", "Active"), ("returned", "Returned"), ("retired", "Retired")]
COVERAGES = [
    ("warranty", "In Warranty"),
    ("plan", "Covered by Plan"),
    ("none", "Not Covered"),
]
RUNNING_PLAN_STATES = ("active", "expiring")
# the plan terms a new asset of a covered product joins
OPEN_PLAN_STATES = ("draft", "active", "expiring")


class CrmCustomerAsset(models.Model):
    _name = "crm.customer.asset"
    _description = "Customer Asset"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "purchase_date desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "serial_number", "commercial_partner_id.name"]

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Site / Contact",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        help="The address where the asset is installed, or the contact using it.",
    )
    commercial_partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users",
        "Salesperson",
        related="commercial_partner_id.user_id",
    )
    product_id = fields.Many2one(
        "product.product", required=True, index=True, check_company=True
    )
    categ_id = fields.Many2one(
        "product.category",
        "Product Category",
        compute="_compute_categ_id",
        store=True,
        # known before the specifications are written, which it defines
        precompute=True,
    )
    specs = fields.Properties(
        "Specifications",
        definition="categ_id.asset_properties_definition",
        copy=True,
        help="Defined per product category: model, capacity, …",
    )
    product_attribute_value_ids = fields.Many2many(
        related="product_id.product_template_attribute_value_ids",
        string="Product Attributes",
    )
    serial_number = fields.Char(tracking=True, copy=False)
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    returned_quantity = fields.Float(
        copy=False, readonly=True, digits="Product Unit of Measure"
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    price_unit = fields.Monetary("Unit Price", currency_field="currency_id")
    purchase_date = fields.Date(default=fields.Date.context_today, tracking=True)
    install_date = fields.Date(tracking=True)
    source = fields.Selection(SOURCES, required=True, default="manual", readonly=True)
    source_key = fields.Char(
        readonly=True,
        copy=False,
        index=True,
        help="Identifies the document line the asset comes from, so that it is "
        "created only once.",
    )
    move_line_id = fields.Many2one(
        "account.move.line", "Invoice Line", readonly=True, index="btree_not_null"
    )
    move_id = fields.Many2one(
        related="move_line_id.move_id", string="Invoice", store=True, index=True
    )
    return_line_ids = fields.Many2many(
        "account.move.line",
        "crm_customer_asset_return_line_rel",
        "asset_id",
        "move_line_id",
        "Credit Note Lines",
        readonly=True,
        copy=False,
    )
    external_line_id = fields.Many2one(
        "crm.external.invoice.line",
        "External Invoice Line",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    external_invoice_id = fields.Many2one(
        "crm.external.invoice",
        "External Invoice",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    return_external_line_ids = fields.Many2many(
        "crm.external.invoice.line",
        "crm_customer_asset_return_external_line_rel",
        "asset_id",
        "external_line_id",
        "External Credit Note Lines",
        readonly=True,
        copy=False,
    )
    warranty_start_date = fields.Date(
        compute="_compute_warranty_start_date",
        store=True,
        readonly=False,
        tracking=True,
    )
    warranty_end_date = fields.Date(
        compute="_compute_warranty_end_date",
        store=True,
        readonly=False,
        tracking=True,
        help="The last day covered by the warranty.",
    )
    state = fields.Selection(
        STATES, default="active", required=True, tracking=True, copy=False
    )
    coverage = fields.Selection(
        COVERAGES,
        compute="_compute_coverage",
        store=True,
        help="Refreshed every day.",
    )
    coverage_end_date = fields.Date(
        "Covered Until", compute="_compute_coverage", store=True
    )
    coverage_plan_id = fields.Many2one(
        "crm.service.plan", "Covering Plan", compute="_compute_coverage", store=True
    )
    coverage_label = fields.Char("Coverage Status", compute="_compute_coverage_label")
    upsell_lead_id = fields.Many2one(
        "crm.lead",
        "Service Plan Opportunity",
        readonly=True,
        copy=False,
        help="Opened once, before the warranty ends, to offer the product's "
        "default service plan.",
    )
    plan_ids = fields.Many2many(
        "crm.service.plan",
        "crm_service_plan_asset_rel",
        "asset_id",
        "plan_id",
        "Service Plans",
        readonly=True,
    )

    customer_document_ids = fields.One2many(
        "crm.customer.document", "asset_id", "Documents"
    )
    customer_document_count = fields.Integer(
        "Document Count", compute="_compute_customer_document_count"
    )
    ticket_ids = fields.One2many("crm.service.ticket", "asset_id", "Tickets")
    ticket_count = fields.Integer(compute="_compute_ticket_count")
    fault_count = fields.Integer(
        "Faults",
        compute="_compute_faults",
        store=True,
        help="Tickets of a fault type on this asset.",
    )
    last_fault_date = fields.Date("Last Fault", compute="_compute_faults", store=True)
    service_days = fields.Integer(
        "Days in Service",
        compute="_compute_mtbf",
        help="Days since the installation (else the purchase) until today.",
    )
    mtbf_days = fields.Float(
        "MTBF (Days)",
        compute="_compute_mtbf",
        digits=(16, 1),
        help="Mean time between failures: days in service divided by the "
        "number of faults. Empty while the asset never failed.",
    )

    _sql_constraints = [
        (
            "source_key_unique",
            "UNIQUE(source_key)",
            "An asset already exists for this document line.",
        ),
    ]

    @api.model
    def _mark_returned(self, assets, quantity, link_field, line_id):
        """``quantity`` units credited by the line ``line_id`` (linked through
        ``link_field``) returned on ``assets`` in their order, each up to what
        it still holds; an asset with nothing left is returned."""
        for asset in assets:
            if quantity <= 0:
                break
            remaining = asset.quantity - asset.returned_quantity
            if remaining <= 0:
                continue
            taken = min(remaining, quantity)
            quantity -= taken
            values = {
                "returned_quantity": asset.returned_quantity + taken,
                link_field: [Command.link(line_id)],
            }
            if taken >= remaining:
                values["state"] = "returned"
            asset.write(values)

    @api.model_create_multi
    def create(self, vals_list):
        # the specifications are kept only when their definition (the
        # product's category) is known as the defaults are added
        Product = self.env["product.product"]
        for vals in vals_list:
            if vals.get("specs") and vals.get("product_id"):
                vals.setdefault(
                    "categ_id", Product.browse(vals["product_id"]).categ_id.id
                )
        assets = super().create(vals_list)
        assets._product_plans()._sync_product_assets()
        return assets

    def write(self, vals):
        moved = {"partner_id", "product_id", "company_id"} & set(vals)
        left = (
            self.plan_ids.filtered(lambda plan: plan.coverage_scope == "products")
            if moved
            else None
        )
        result = super().write(vals)
        if moved:
            (left | self._product_plans())._sync_product_assets()
        return result

    def _product_plans(self):
        """The customer's current plans covering all its assets of these
        assets' products."""
        if not self:
            return self.env["crm.service.plan"]
        return (
            self.env["crm.service.plan"]
            .sudo()
            .search(
                [
                    ("coverage_scope", "=", "products"),
                    ("state", "in", OPEN_PLAN_STATES),
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("covered_product_ids", "in", self.product_id.ids),
                ]
            )
        )

    @api.depends("product_id.categ_id")
    def _compute_categ_id(self):
        for asset in self:
            asset.categ_id = asset.product_id.categ_id

    @api.depends("purchase_date", "install_date")
    def _compute_warranty_start_date(self):
        for asset in self:
            asset.warranty_start_date = asset.purchase_date or asset.install_date

    @api.depends("warranty_start_date", "product_id")
    def _compute_warranty_end_date(self):
        for asset in self:
            template = asset.product_id.product_tmpl_id
            asset.warranty_end_date = template._warranty_end_date(
                asset.warranty_start_date
            )

    @api.depends(
        "state",
        "warranty_start_date",
        "warranty_end_date",
        "plan_ids.state",
        "plan_ids.start_date",
        "plan_ids.end_date",
    )
    def _compute_coverage(self):
        """A running plan covering today comes first, then the warranty."""
        today = fields.Date.context_today(self)
        for asset in self:
            plans = asset.plan_ids.filtered(
                lambda plan: plan.state in RUNNING_PLAN_STATES
                and plan.start_date <= today
                and plan.end_date
                and plan.end_date >= today
            ).sorted("end_date", reverse=True)
            start, end = asset.warranty_start_date, asset.warranty_end_date
            in_warranty = end and end >= today and (not start or start <= today)
            if asset.state != "active":
                coverage, until, plan = "none", False, False
            elif plans:
                coverage, until, plan = "plan", plans[0].end_date, plans[0]
            elif in_warranty:
                coverage, until, plan = "warranty", end, False
            else:
                coverage, until, plan = "none", False, False
            asset.coverage = coverage
            asset.coverage_end_date = until
            asset.coverage_plan_id = plan

    def _compute_ticket_count(self):
        counts = dict(
            self.env["crm.service.ticket"]._read_group(
                [("asset_id", "in", self.ids)], ["asset_id"], ["__count"]
            )
        )
        for asset in self:
            asset.ticket_count = counts.get(asset, 0)

    @api.depends(
        "ticket_ids.ticket_type_id.is_fault",
        "ticket_ids.opened_at",
        "ticket_ids.active",
    )
    def _compute_faults(self):
        faults = {
            asset: (count, last)
            for asset, count, last in self.env["crm.service.ticket"]._read_group(
                [
                    ("asset_id", "in", self.ids),
                    ("ticket_type_id.is_fault", "=", True),
                ],
                ["asset_id"],
                ["__count", "opened_at:max"],
            )
        }
        for asset in self:
            count, last = faults.get(asset, (0, False))
            asset.fault_count = count
            asset.last_fault_date = last and fields.Date.context_today(asset, last)

    @api.depends("install_date", "purchase_date", "fault_count")
    def _compute_mtbf(self):
        today = fields.Date.context_today(self)
        for asset in self:
            start = asset.install_date or asset.purchase_date
            asset.service_days = max((today - start).days, 0) if start else 0
            asset.mtbf_days = (
                asset.service_days / asset.fault_count if asset.fault_count else 0.0
            )

    def action_open_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_service_ticket_action"
        )
        action.update(
            domain=[("asset_id", "=", self.id)],
            context={
                "default_asset_id": self.id,
                "default_partner_id": self.partner_id.id,
                "default_product_id": self.product_id.id,
            },
        )
        return action

    @api.depends("coverage", "coverage_end_date")
    def _compute_coverage_label(self):
        for asset in self:
            if asset.coverage == "warranty":
                asset.coverage_label = _(
                    "In warranty until %s",
                    format_date(self.env, asset.coverage_end_date),
                )
            elif asset.coverage == "plan":
                asset.coverage_label = _(
                    "Covered by %(plan)s until %(date)s",
                    plan=asset.coverage_plan_id.name,
                    date=format_date(self.env, asset.coverage_end_date),
                )
            else:
                asset.coverage_label = _("Not covered")

    @api.constrains("warranty_start_date", "warranty_end_date")
    def _check_warranty_dates(self):
        for asset in self:
            if (
                asset.warranty_start_date
                and asset.warranty_end_date
                and asset.warranty_end_date < asset.warranty_start_date
            ):
                raise ValidationError(
                    _(
                        "Asset %(asset)s: the Warranty End (%(end)s) is before the "
                        "Warranty Start (%(start)s).",
                        asset=asset.display_name,
                        end=asset.warranty_end_date,
                        start=asset.warranty_start_date,
                    )
                )

    @api.constrains("quantity", "returned_quantity", "price_unit")
    def _check_amounts(self):
        for asset in self:
            if float_compare(asset.quantity, 0.0, precision_digits=6) < 0:
                raise ValidationError(
                    _(
                        "Asset %(asset)s: the Quantity cannot be negative (%(value)s).",
                        asset=asset.display_name,
                        value=asset.quantity,
                    )
                )
            if asset.currency_id.compare_amounts(asset.price_unit, 0.0) < 0:
                raise ValidationError(
                    _(
                        "Asset %(asset)s: the Unit Price cannot be negative "
                        "(%(value)s).",
                        asset=asset.display_name,
                        value=asset.price_unit,
                    )
                )

    def _entitled_sla_policy(self, day):
        """The SLA policy of the latest plan of the customer covering this
        asset on ``day``; an empty policy when none entitles one."""
        self.ensure_one()
        plans = (
            self.plan_ids.filtered(
                lambda plan: plan.sla_policy_id
                and plan.partner_id == self.commercial_partner_id
            )
            ._covers_on(day)
            .sorted(lambda plan: (plan.end_date, plan.id), reverse=True)
        )
        return plans[:1].sla_policy_id

    def _sla_refresh_open_tickets(self):
        """Open tickets on these assets follow a change of their entitlement."""
        if not self:
            return
        tickets = (
            self.env["crm.service.ticket"]
            .sudo()
            .search([("asset_id", "in", self.ids), ("is_closed", "=", False)])
        )
        tickets._sla_apply_policies(fields.Datetime.now())

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.product_id and not self.name:
            self.name = self.product_id.display_name

    def _compute_customer_document_count(self):
        counts = dict(
            self.env["crm.customer.document"]._read_group(
                [("asset_id", "in", self.ids)], ["asset_id"], ["__count"]
            )
        )
        for asset in self:
            asset.customer_document_count = counts.get(asset, 0)

    def action_view_customer_documents(self):
        """The documents of the asset (warranty certificate, installation
        report...); new ones belong to it and to its customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_document_action"
        )
        action["domain"] = [("asset_id", "=", self.id)]
        action["context"] = {
            "default_asset_id": self.id,
            "default_partner_id": self.commercial_partner_id.id,
            "default_company_id": self.company_id.id,
            "default_res_model": self._name,
            "default_res_id": self.id,
        }
        action["display_name"] = _("Documents of %s", self.display_name)
        return action

    def action_backfill_from_invoices(self):
        """Create the assets of customer invoices posted before the addon."""
        self.check_access("create")
        created = self.sudo()._backfill_from_invoices()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%s assets created from posted invoices.", created),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _unit_values(self, source_key, base, product, quantity):
        """{source key: create values} of a sold line: one asset per unit of a
        product tracked per unit (a whole quantity), else one for the line."""
        units = round(quantity)
        whole = float_is_zero(quantity - units, precision_digits=6)
        if product.asset_tracking == "unit" and whole:
            return {
                f"{source_key}:{unit}": {
                    **base,
                    "quantity": 1,
                    "source_key": f"{source_key}:{unit}",
                }
                for unit in range(1, units + 1)
            }
        return {source_key: {**base, "quantity": quantity, "source_key": source_key}}

    @api.model
    def _backfill_from_invoices(self, batch_size=1000):
        """Set-based and batched: invoices, then the credit notes reversing them.

        Returns the number of assets created.
        """
        # every company's invoices, whoever asks
        Move = self.env["account.move"].sudo()
        before = self.with_context(active_test=False).search_count([])
        for move_types in (("out_invoice", "out_receipt"), ("out_refund",)):
            self.env.cr.execute(
                """
                SELECT DISTINCT aml.move_id
                  FROM account_move_line aml
                  JOIN account_move am ON am.id = aml.move_id
                  JOIN product_product pp ON pp.id = aml.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE am.state = 'posted' AND am.move_type IN %s
                   AND aml.display_type = 'product' AND pt.is_customer_asset
                 ORDER BY aml.move_id
                """,
                [move_types],
            )
            move_ids = [row[0] for row in self.env.cr.fetchall()]
            for start in range(0, len(move_ids), batch_size):
                moves = Move.browse(move_ids[start : start + batch_size])
                moves._sync_customer_assets()
                self.env.flush_all()
                self.env.invalidate_all()
        return self.with_context(active_test=False).search_count([]) - before

    @api.model
    def _cron_refresh_coverage(self):
        """Coverage depends on today: recompute the assets whose day has come."""
        today = fields.Date.context_today(self)
        running_plan_today = [
            ("plan_ids.state", "in", RUNNING_PLAN_STATES),
            ("plan_ids.start_date", "<=", today),
            ("plan_ids.end_date", ">=", today),
        ]
        in_warranty_today = [
            ("warranty_start_date", "<=", today),
            ("warranty_end_date", ">=", today),
        ]
        stale = self.search(
            expression.OR(
                [
                    [("coverage", "!=", "none"), ("coverage_end_date", "<", today)],
                    [
                        ("state", "=", "active"),
                        ("coverage", "!=", "plan"),
                        *running_plan_today,
                    ],
                    [
                        ("state", "=", "active"),
                        ("coverage", "=", "none"),
                        *in_warranty_today,
                    ],
                ]
            )
        )
        fields_to_compute = ("coverage", "coverage_end_date", "coverage_plan_id")
        for name in fields_to_compute:
            self.env.add_to_compute(self._fields[name], stale)
        stale.flush_recordset(list(fields_to_compute))
        return len(stale)

    @api.model
    def _open_upsell_opportunities(self):
        """Offer the product's default plan before an uncovered warranty ends:
        one opportunity per customer and plan, each asset offered once."""
        today = fields.Date.context_today(self)
        candidates = self.search(
            [
                ("state", "=", "active"),
                ("upsell_lead_id", "=", False),
                ("product_id.default_service_plan_id", "!=", False),
                ("warranty_end_date", ">=", today),
            ]
        )
        groups = {}
        for asset in candidates:
            template = asset.product_id.product_tmpl_id
            offer_from = asset.warranty_end_date - timedelta(
                days=template.renewal_lead_days
            )
            plan_ends = [
                plan.end_date
                for plan in asset.plan_ids
                if plan.state in RUNNING_PLAN_STATES and plan.end_date
            ]
            if offer_from > today or max(plan_ends, default=today) > today:
                continue
            key = (asset.commercial_partner_id, template.default_service_plan_id)
            groups.setdefault(key, []).append(asset.id)
        if not groups:
            return self.env["crm.lead"]
        leads = (
            self.env["crm.lead"]
            .with_context(mail_create_nolog=True)
            .create(
                [
                    {
                        "name": self.env._(
                            "%(plan)s for %(customer)s: warranty ending",
                            plan=plan_product.name,
                            customer=customer.name,
                        ),
                        "type": "opportunity",
                        "partner_id": customer.id,
                        "user_id": customer.user_id.id,
                        "expected_revenue": plan_product.lst_price * len(asset_ids),
                        "date_deadline": min(
                            self.browse(asset_ids).mapped("warranty_end_date")
                        ),
                    }
                    for (customer, plan_product), asset_ids in groups.items()
                ]
            )
        )
        for asset_ids, lead in zip(groups.values(), leads, strict=True):
            self.browse(asset_ids).upsell_lead_id = lead
        return leads
