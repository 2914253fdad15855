from collections import namedtuple

from odoo import SUPERUSER_ID, _, api, fields, models, tools
from odoo.exceptions import UserError

from odoo.addons.account.models.account_move import PAYMENT_STATE_SELECTION

from ..models.crm_interaction import CHANNELS, DIRECTIONS, OUTCOMES

TimelineSource = namedtuple("TimelineSource", ["slot", "table", "columns", "where"])
TimelineSource.__doc__ = """One kind of row in the customer history.

slot: a number from 0 to 15 that no other source uses; the row id is
    ``<table alias>.id * 16 + slot``, so ids stay stable and unique.
table: the FROM clause; the main table must be aliased ``src``.
columns: {history column: SQL expression}; columns left out are NULL.
where: the SQL condition selecting the rows.
"""

SLOTS = 16
HISTORY_COLUMNS = {
    # column: SQL type, so that NULLs of left-out columns unite cleanly
    "kind": "varchar",
    "date": "timestamp",
    "partner_id": "integer",
    "contact_id": "integer",
    "title": "varchar",
    "has_time": "boolean",
    "amount": "numeric",
    "currency_id": "integer",
    "amount_company_signed": "numeric",
    "user_id": "integer",
    "company_id": "integer",
    "res_model": "varchar",
    "res_id": "integer",
    "channel": "varchar",
    "direction": "varchar",
    "outcome": "varchar",
    "payment_state": "varchar",
    "is_financial": "boolean",
}


