import base64
import binascii
import hashlib
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from odoo import _, api, fields, models
from odoo.exceptions import UserError

EXTERNAL_KINDS = [
    ("invoice", "Invoice"),
    ("credit_note", "Credit Note"),
    ("receipt", "Receipt"),
]
EXTERNAL_STATUSES = [
    ("open", "Open"),
    ("partly_paid", "Partly Paid"),
    ("paid", "Paid"),
    ("cancelled", "Cancelled"),
]
AMOUNT_FIELDS = ("amount_untaxed", "amount_tax", "amount_total", "amount_due")
# the normalised row fields that make an invoice's content: a row whose hash
# over these did not change is not written again
CONTENT_FIELDS = (
    "number",
    "kind",
    "issued_on",
    "due_on",
    "currency",
    *AMOUNT_FIELDS,
    "status",
    "source_url",
    "pdf_sha1",
)


class _RowRejected(Exception):
    """A row that cannot be imported; its message names the field."""


class _DryRun(Exception):
    """Raised inside the page's savepoint to roll a dry run back."""


class CrmExternalInvoice(models.Model):
    _name = "crm.external.invoice"
    _description = "External Invoice"
    _order = "issued_on desc, id desc"
    _rec_name = "number"
    _check_company_auto = True

    job_id = fields.Many2one(
        "crm.sync.job",
        string="Source",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    external_id = fields.Char("External ID", required=True, readonly=True)
    number = fields.Char(readonly=True, index="trigram")
    kind = fields.Selection(EXTERNAL_KINDS, required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    issued_on = fields.Date(required=True, readonly=True, index=True)
    due_on = fields.Date(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    # amounts as the document states them, in its currency: credit notes
    # positive, as Odoo's own; summing them across documents would mix
    # currencies and signs, so they have no aggregate
    amount_untaxed = fields.Monetary("Untaxed", readonly=True, aggregator=None)
    amount_tax = fields.Monetary("Tax", readonly=True, aggregator=None)
    amount_total = fields.Monetary("Total", readonly=True, aggregator=None)
    amount_due = fields.Monetary(readonly=True, aggregator=None)
    amount_signed = fields.Monetary(
        "Total in Currency Signed",
        compute="_compute_amount_signed",
        store=True,
        aggregator=None,
        help="The total in the document's currency, negative for credit notes.",
    )
    amount_due_signed = fields.Monetary(
        "Amount Due in Currency Signed",
        compute="_compute_amount_signed",
        store=True,
        aggregator=None,
        help="What the customer owes by this document, in its currency: "
        "negative for a credit note still to be used, nothing for a receipt or "
        "a cancelled one.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_company_signed = fields.Monetary(
        "Total Signed",
        currency_field="company_currency_id",
        compute="_compute_amount_signed",
        store=True,
        help="The total in the company currency at the rate of the document "
        "date, negative for credit notes.",
    )
    amount_due_company_signed = fields.Monetary(
        "Amount Due Signed",
        currency_field="company_currency_id",
        compute="_compute_amount_signed",
        store=True,
        help="What the customer owes by this document, in the company currency "
        "at the rate of the document date.",
    )
    status = fields.Selection(
        EXTERNAL_STATUSES, required=True, readonly=True, index=True
    )
    is_overdue = fields.Boolean(
        compute="_compute_is_overdue", search="_search_is_overdue"
    )
    source_url = fields.Char("Link to Source", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True)
    last_synced_at = fields.Datetime(readonly=True)
    payload = fields.Text(
        readonly=True, help="The record as the source sent it, kept for audit."
    )
    content_hash = fields.Char(readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    line_ids = fields.One2many(
        "crm.external.invoice.line", "invoice_id", "Lines", readonly=True
    )
    origin_external_id = fields.Char(
        "Credited Invoice",
        readonly=True,
        help="For a credit note: the external id of the invoice it credits, "
        "when the source says so; its products are returned from that "
        "invoice's assets.",
    )
    asset_count = fields.Integer(compute="_compute_asset_count")

    _sql_constraints = [
        (
            "external_id_uniq",
            "unique(job_id, external_id, company_id)",
            "An external invoice is imported once per source and company.",
        )
    ]

    @api.depends(
        "kind",
        "status",
        "amount_total",
        "amount_due",
        "currency_id",
        "company_id",
        "issued_on",
    )
    def _compute_amount_signed(self):
        """Signed as account.move's ``amount_total_signed``: a credit note is
        negative whatever sign its source wrote; the company-currency amounts
        are converted at the document date, so a later rate changes nothing."""
        rates = {}
        for invoice in self:
            if invoice.kind == "credit_note":
                total, due = -abs(invoice.amount_total), -abs(invoice.amount_due)
            else:
                total, due = invoice.amount_total, invoice.amount_due
            owes = invoice.kind != "receipt" and invoice.status != "cancelled"
            invoice.amount_signed = total
            invoice.amount_due_signed = due if owes else 0.0
            currency, company = invoice.currency_id, invoice.company_id
            if not (currency and company):
                invoice.amount_company_signed = 0.0
                invoice.amount_due_company_signed = 0.0
                continue
            key = (currency, company, invoice.issued_on)
            if key not in rates:
                rates[key] = currency._get_conversion_rate(
                    currency, company.currency_id, company, invoice.issued_on
                )
            round_company = company.currency_id.round
            invoice.amount_company_signed = round_company(total * rates[key])
            invoice.amount_due_company_signed = (
                round_company(due * rates[key]) if owes else 0.0
            )

    def _compute_asset_count(self):
        counts = dict(
            self.env["crm.customer.asset"]
            .with_context(active_test=False)
            ._read_group(
                [("external_invoice_id", "in", self.ids)],
                ["external_invoice_id"],
                ["__count"],
            )
        )
        for invoice in self:
            invoice.asset_count = counts.get(invoice, 0)

    def action_view_assets(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_relationship.crm_customer_asset_action"
        )
        action["domain"] = [("external_invoice_id", "=", self.id)]
        action["context"] = {"active_test": False, "create": False}
        return action

    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for invoice in self:
            invoice.is_overdue = bool(
                invoice.status in ("open", "partly_paid")
                and invoice.due_on
                and invoice.due_on < today
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on Overdue."))
        overdue = [
            ("status", "in", ("open", "partly_paid")),
            ("due_on", "<", fields.Date.context_today(self)),
        ]
        if (operator == "=") == value:
            return overdue
        return ["!", "&", *overdue]

    def action_open_source(self):
        self.ensure_one()
        if not self.source_url:
            return False
        return {"type": "ir.actions.act_url", "url": self.source_url, "target": "new"}

    # ------------------------------------------------------------
    # Import of a page
    # ------------------------------------------------------------

    def _import_page(self, run, rows, bookmark_before, bookmark_after):
        """Apply one page of a source in one transaction, with its bookmark.

        Safe to repeat: when the job's bookmark is no longer
        ``bookmark_before`` the page was applied already, nothing is written.
        Rows that cannot be imported become sync issues; the others go on.
        A dry run's page is rolled back; only its counts stay on the run.
        """
        if not isinstance(rows, list):
            raise UserError(_("rows must be a list of invoice rows."))
        sync_job = run.job_id
        sync_job._lock()
        if run.dry_run:
            return self._import_dry_run_page(run, rows, bookmark_before)
        if (sync_job.bookmark or False) != (bookmark_before or False):
            return {
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "rejected": 0,
                "bookmark": sync_job.bookmark or False,
                "applied": False,
            }
        with self.env.cr.savepoint():
            counts = self._apply_rows(run, rows)
            sync_job.bookmark = bookmark_after or False
            run._add_counts({"read": len(rows), **counts})
            run.bookmark_after = bookmark_after or False
        return {**counts, "bookmark": bookmark_after or False, "applied": True}

    def _import_dry_run_page(self, run, rows, bookmark_before):
        """Count what the page would do, then roll it back; an invoice an
        earlier page of the same dry run counted (the same id in two files)
        is not counted as created again."""
        seen = run._dry_run_seen()
        counts = {}
        try:
            with self.env.cr.savepoint():
                counts = self._apply_rows(run, rows, dry_run_seen=seen)
                raise _DryRun
        except _DryRun:
            self.env.invalidate_all()
        run._set_dry_run_seen(seen)
        run._add_counts({"read": len(rows), **counts})
        return {**counts, "bookmark": bookmark_before or False, "applied": False}

    def _apply_rows(self, run, rows, dry_run_seen=None):
        """Write the page's invoices; ``dry_run_seen`` ({external id: content
        hash}, updated here) holds what earlier pages of a dry run counted,
        which counts instead of the invoices they did not write."""
        job = run.job_id
        counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        normalised, issues = [], []
        for index, row in enumerate(rows):
            key = _row_key(row)
            try:
                normalised.append(self._normalise_row(row, index))
            except _RowRejected as rejection:
                issues.append((key, str(rejection), row))
        # the last row of an external id wins within a page
        by_id = {values["external_id"]: values for values in normalised}
        partners = self._match_customers(job, list(by_id.values()))
        existing = {
            invoice.external_id: invoice
            for invoice in self.search(
                [
                    ("job_id", "=", job.id),
                    ("company_id", "=", job.company_id.id),
                    ("external_id", "in", list(by_id)),
                ]
            )
        }
        currencies = self._currencies({values["currency"] for values in by_id.values()})
        now = fields.Datetime.now()
        to_create, applied_ids, written = [], [], []
        for external_id, values in by_id.items():
            partner = partners.get(external_id)
            currency = currencies.get(values["currency"])
            if not partner:
                issues.append(
                    (
                        external_id,
                        _("customer: no customer matches %s", values["customer_label"]),
                        values["payload"],
                    )
                )
                continue
            if not currency:
                issues.append(
                    (
                        external_id,
                        _(
                            "currency: unknown or inactive currency %r",
                            values["currency"],
                        ),
                        values["payload"],
                    )
                )
                continue
            applied_ids.append(external_id)
            if dry_run_seen is not None:
                # a prefix of the hash: the run keeps one per invoice
                digest = values["content_hash"][:16]
                seen_digest = dry_run_seen.get(external_id)
                dry_run_seen[external_id] = digest
                if seen_digest:
                    counts["unchanged" if seen_digest == digest else "updated"] += 1
                    continue
            invoice = existing.get(external_id)
            if (
                invoice
                and invoice.content_hash == values["content_hash"]
                and invoice.partner_id == partner
                # a retried invoice whose lines matched no product is matched
                # again (the product may exist now)
                and not (
                    values["retry"]
                    and "unmatched" in invoice.line_ids.mapped("match_state")
                )
            ):
                counts["unchanged"] += 1
                continue
            record_values = self._record_values(values, partner, currency, job, now)
            if invoice:
                invoice.write(record_values)
                written.append(invoice)
                counts["updated"] += 1
            else:
                to_create.append(record_values)
                counts["created"] += 1
        created = self.create(to_create)
        line_issues = self._write_lines(
            job, self.browse([invoice.id for invoice in written]) | created, by_id
        )
        applied = set(applied_ids)
        self._store_pdfs(
            created
            | self.browse([i.id for key, i in existing.items() if key in applied]),
            by_id,
        )
        counts["rejected"] = len(issues)
        Issue = self.env["crm.sync.issue"]
        retried = {
            _row_key(row) or "": row["retry_issue_id"]
            for row in rows
            if isinstance(row, dict) and isinstance(row.get("retry_issue_id"), int)
        }
        retried_issues = (
            Issue.browse(list(retried.values()))
            .exists()
            .filtered(lambda issue: issue.job_id == job)
        )
        by_issue_id = {issue.id: issue for issue in retried_issues}
        Issue._record_many(
            job,
            run,
            [
                (key, reason, payload, by_issue_id.get(retried.get(str(key or ""))))
                for key, reason, payload in issues
            ],
        )
        rejected_keys = {
            str(key or "") for key, _reason, _payload in [*issues, *line_issues]
        }
        # a rejected record that went through at last is resolved
        retried_issues.filtered(
            lambda issue: (issue.record_key or "") not in rejected_keys
        ).write({"state": "resolved"})
        Issue.search(
            [
                ("job_id", "=", job.id),
                ("state", "in", ("new", "queued")),
                ("record_key", "in", applied_ids),
            ]
        ).write({"state": "resolved"})
        # lines whose product code matches nothing: one open issue per line,
        # updated (not repeated) when the invoice comes again
        Issue._record_many(job, run, [(*issue, None) for issue in line_issues])
        return counts

    def _write_lines(self, job, invoices, by_id):
        """Create, update or delete the lines of the written ``invoices`` to
        what their rows say (a row without ``lines`` leaves them), then bring
        their assets and plans in line. Returns the issues of lines whose
        product code matches nothing, as ``(key, reason, payload)``."""
        Line = self.env["crm.external.invoice.line"]
        brought = [
            invoice
            for invoice in invoices
            if by_id[invoice.external_id].get("lines") is not None
        ]
        codes, barcodes = set(), set()
        for invoice in brought:
            for line in by_id[invoice.external_id]["lines"]:
                codes.update(filter(None, [line["product_code"]]))
                barcodes.update(filter(None, [line["barcode"]]))
        by_code, by_barcode = Line._match_products(job.company_id, codes, barcodes)
        to_create, gone_ids = [], []
        for invoice in brought:
            old = {line.line_key: line for line in invoice.line_ids}
            for values in by_id[invoice.external_id]["lines"]:
                product, match_state = Line._product_for(values, by_code, by_barcode)
                line_values = {
                    "line_key": values["key"],
                    "sequence": values["sequence"],
                    "product_code": values["product_code"],
                    "barcode": values["barcode"],
                    "description": values["description"],
                    "quantity": float(values["quantity"]),
                    "price_unit": float(values["price_unit"]),
                    "amount": float(values["amount"]),
                    "product_id": product.id,
                    "match_state": match_state,
                }
                line = old.pop(values["key"], None)
                if not line:
                    to_create.append({**line_values, "invoice_id": invoice.id})
                    continue
                changes = {
                    name: value
                    for name, value in line_values.items()
                    if line._fields[name].convert_to_write(line[name], line) != value
                }
                if changes:
                    line.write(changes)
            gone_ids.extend(line.id for line in old.values())
        gone = Line.browse(gone_ids)
        if gone:
            # their assets are retired, kept; their plans stay
            self.env["crm.customer.asset"].sudo().search(
                [("external_line_id", "in", gone.ids), ("state", "=", "active")]
            ).state = "retired"
            gone.unlink()
        Line.create(to_create)
        invoices.line_ids._sync_customer_assets()
        issues = []
        for line in invoices.line_ids.filtered(
            lambda line: line.match_state == "unmatched"
        ):
            invoice = line.invoice_id
            issues.append(
                (
                    f"ext:{invoice.external_id}:{line.line_key}",
                    _(
                        "invoice %(invoice)s, line %(line)s: product code "
                        "%(code)s matches no product (internal reference or "
                        "barcode); the line is kept without a product",
                        invoice=invoice.number,
                        line=line.line_key,
                        code=line.product_code or line.barcode,
                    ),
                    by_id[invoice.external_id]["payload"],
                )
            )
        # the lines that match now (a product created since) are resolved
        unmatched_keys = [key for key, _reason, _payload in issues]
        matched_keys = [
            f"ext:{line.invoice_id.external_id}:{line.line_key}"
            for line in invoices.line_ids
            if line.match_state != "unmatched"
        ]
        if matched_keys:
            self.env["crm.sync.issue"].search(
                [
                    ("job_id", "=", job.id),
                    ("state", "in", ("new", "queued")),
                    ("record_key", "in", matched_keys),
                    ("record_key", "not in", unmatched_keys),
                ]
            ).write({"state": "resolved"})
        return issues

    def _normalise_row(self, row, index):
        """The row's values, checked; raises _RowRejected naming the field."""
        if not isinstance(row, dict):
            raise _RowRejected(_("row %s: not a record", index + 1))
        if row.get("reject_reason"):
            raise _RowRejected(str(row["reject_reason"]))
        external_id = row.get("external_id")
        if not external_id or not isinstance(external_id, str | int):
            raise _RowRejected(_("external_id: missing"))
        values = {"external_id": str(external_id).strip()}
        values["number"] = str(row.get("number") or "").strip() or values["external_id"]
        kind = row.get("kind")
        if kind not in dict(EXTERNAL_KINDS):
            raise _RowRejected(
                _("kind: %r is not invoice, credit_note or receipt", kind)
            )
        values["kind"] = kind
        status = row.get("status")
        if status not in dict(EXTERNAL_STATUSES):
            raise _RowRejected(
                _("status: %r is not open, partly_paid, paid or cancelled", status)
            )
        values["status"] = status
        for field_name, required in (("issued_on", True), ("due_on", False)):
            raw = row.get(field_name)
            if not raw:
                if required:
                    raise _RowRejected(_("%s: missing", field_name))
                values[field_name] = None
                continue
            try:
                values[field_name] = date.fromisoformat(str(raw)[:10]).isoformat()
            except ValueError:
                raise _RowRejected(
                    _(
                        "%(field)s: %(value)r is not a date (YYYY-MM-DD)",
                        field=field_name,
                        value=raw,
                    )
                ) from None
        for field_name in AMOUNT_FIELDS:
            raw = row.get(field_name)
            if raw in (None, "") and field_name != "amount_total":
                values[field_name] = None
                continue
            try:
                amount = Decimal(str(raw).replace(",", "").strip())
            except (InvalidOperation, ValueError):
                raise _RowRejected(
                    _(
                        "%(field)s: %(value)r is not an amount",
                        field=field_name,
                        value=raw,
                    )
                ) from None
            if not amount.is_finite() or abs(amount) >= Decimal("1e13"):
                raise _RowRejected(
                    _(
                        "%(field)s: %(value)r is out of range",
                        field=field_name,
                        value=raw,
                    )
                )
            values[field_name] = str(amount)
        values["currency"] = str(row.get("currency") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", values["currency"]):
            raise _RowRejected(
                _("currency: %r is not an ISO code", row.get("currency"))
            )
        values["source_url"] = row.get("source_url") or None
        pdf = row.get("pdf_base64")
        values["pdf"] = None
        values["pdf_sha1"] = None
        if pdf:
            try:
                values["pdf"] = base64.b64decode(pdf, validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise _RowRejected(_("pdf_base64: not valid base64")) from None
            values["pdf_sha1"] = hashlib.sha1(values["pdf"]).hexdigest()
            values["pdf_name"] = row.get("pdf_name") or f"{values['number']}.pdf"
        customer = row.get("customer") or {}
        if not isinstance(customer, dict):
            raise _RowRejected(_("customer: not a record"))
        values["customer"] = {
            "external_id": str(customer.get("external_id") or "").strip() or None,
            "vat": _clean_vat(customer.get("vat")),
            "email": str(customer.get("email") or "").strip().lower() or None,
        }
        values["customer_label"] = (
            customer.get("name")
            or customer.get("external_id")
            or customer.get("vat")
            or customer.get("email")
            or _("(no customer data)")
        )
        values["payload"] = row.get("payload", row)
        values["origin"] = str(row.get("origin") or "").strip() or None
        values["retry"] = bool(row.get("retry_issue_id"))
        values["lines"] = None
        if row.get("lines") is not None:
            values["lines"] = self._normalise_lines(row["lines"], values)
        if kind == "credit_note":
            # stored positive as Odoo's credit notes: the kind gives the sign,
            # whichever sign the source wrote
            for field_name in AMOUNT_FIELDS:
                if values[field_name] is not None:
                    values[field_name] = str(abs(Decimal(values[field_name])))
        content = {name: values.get(name) for name in CONTENT_FIELDS}
        # lines and origin count only when the source brings them: an
        # invoice of a source without them keeps its hash
        if values["lines"] is not None:
            content["lines"] = values["lines"]
        if values["origin"]:
            content["origin"] = values["origin"]
        values["content_hash"] = hashlib.sha256(
            json.dumps(content, sort_keys=True).encode()
        ).hexdigest()
        return values

    def _normalise_lines(self, lines, values):
        """The invoice's lines, checked: each error names the invoice, the
        line and the field. Amounts as text, signed like the invoice (a
        credit note's negative, its quantities positive)."""
        invoice = values["number"]
        if not isinstance(lines, list):
            raise _RowRejected(_("invoice %s: lines: not a list", invoice))
        credit = values["kind"] == "credit_note"
        normalised, keys = [], set()
        for index, line in enumerate(lines, start=1):
            if not isinstance(line, dict):
                raise _RowRejected(
                    _(
                        "invoice %(invoice)s, line %(line)s: not a record",
                        invoice=invoice,
                        line=index,
                    )
                )

            def reject(field_name, message, line=index):
                return _RowRejected(
                    _(
                        "invoice %(invoice)s, line %(line)s: %(field)s: %(message)s",
                        invoice=invoice,
                        line=line,
                        field=field_name,
                        message=message,
                    )
                )

            key = line.get("key")
            if key is None or key == "":
                key = index
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise reject("key", _("%r is not a line key", key))
            key = str(key).strip()
            if key in keys:
                raise reject("key", _("%r is used by another line", key))
            keys.add(key)
            sequence = line.get("sequence", index)
            try:
                sequence = int(sequence if sequence not in (None, "") else index)
            except (TypeError, ValueError):
                raise reject(
                    "sequence", _("%r is not a whole number", sequence)
                ) from None
            texts = {}
            for field_name in ("product_code", "barcode", "description"):
                raw = line.get(field_name)
                if raw is not None and not isinstance(raw, str | int | float):
                    raise reject(field_name, _("%r is not a text", raw))
                texts[field_name] = str(raw).strip() if raw is not None else ""
            numbers = {}
            for field_name in ("quantity", "price_unit", "amount"):
                raw = line.get(field_name)
                if raw in (None, ""):
                    numbers[field_name] = None
                    continue
                try:
                    number = Decimal(str(raw).replace(",", "").strip())
                except (InvalidOperation, ValueError):
                    raise reject(field_name, _("%r is not a number", raw)) from None
                if not number.is_finite() or abs(number) >= Decimal("1e13"):
                    raise reject(field_name, _("%r is out of range", raw))
                numbers[field_name] = number
            quantity = numbers["quantity"]
            if quantity is None:
                quantity = Decimal(1)
            price = numbers["price_unit"]
            amount = numbers["amount"]
            if price is None and amount is None:
                raise reject("price_unit", _("missing (and no amount)"))
            if price is None:
                price = amount / quantity if quantity else Decimal(0)
            if amount is None:
                amount = quantity * price
            if credit:
                quantity, price, amount = abs(quantity), abs(price), -abs(amount)
            normalised.append(
                {
                    "key": key,
                    "sequence": sequence,
                    "product_code": texts["product_code"] or None,
                    "barcode": texts["barcode"] or None,
                    "description": texts["description"] or None,
                    "quantity": str(quantity.normalize()),
                    "price_unit": str(price.normalize()),
                    "amount": str(amount.normalize()),
                }
            )
        return normalised

    def _match_customers(self, job, rows):
        """{external id of the invoice: commercial partner}: by the customer's
        external id known for this job, then tax id, then email."""
        Ref = self.env["crm.sync.customer.ref"]
        customer_ids = {
            r["customer"]["external_id"] for r in rows if r["customer"]["external_id"]
        }
        refs = {
            ref.external_id: ref
            for ref in Ref.search(
                [("job_id", "=", job.id), ("external_id", "in", list(customer_ids))]
            )
        }
        # a customer archived since is matched again by tax id or email
        known = {
            external_id: ref.partner_id
            for external_id, ref in refs.items()
            if ref.partner_id.active
        }
        vats = {r["customer"]["vat"] for r in rows if r["customer"]["vat"]}
        by_vat = {}
        if vats:
            variants = vats | {vat[2:] for vat in vats if re.match(r"^[A-Z]{2}\d", vat)}
            self.env.cr.execute(
                """SELECT cleaned, commercial_partner_id
                     FROM (SELECT regexp_replace(upper(p.vat), '[^A-Z0-9]', '', 'g')
                                      AS cleaned, p.commercial_partner_id, p.id
                             FROM res_partner p
                             JOIN res_partner c ON c.id = p.commercial_partner_id
                            WHERE p.active AND c.active AND p.vat IS NOT NULL
                              AND (p.company_id IS NULL OR p.company_id = %s)) p
                    WHERE cleaned IN %s
                       OR (cleaned ~ '^[A-Z]{2}[0-9]' AND substr(cleaned, 3) IN %s)
                    ORDER BY id""",
                [job.company_id.id, tuple(variants), tuple(variants)],
            )
            for vat, partner_id in self.env.cr.fetchall():
                by_vat.setdefault(vat, partner_id)
                if re.match(r"^[A-Z]{2}\d", vat):
                    by_vat.setdefault(vat[2:], partner_id)
        emails = {r["customer"]["email"] for r in rows if r["customer"]["email"]}
        by_email = {}
        if emails:
            for partner in self.env["res.partner"].search(
                [
                    ("email_normalized", "in", list(emails)),
                    ("company_id", "in", [False, job.company_id.id]),
                ],
                order="id",
            ):
                if partner.commercial_partner_id.active:
                    by_email.setdefault(
                        partner.email_normalized, partner.commercial_partner_id.id
                    )
        Partner = self.env["res.partner"]
        matched, new_refs = {}, {}
        for row in rows:
            customer = row["customer"]
            partner = known.get(customer["external_id"])
            if not partner:
                vat = customer["vat"]
                partner_id = vat and (
                    by_vat.get(vat)
                    or (re.match(r"^[A-Z]{2}\d", vat) and by_vat.get(vat[2:]))
                )
                partner_id = partner_id or by_email.get(customer["email"])
                partner = Partner.browse(partner_id) if partner_id else Partner
                if partner and customer["external_id"]:
                    new_refs[customer["external_id"]] = partner.id
            if partner:
                matched[row["external_id"]] = partner
        for external_id, partner_id in new_refs.items():
            if external_id in refs:
                refs[external_id].partner_id = partner_id
        Ref.create(
            [
                {"job_id": job.id, "external_id": external_id, "partner_id": partner_id}
                for external_id, partner_id in new_refs.items()
                if external_id not in refs
            ]
        )
        return matched

    def _currencies(self, codes):
        currencies = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list(codes))])
        )
        return {currency.name: currency for currency in currencies}

    def _record_values(self, values, partner, currency, job, now):
        return {
            "job_id": job.id,
            "external_id": values["external_id"],
            "number": values["number"],
            "kind": values["kind"],
            "partner_id": partner.id,
            "issued_on": values["issued_on"],
            "due_on": values["due_on"],
            "currency_id": currency.id,
            **{name: float(values[name] or 0.0) for name in AMOUNT_FIELDS},
            "status": values["status"],
            "source_url": values["source_url"],
            "last_synced_at": now,
            "payload": json.dumps(values["payload"], ensure_ascii=False, default=str),
            "content_hash": values["content_hash"],
            "company_id": job.company_id.id,
            "origin_external_id": values["origin"],
        }

    def _store_pdfs(self, invoices, by_id):
        for invoice in invoices:
            values = by_id.get(invoice.external_id)
            if not values or not values.get("pdf"):
                continue
            if (
                invoice.attachment_id
                and invoice.attachment_id.checksum == values["pdf_sha1"]
            ):
                continue
            # the new PDF replaces the old one, it is not left behind
            replaced = invoice.attachment_id
            attachment = self.env["ir.attachment"].create(
                {
                    "name": values["pdf_name"],
                    "raw": values["pdf"],
                    "res_model": self._name,
                    "res_id": invoice.id,
                    "mimetype": "application/pdf",
                }
            )
            invoice.attachment_id = attachment
            replaced.unlink()


def _row_key(row):
    """The key of a row's sync issue: its invoice id or, for a row without
    one, the ``record_key`` the service gives it (file digest and line)."""
    if not isinstance(row, dict):
        return None
    key = row.get("external_id") or row.get("record_key")
    if isinstance(key, bool) or not isinstance(key, str | int):
        return None
    return str(key).strip() or None


def _clean_vat(vat):
    cleaned = re.sub(r"[^A-Z0-9]", "", str(vat or "").upper())
    return cleaned or None
