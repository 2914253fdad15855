from datetime import datetime

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..report.crm_customer_timeline import TimelineSource


@tagged("post_install", "-at_install")
class TestCustomerTimeline(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Galil Medical Ltd", "is_company": True})
        cls.contact = Partner.create({"name": "Noa", "parent_id": cls.customer.id})
        cls.other = Partner.create({"name": "Northwind Traders", "is_company": True})
        Interaction = cls.env["crm.interaction"]
        cls.call = Interaction.create(
            {
                "partner_id": cls.contact.id,
                "name": "Intro call",
                "date": datetime(2026, 1, 5, 9),
                "outcome": "interested",
            }
        )
        cls.meeting = Interaction.create(
            {
                "partner_id": cls.customer.id,
                "name": "Site visit",
                "channel": "meeting",
                "date": datetime(2026, 1, 20, 14),
            }
        )
        Interaction.create({"partner_id": cls.other.id, "name": "Not theirs"})
        cls.invoice = cls.init_invoice(
            "out_invoice", cls.contact, "2026-01-10", post=True, amounts=[1000]
        )
        cls.refund = cls.init_invoice(
            "out_refund", cls.customer, "2026-01-25", post=True, amounts=[200]
        )
        cls.draft = cls.init_invoice(
            "out_invoice", cls.customer, "2026-01-26", amounts=[5]
        )
        cls.bill = cls.init_invoice(
            "in_invoice", cls.customer, "2026-01-27", post=True, amounts=[7]
        )
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=cls.invoice.ids
        ).create({"amount": 400})._create_payments()

    def _history(self, domain=()):
        return self.env["crm.customer.timeline"].search(
            [("partner_id", "=", self.customer.id), *domain]
        )

    def test_rows_newest_first(self):
        history = self._history()
        self.assertEqual(
            [(row.kind, row.res_model, row.res_id) for row in history],
            [
                ("credit_note", "account.move", self.refund.id),
                ("interaction", "crm.interaction", self.meeting.id),
                ("invoice", "account.move", self.invoice.id),
                ("interaction", "crm.interaction", self.call.id),
            ],
            "draft invoices, vendor bills and other customers are left out",
        )

    def test_invoice_row_shows_amount_and_payment_state(self):
        invoice_row, refund_row = self._history([("is_financial", "=", True)]).sorted(
            "date"
        )
        self.assertEqual(invoice_row.title, self.invoice.name)
        self.assertEqual(invoice_row.amount, self.invoice.amount_total)
        self.assertEqual(invoice_row.currency_id, self.invoice.currency_id)
        self.assertEqual(invoice_row.payment_state, "partial")
        self.assertEqual(invoice_row.contact_id, self.contact)
        self.assertEqual(refund_row.amount, -self.refund.amount_total)
        self.assertEqual(invoice_row.date.date().isoformat(), "2026-01-10")

    def test_interaction_row(self):
        row = self._history([("kind", "=", "interaction")])[-1]
        self.assertEqual(row.title, "Intro call")
        self.assertEqual(row.channel, "call")
        self.assertEqual(row.outcome, "interested")
        self.assertEqual(row.contact_id, self.contact)
        self.assertEqual(row.user_id, self.env.user)

    def test_open_source_record(self):
        for row in self._history():
            action = row.action_open_source()
            self.assertEqual(
                (action["res_model"], action["res_id"]), (row.res_model, row.res_id)
            )

    def test_customer_buttons(self):
        self.assertEqual(self.customer.history_count, 4)
        self.assertEqual(self.contact.history_count, 4)
        action = self.contact.action_view_history()
        self.assertEqual(
            self.env["crm.customer.timeline"].search(action["domain"]), self._history()
        )

    def test_sources_need_distinct_slots_and_known_columns(self):
        Timeline = self.env["crm.customer.timeline"]
        sources = Timeline._timeline_sources()
        clash = TimelineSource(sources[0].slot, "res_partner src", {}, "FALSE")
        with self.assertRaisesRegex(UserError, "distinct slots"):
            Timeline._check_sources([*sources, clash])
        unknown = TimelineSource(9, "res_partner src", {"colour": "'red'"}, "FALSE")
        with self.assertRaisesRegex(UserError, "unknown columns: colour"):
            Timeline._source_query(unknown)

    def test_totals_in_company_currency_under_the_financial_filter(self):
        """The history's total adds each document in the company currency at
        its date's rate, credit notes negative, never EUR to USD."""
        company_currency = self.env.company.currency_id
        other = self.setup_other_currency(
            "EUR" if company_currency.name != "EUR" else "USD",
            rates=[("2026-01-01", 2.0), ("2026-06-01", 4.0)],
        )
        foreign = self.init_invoice(
            "out_invoice",
            self.customer,
            "2026-01-28",
            post=True,
            amounts=[300],
            currency=other,
        )
        Timeline = self.env["crm.customer.timeline"]
        financial = [("partner_id", "=", self.customer.id), ("is_financial", "=", True)]
        rows = Timeline.search(financial)
        row = rows.filtered(lambda r: r.res_id == foreign.id)
        self.assertEqual((row.amount, row.currency_id), (foreign.amount_total, other))
        self.assertAlmostEqual(row.amount_company_signed, foreign.amount_total / 2)
        refund_row = rows.filtered(lambda r: r.res_id == self.refund.id)
        self.assertAlmostEqual(
            refund_row.amount_company_signed, -self.refund.amount_total
        )
        [[total]] = Timeline._read_group(financial, [], ["amount_company_signed:sum"])
        self.assertAlmostEqual(
            total,
            self.invoice.amount_total
            - self.refund.amount_total
            + foreign.amount_total / 2,
        )
        # every row has the company's currency, so the list's footer is one
        # currency's sum with or without the Financial filter
        self.assertEqual(self._history().company_currency_id, company_currency)
        self.assertFalse(
            Timeline.fields_get(["amount"], ["aggregator"])["amount"].get("aggregator"),
            "amounts in their own currencies are not added up",
        )
        arch = etree.fromstring(
            Timeline.get_views([(False, "list")])["views"]["list"]["arch"]
        )
        self.assertEqual(
            [node.get("name") for node in arch.xpath("//field[@sum]")],
            ["amount_company_signed"],
        )

    def test_customer_history_list_has_no_customer_column_nor_made_up_times(self):
        Timeline = self.env["crm.customer.timeline"]
        arch = etree.fromstring(
            Timeline.get_views([(False, "list")])["views"]["list"]["arch"]
        )
        [customer_column] = arch.xpath("//field[@name='partner_id']")
        hidden = customer_column.get("column_invisible", "False")
        action = self.contact.action_view_history()
        self.assertTrue(safe_eval(hidden, {"context": action["context"]}))
        self.assertFalse(
            safe_eval(hidden, {"context": {}}), "all customers' history shows it"
        )
        # invoices have a date, no time; no seconds anywhere
        history = self._history()
        self.assertEqual(
            {(row.kind, row.has_time) for row in history},
            {("interaction", True), ("invoice", False), ("credit_note", False)},
        )
        [date_column] = arch.xpath("//field[@name='date']")
        options = safe_eval(date_column.get("options", "{}"))
        self.assertEqual(
            (date_column.get("widget"), options),
            ("crm_history_date", {"show_seconds": False, "time_field": "has_time"}),
        )
