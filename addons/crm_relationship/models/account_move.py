from collections import defaultdict

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # The customer history reads invoices by customer: keep that lookup indexed.
    commercial_partner_id = fields.Many2one(index=True)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._sync_customer_assets()
        return posted

    def button_cancel(self):
        result = super().button_cancel()
        cancelled = self.filtered(lambda move: move.state == "cancel")
        if cancelled:
            self.env["crm.customer.asset"].sudo().search(
                [("move_id", "in", cancelled.ids), ("state", "=", "active")]
            ).state = "retired"
        return result

    def _sync_customer_assets(self):
        """Assets of posted customer invoices, returns of their credit notes.

        Idempotent: an asset is keyed by its invoice line (and unit), a credit
        note line is counted once; posting again changes nothing.
        """
        customer_moves = self.filtered(lambda m: m.state == "posted")
        invoices = customer_moves.filtered(
            lambda m: m.move_type in ("out_invoice", "out_receipt")
        )
        refunds = customer_moves.filtered(lambda m: m.move_type == "out_refund")
        if invoices:
            invoices._create_customer_assets()
            plan_lines = invoices.line_ids.filtered(
                lambda line: line.display_type == "product"
                and line.product_id.is_service_plan
                and line.quantity > 0
            )
            if plan_lines:
                self.env["crm.service.plan"].sudo()._create_from_invoice_lines(
                    plan_lines
                )
        if refunds:
            refunds._return_customer_assets()

    def _asset_lines(self):
        return self.line_ids.filtered(
            lambda line: line.display_type == "product"
            and line.product_id.is_customer_asset
            and line.quantity > 0
        )

    def _create_customer_assets(self):
        Asset = self.env["crm.customer.asset"].sudo().with_context(active_test=False)
        values_by_key = {}
        for line in self._asset_lines():
            move = line.move_id
            base = {
                "name": line.product_id.display_name,
                "partner_id": (move.partner_shipping_id or move.partner_id).id,
                "product_id": line.product_id.id,
                "price_unit": line.price_unit,
                "currency_id": line.currency_id.id,
                "purchase_date": move.invoice_date or move.date,
                "company_id": move.company_id.id,
                "source": "invoice",
                "move_line_id": line.id,
            }
            values_by_key.update(
                Asset._unit_values(
                    f"account.move.line:{line.id}",
                    base,
                    line.product_id,
                    line.quantity,
                )
            )
        if not values_by_key:
            return Asset
        existing = Asset.search_fetch(
            [("source_key", "in", list(values_by_key))], ["source_key"]
        )
        for key in existing.mapped("source_key"):
            values_by_key.pop(key)
        return Asset.create(list(values_by_key.values()))

    def _return_customer_assets(self):
        """Mark returned the quantity a credit note takes back from an invoice."""
        Asset = self.env["crm.customer.asset"].sudo()
        refund_lines = self.filtered("reversed_entry_id")._asset_lines()
        if not refund_lines:
            return
        already_returned = Asset.search([("return_line_ids", "in", refund_lines.ids)])
        counted = set(already_returned.return_line_ids.ids)
        refund_lines = refund_lines.filtered(lambda line: line.id not in counted)
        assets = Asset.search(
            [
                ("move_id", "in", refund_lines.move_id.reversed_entry_id.ids),
                ("state", "=", "active"),
            ],
            order="id",
        )
        assets_by_origin = defaultdict(list)
        for asset in assets:
            assets_by_origin[asset.move_id.id, asset.product_id.id].append(asset)
        for line in refund_lines:
            origin = (line.move_id.reversed_entry_id.id, line.product_id.id)
            self.env["crm.customer.asset"]._mark_returned(
                assets_by_origin[origin], line.quantity, "return_line_ids", line.id
            )