class CrmCustomerTimeline(models.Model):
    _name = "crm.customer.timeline"
    _description = "Customer History"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "title"
    # what the view reads: flushed before every search on it
    _depends = {
        "crm.interaction": [
            "date",
            "commercial_partner_id",
            "contact_id",
            "name",
            "user_id",
            "company_id",
            "channel",
            "direction",
            "outcome",
        ],
        "account.move": [
            "move_type",
            "invoice_date",
            "commercial_partner_id",
            "partner_id",
            "name",
            "amount_total_signed",
            "amount_total_in_currency_signed",
            "currency_id",
            "invoice_user_id",
            "company_id",
            "payment_state",
            "state",
        ],
        "crm.external.invoice": [
            "kind",
            "issued_on",
            "partner_id",
            "number",
            "amount_signed",
            "amount_company_signed",
            "currency_id",
            "company_id",
            "status",
        ],
        "crm.service.ticket": [
            "opened_at",
            "first_response_at",
            "closed_at",
            "commercial_partner_id",
            "contact_id",
            "number",
            "name",
            "user_id",
            "company_id",
            "active",
        ],
        "res.company": ["currency_id"],
        "crm.customer.document": [
            "issued_on",
            "valid_until",
            "commercial_partner_id",
            "contact_id",
            "name",
            "type_id",
            "state",
            "user_id",
            "company_id",
            "amount",
            "currency_id",
        ],
        "crm.customer.document.type": ["name"],
        "crm.service.plan": [
            "start_date",
            "end_date",
            "partner_id",
            "name",
            "price",
            "currency_id",
            "user_id",
            "company_id",
            "state",
        ],
        "crm.customer.asset": [
            "purchase_date",
            "warranty_end_date",
            "commercial_partner_id",
            "partner_id",
            "name",
            "serial_number",
            "price_unit",
            "quantity",
            "currency_id",
            "company_id",
            "state",
            "active",
        ],
    }

    kind = fields.Selection(
        [
            # short words: they are badges of a narrow list column
            ("interaction", "Interaction"),
            ("invoice", "Invoice"),
            ("credit_note", "Credit Note"),
            ("receipt", "Receipt"),
            ("ticket", "Ticket"),
            ("ticket_response", "Answered"),
            ("ticket_closed", "Closed"),
            ("external_invoice", "Ext. Invoice"),
            ("external_credit_note", "Ext. Credit Note"),
            ("external_receipt", "Ext. Receipt"),
            ("document", "Document"),
            ("document_expires", "Doc. Expires"),
            ("document_expired", "Doc. Expired"),
            ("asset_purchased", "Asset Bought"),
            ("warranty_end", "Warranty Ends"),
            ("plan_started", "Plan Started"),
            ("plan_renewed", "Plan Renewed"),
            ("plan_expired", "Plan Expired"),
        ],
        readonly=True,
    )
    date = fields.Datetime(readonly=True)
    has_time = fields.Boolean(
        readonly=True,
        help="The row happened at a time of day; invoices have a date only.",
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    contact_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    title = fields.Char(readonly=True)
    amount = fields.Monetary(
        "Amount in Currency",
        readonly=True,
        currency_field="currency_id",
        aggregator=None,
        help="In the document's currency, negative for credit notes.",
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount_company_signed = fields.Monetary(
        "Amount",
        readonly=True,
        currency_field="company_currency_id",
        help="In the company currency at the rate of the document date, "
        "negative for credit notes: what the totals add up.",
    )
    company_currency_id = fields.Many2one(
        "res.currency", string="Company Currency", readonly=True
    )
    user_id = fields.Many2one("res.users", string="User", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    res_model = fields.Char("Source Model", readonly=True)
    res_id = fields.Many2oneReference(
        "Source Record ID", model_field="res_model", readonly=True
    )
    channel = fields.Selection(CHANNELS, readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    payment_state = fields.Selection(
        PAYMENT_STATE_SELECTION, string="Payment Status", readonly=True
    )
    is_financial = fields.Boolean("Financial", readonly=True)
    is_hidden_document = fields.Boolean(
        compute="_compute_is_hidden_document",
        search="_search_is_hidden_document",
        help="A row of a confidential document the user may not read.",
    )

    def _timeline_sources(self):
        """The registry of history rows: extend it to add a kind of row.

        A capability adds its rows by returning ``super()._timeline_sources()``
        plus its own :class:`TimelineSource` (and its kind in ``kind``).
        """
        return [
            TimelineSource(
                slot=0,
                table="crm_interaction src",
                columns={
                    "kind": "'interaction'",
                    "date": "src.date",
                    "has_time": "TRUE",
                    "partner_id": "src.commercial_partner_id",
                    "contact_id": "src.contact_id",
                    "title": "src.name",
                    "user_id": "src.user_id",
                    "company_id": "src.company_id",
                    "res_model": "'crm.interaction'",
                    "res_id": "src.id",
                    "channel": "src.channel",
                    "direction": "src.direction",
                    "outcome": "src.outcome",
                    "is_financial": "FALSE",
                },
                where="TRUE",
            ),
            TimelineSource(
                slot=1,
                table="account_move src",
                columns={
                    "kind": """CASE src.move_type
                        WHEN 'out_refund' THEN 'credit_note'
                        WHEN 'out_receipt' THEN 'receipt'
                        ELSE 'invoice' END""",
                    # Noon keeps the invoice on its own day in every time zone.
                    "date": "src.invoice_date + interval '12 hours'",
                    "has_time": "FALSE",
                    "partner_id": "src.commercial_partner_id",
                    "contact_id": "src.partner_id",
                    "title": "src.name",
                    "amount": "src.amount_total_in_currency_signed",
                    "currency_id": "src.currency_id",
                    "amount_company_signed": "src.amount_total_signed",
                    "user_id": "src.invoice_user_id",
                    "company_id": "src.company_id",
                    "res_model": "'account.move'",
                    "res_id": "src.id",
                    "payment_state": "src.payment_state",
                    "is_financial": "TRUE",
                },
                where="""src.state = 'posted' AND src.move_type
                    IN ('out_invoice', 'out_refund', 'out_receipt')""",
            ),
            *(
                TimelineSource(
                    slot=slot,
                    table="crm_service_ticket src",
                    columns={
                        "kind": f"'{kind}'",
                        "date": date_column,
                        "has_time": "TRUE",
                        "partner_id": "src.commercial_partner_id",
                        "contact_id": "src.contact_id",
                        "title": "src.number || ' ' || src.name",
                        "user_id": "src.user_id",
                        "company_id": "src.company_id",
                        "res_model": "'crm.service.ticket'",
                        "res_id": "src.id",
                        "is_financial": "FALSE",
                    },
                    where=f"src.active AND {date_column} IS NOT NULL",
                )
                for slot, kind, date_column in (
                    (2, "ticket", "src.opened_at"),
                    (3, "ticket_response", "src.first_response_at"),
                    (4, "ticket_closed", "src.closed_at"),
                )
            ),
            TimelineSource(
                slot=8,
                table="crm_external_invoice src",
                columns={
                    "kind": "'external_' || src.kind",
                    "date": "src.issued_on + interval '12 hours'",
                    "has_time": "FALSE",
                    "partner_id": "src.partner_id",
                    "title": "src.number",
                    "amount": "src.amount_signed",
                    "currency_id": "src.currency_id",
                    "amount_company_signed": "src.amount_company_signed",
                    "company_id": "src.company_id",
                    "res_model": "'crm.external.invoice'",
                    "res_id": "src.id",
                    "payment_state": """CASE src.status
                        WHEN 'open' THEN 'not_paid'
                        WHEN 'partly_paid' THEN 'partial'
                        WHEN 'paid' THEN 'paid' END""",
                    "is_financial": "TRUE",
                },
                where="src.status != 'cancelled'",
            ),
            *(
                TimelineSource(
                    slot=slot,
                    table="crm_customer_document src JOIN "
                    "crm_customer_document_type doc_type ON doc_type.id = src.type_id",
                    columns={
                        "kind": kind,
                        "date": f"{date_column} + interval '12 hours'",
                        "has_time": "FALSE",
                        "partner_id": "src.commercial_partner_id",
                        "contact_id": "src.contact_id",
                        # the kind tells added / expires / expired
                        "title": "(doc_type.name->>'en_US') || ': ' || src.name",
                        "amount": "NULLIF(src.amount, 0)",
                        "currency_id": "CASE WHEN src.amount != 0 "
                        "THEN src.currency_id END",
                        "user_id": "src.user_id",
                        "company_id": "src.company_id",
                        "res_model": "'crm.customer.document'",
                        "res_id": "src.id",
                        "is_financial": "FALSE",
                    },
                    where=f"src.commercial_partner_id IS NOT NULL "
                    f"AND {date_column} IS NOT NULL "
                    "AND src.state NOT IN ('draft', 'cancelled')",
                )
                for slot, kind, date_column in (
                    (14, "'document'", "src.issued_on"),
                    (
                        15,
                        "CASE WHEN src.valid_until < CURRENT_DATE "
                        "THEN 'document_expired' ELSE 'document_expires' END",
                        "src.valid_until",
                    ),
                )
            ),
            *(
                TimelineSource(
                    slot=slot,
                    table="crm_customer_asset src",
                    columns={
                        "kind": f"'{kind}'",
                        "date": f"{date_column} + interval '12 hours'",
                        "has_time": "FALSE",
                        "partner_id": "src.commercial_partner_id",
                        "contact_id": "src.partner_id",
                        "title": """src.name || COALESCE(' (' || src.serial_number
                            || ')', '')""",
                        "amount": amount,
                        "currency_id": "src.currency_id",
                        "company_id": "src.company_id",
                        "res_model": "'crm.customer.asset'",
                        "res_id": "src.id",
                        "is_financial": "FALSE",
                    },
                    where=f"src.active AND {date_column} IS NOT NULL{condition}",
                )
                for slot, kind, date_column, amount, condition in (
                    (
                        10,
                        "asset_purchased",
                        "src.purchase_date",
                        "src.price_unit * src.quantity",
                        "",
                    ),
                    (
                        11,
                        "warranty_end",
                        "src.warranty_end_date",
                        "NULL",
                        " AND src.state = 'active'",
                    ),
                )
            ),
            TimelineSource(
                slot=12,
                table="crm_service_plan src",
                columns={
                    "kind": "'plan_started'",
                    "date": "src.start_date + interval '12 hours'",
                    "has_time": "FALSE",
                    "partner_id": "src.partner_id",
                    "title": "src.name",
                    "amount": "src.price",
                    "currency_id": "src.currency_id",
                    "user_id": "src.user_id",
                    "company_id": "src.company_id",
                    "res_model": "'crm.service.plan'",
                    "res_id": "src.id",
                    "is_financial": "FALSE",
                },
                where="src.state NOT IN ('draft', 'cancelled')",
            ),
            TimelineSource(
                slot=13,
                table="crm_service_plan src",
                columns={
                    "kind": "'plan_' || src.state",
                    "date": "src.end_date + interval '12 hours'",
                    "has_time": "FALSE",
                    "partner_id": "src.partner_id",
                    "title": "src.name",
                    "user_id": "src.user_id",
                    "company_id": "src.company_id",
                    "res_model": "'crm.service.plan'",
                    "res_id": "src.id",
                    "is_financial": "FALSE",
                },
                where="""src.state IN ('renewed', 'expired')
                    AND src.end_date IS NOT NULL""",
            ),
        ]

    def _compute_is_hidden_document(self):
        hidden = set(self._hidden_document_ids())
        for row in self:
            row.is_hidden_document = (
                row.res_model == "crm.customer.document" and row.res_id in hidden
            )

    def _search_is_hidden_document(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operator %s is not supported on this field.", operator))
        hidden = self._hidden_document_ids()
        if (operator == "=") == value:
            return [
                ("res_model", "=", "crm.customer.document"),
                ("res_id", "in", hidden),
            ]
        return [
            "|",
            ("res_model", "!=", "crm.customer.document"),
            ("res_id", "not in", hidden),
        ]

    def _hidden_document_ids(self):
        """The confidential documents the current user may not read (the
        record rules evaluate this as superuser: read as the user)."""
        Document = self.env["crm.customer.document"]
        readable = Document.sudo(False).with_context(active_test=False)
        confidential = [("confidentiality", "=", "confidential")]
        if self.env.su and self.env.uid == SUPERUSER_ID:
            return []
        return (
            Document.sudo()
            .search(confidential + [("id", "not in", readable._search(confidential))])
            .ids
        )

    def _source_query(self, source):
        unknown = set(source.columns) - set(HISTORY_COLUMNS)
        if unknown:
            raise UserError(
                _(
                    "Customer history source %(table)s has unknown columns: "
                    "%(columns)s",
                    table=source.table,
                    columns=", ".join(sorted(unknown)),
                )
            )
        selected = [f"(src.id::bigint * {SLOTS} + {source.slot}) AS id"]
        for column, sql_type in HISTORY_COLUMNS.items():
            expression = source.columns.get(column, "NULL")
            selected.append(f"({expression})::{sql_type} AS {column}")
        return "SELECT {} FROM {} WHERE {}".format(
            ",\n    ".join(selected), source.table, source.where
        )

    def _check_sources(self, sources):
        slots = [source.slot for source in sources]
        if len(set(slots)) != len(slots) or not all(0 <= s < SLOTS for s in slots):
            raise UserError(
                _("Customer history sources need distinct slots from 0 to 15.")
            )

    def _history_query(self):
        sources = self._timeline_sources()
        self._check_sources(sources)
        rows = "\nUNION ALL\n".join(self._source_query(source) for source in sources)
        # every row gets the currency of its company, financial or not, so
        # that the list's total is one currency's sum
        return f"""SELECT history.*, company.currency_id AS company_currency_id
  FROM ({rows}) history
  LEFT JOIN res_company company ON company.id = history.company_id"""

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"CREATE OR REPLACE VIEW {self._table} AS ({self._history_query()})"
        )

    @api.readonly
    def action_open_source(self):
        """Open the record behind a history row (interaction, invoice, ...)."""
        self.ensure_one()
        source = self.env[self.res_model].browse(self.res_id)
        source.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": source._name,
            "res_id": source.id,
            "views": [(False, "form")],
            "target": "current",
        }
