from collections import namedtuple

from odoo import _, api, fields, models, tools
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
    "amount": "numeric",
    "currency_id": "integer",
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
            "amount_total",
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
            ("interaction", "Interaction"),
            ("invoice", "Invoice"),
            ("credit_note", "Credit Note"),
            ("receipt", "Receipt"),
            ("ticket", "Ticket Opened"),
            ("ticket_response", "Ticket Answered"),
            ("ticket_closed", "Ticket Closed"),
            ("external_invoice", "External Invoice"),
            ("external_credit_note", "External Credit Note"),
            ("external_receipt", "External Receipt"),
            ("asset_purchased", "Asset Purchased"),
            ("warranty_end", "Warranty Ends"),
            ("plan_started", "Plan Started"),
            ("plan_renewed", "Plan Renewed"),
            ("plan_expired", "Plan Expired"),
        ],
        readonly=True,
    )
    date = fields.Datetime(readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    contact_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    title = fields.Char(readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", readonly=True)
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
                    "partner_id": "src.commercial_partner_id",
                    "contact_id": "src.partner_id",
                    "title": "src.name",
                    "amount": """CASE src.move_type WHEN 'out_refund'
                        THEN -src.amount_total ELSE src.amount_total END""",
                    "currency_id": "src.currency_id",
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
                    "partner_id": "src.partner_id",
                    "title": "src.number",
                    "amount": "src.amount_signed",
                    "currency_id": "src.currency_id",
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
                    table="crm_customer_asset src",
                    columns={
                        "kind": f"'{kind}'",
                        "date": f"{date_column} + interval '12 hours'",
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
        return "\nUNION ALL\n".join(self._source_query(source) for source in sources)

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
