from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import float_compare, float_is_zero

MATCH_STATES = [
    ("matched", "Matched"),
    ("unmatched", "No Product Found"),
    ("no_code", "No Product Code"),
]


class CrmExternalInvoiceLine(models.Model):
    _name = "crm.external.invoice.line"
    _description = "External Invoice Line"
    _order = "invoice_id, sequence, id"
    _rec_name = "description"
    _check_company_auto = True

    invoice_id = fields.Many2one(
        "crm.external.invoice",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    line_key = fields.Char(
        required=True,
        readonly=True,
        help="The line's key in its invoice, as the source gives it (or its "
        "position): a changed invoice updates the line of the same key.",
    )
    sequence = fields.Integer(default=10, readonly=True)
    product_code = fields.Char(readonly=True, index=True)
    barcode = fields.Char(readonly=True)
    description = fields.Char(readonly=True)
    quantity = fields.Float(readonly=True, digits="Product Unit of Measure")
    price_unit = fields.Monetary("Unit Price", readonly=True, aggregator=None)
    amount = fields.Monetary(
        readonly=True,
        aggregator=None,
        help="The line's amount before tax as the document states it, negative "
        "on a credit note whatever sign the source wrote.",
    )
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    partner_id = fields.Many2one(related="invoice_id.partner_id")
    kind = fields.Selection(related="invoice_id.kind")
    company_id = fields.Many2one(
        related="invoice_id.company_id", store=True, index=True
    )
    product_id = fields.Many2one(
        "product.product",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        help="The product whose internal reference or barcode is the line's "
        "product code or barcode.",
    )
    match_state = fields.Selection(MATCH_STATES, required=True, readonly=True)
    asset_ids = fields.One2many(
        "crm.customer.asset", "external_line_id", "Assets", readonly=True
    )

    _sql_constraints = [
        (
            "line_key_uniq",
            "unique(invoice_id, line_key)",
            "A line key is used once per external invoice.",
        )
    ]

    @property
    def _source_key(self):
        return f"{self._name}:{self.id}"

    @api.model
    def _match_products(self, company, codes, barcodes):
        """({code: product}, {barcode: product}): by internal reference, then
        by barcode (a code may be a barcode too), active products shared or
        of ``company``; the oldest product wins a tie."""
        Product = self.env["product.product"].with_company(company)
        wanted = set(codes) | set(barcodes)
        if not wanted:
            return {}, {}
        company_domain = [("company_id", "in", [False, company.id])]
        by_code, by_barcode = {}, {}
        for product in Product.search(
            [("default_code", "in", list(wanted)), *company_domain], order="id"
        ):
            by_code.setdefault(product.default_code, product)
        for product in Product.search(
            [("barcode", "in", list(wanted)), *company_domain], order="id"
        ):
            by_barcode.setdefault(product.barcode, product)
        return by_code, by_barcode

    @api.model
    def _product_for(self, values, by_code, by_barcode):
        """The product of a normalised line and its match state."""
        code, barcode = values["product_code"], values["barcode"]
        if not code and not barcode:
            return self.env["product.product"], "no_code"
        product = (
            (code and (by_code.get(code) or by_barcode.get(code)))
            or (barcode and (by_barcode.get(barcode) or by_code.get(barcode)))
            or self.env["product.product"]
        )
        return product, "matched" if product else "unmatched"

    # ------------------------------------------------------------
    # Assets and plans of the lines, as Odoo invoices make them
    # ------------------------------------------------------------

    def _sync_customer_assets(self):
        """Create, update or retire the assets of these lines so that they are
        what the lines say now; credit note lines return quantities, plan
        products start plans. Idempotent: the asset's source key is the line
        (and unit), a credit note line is counted once."""
        Asset = self.env["crm.customer.asset"].sudo().with_context(active_test=False)
        lines = self.exists()
        credit_lines = lines.filtered(lambda line: line.kind == "credit_note")
        sold = lines - credit_lines
        values_by_key, line_by_key = {}, {}
        for line in sold:
            invoice = line.invoice_id
            if (
                invoice.status == "cancelled"
                or not line.product_id.is_customer_asset
                or float_compare(line.quantity, 0.0, precision_digits=6) <= 0
            ):
                continue
            base = {
                "name": line.product_id.display_name,
                "partner_id": invoice.partner_id.id,
                "product_id": line.product_id.id,
                "price_unit": abs(line.price_unit),
                "currency_id": invoice.currency_id.id,
                "purchase_date": invoice.issued_on,
                "company_id": invoice.company_id.id,
                "source": "external",
                "external_line_id": line.id,
                "external_invoice_id": invoice.id,
            }
            for key, values in Asset._unit_values(
                line._source_key, base, line.product_id, line.quantity
            ).items():
                values_by_key[key] = values
                line_by_key[key] = line
        existing = Asset.search([("external_line_id", "in", sold.ids)])
        existing |= Asset.search([("source_key", "in", list(values_by_key))])
        created = Asset
        for asset in existing:
            values = values_by_key.pop(asset.source_key, None)
            if values is None:
                # the unit, the line or the invoice is gone: retired, kept
                if asset.state == "active":
                    asset.state = "retired"
                continue
            changes = {
                name: value
                for name, value in values.items()
                if name not in ("source_key", "source", "name")
                and asset._fields[name].convert_to_write(asset[name], asset) != value
            }
            if changes:
                asset.write(changes)
        if values_by_key:
            created = Asset.create(list(values_by_key.values()))
        credit_lines._return_customer_assets()
        plan_lines = sold.filtered(
            lambda line: line.invoice_id.status != "cancelled"
            and line.product_id.is_service_plan
            and line.quantity > 0
        )
        if plan_lines:
            plan_lines._start_service_plans()
        return created

    def _return_customer_assets(self):
        """A credit note line takes its quantity back from the assets of the
        invoice it names as origin, else from the customer's assets of the
        same product brought by the same source, the latest first; once."""
        Asset = self.env["crm.customer.asset"].sudo()
        lines = self.filtered(
            lambda line: line.product_id.is_customer_asset
            and line.invoice_id.status != "cancelled"
            and not float_is_zero(line.quantity, precision_digits=6)
        )
        if not lines:
            return
        counted = set(
            Asset.search(
                [("return_external_line_ids", "in", lines.ids)]
            ).return_external_line_ids.ids
        )
        lines = lines.filtered(lambda line: line.id not in counted)
        if not lines:
            return
        candidates = Asset.search(
            [
                ("source", "=", "external"),
                (
                    "external_line_id.invoice_id.job_id",
                    "in",
                    lines.invoice_id.job_id.ids,
                ),
                (
                    "commercial_partner_id",
                    "in",
                    lines.partner_id.commercial_partner_id.ids,
                ),
                ("product_id", "in", lines.product_id.ids),
                ("state", "=", "active"),
            ],
            order="purchase_date desc, id desc",
        )
        by_origin = defaultdict(list)
        for asset in candidates:
            invoice = asset.external_line_id.invoice_id
            by_origin[
                invoice.job_id.id, asset.commercial_partner_id.id, asset.product_id.id
            ].append(asset)
        for line in lines:
            invoice = line.invoice_id
            key = (
                invoice.job_id.id,
                invoice.partner_id.commercial_partner_id.id,
                line.product_id.id,
            )
            assets = by_origin[key]
            if invoice.origin_external_id:
                assets = [
                    asset
                    for asset in assets
                    if asset.external_line_id.invoice_id.external_id
                    == invoice.origin_external_id
                ]
            self.env["crm.customer.asset"]._mark_returned(
                assets, abs(line.quantity), "return_external_line_ids", line.id
            )

    def _start_service_plans(self):
        """A plan product's line starts the customer's plan or its next term,
        as an Odoo invoice line does; once per line."""
        self.env["crm.service.plan"].sudo()._create_from_specs(
            [
                {
                    "source_key": line._source_key,
                    "partner": line.invoice_id.partner_id.commercial_partner_id,
                    "product": line.product_id,
                    "quantity": line.quantity,
                    "price": abs(line.amount),
                    "currency": line.invoice_id.currency_id,
                    "company": line.invoice_id.company_id,
                    "date": line.invoice_id.issued_on,
                    "extra": {"external_line_id": line.id},
                }
                for line in self
            ]
        )
