import base64
import json

import psycopg2
from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CrmRelationshipCase


def invoice_row(external_id, **values):
    row = {
        "external_id": external_id,
        "number": f"INV-{external_id}",
        "kind": "invoice",
        "customer": {
            "external_id": "C-1",
            "vat": None,
            "email": None,
            "name": "Electra",
        },
        "issued_on": "2026-11-01",
        "due_on": "2026-12-01",
        "currency": "ILS",
        "amount_untaxed": "1000.00",
        "amount_tax": "180.00",
        "amount_total": "1180.00",
        "amount_due": "1180.00",
        "status": "open",
        "source_url": f"https://finance.example.com/invoices/{external_id}",
        "payload": {"id": external_id},
    }
    row.update(values)
    return row


@tagged("post_install", "-at_install")
class TestExternalInvoiceImport(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.ILS").active = True
        cls.customer.vat = "IL 514-000-000"
        cls.sync_user = new_test_user(
            cls.env,
            login="rel_sync",
            name="Sync Service",
            groups="crm_relationship.group_sync",
        )
        cls.Api = cls.env["crm.sync.api"].with_user(cls.sync_user)

    def _start(self, job="finance", dry_run=False):
        started = self.Api.start_run(job, "pull", dry_run)
        return started["run_id"], started["bookmark"]

    def _import(self, rows, before=False, after="page-1", job="finance"):
        run_id, _bookmark = self._start(job)
        return run_id, self.Api.import_page(job, run_id, rows, before, after)

    def _invoices(self):
        return self.env["crm.external.invoice"].search(
            [("job_id.name", "=", "finance")], order="external_id"
        )

    def test_page_creates_invoices_matched_by_vat_email_and_known_id(self):
        self.other_customer.email = "accounts@northwind.example.com"
        rows = [
            invoice_row("1", customer={"external_id": "C-1", "vat": "514000000"}),
            invoice_row(
                "2",
                kind="credit_note",
                customer={"email": "Accounts@Northwind.example.com"},
            ),
        ]
        run_id, result = self._import(rows)
        self.assertEqual(
            result,
            {
                "created": 2,
                "updated": 0,
                "unchanged": 0,
                "rejected": 0,
                "bookmark": "page-1",
                "applied": True,
            },
        )
        first, second = self._invoices()
        self.assertEqual(first.partner_id, self.customer)
        self.assertEqual(second.partner_id, self.other_customer)
        self.assertEqual(second.amount_signed, -1180.0)
        self.assertEqual(
            self.env["crm.sync.job"].search([("name", "=", "finance")]).bookmark,
            "page-1",
        )
        # the customer id learnt from the VAT match is used next time
        _run, result = self._import(
            [invoice_row("3", customer={"external_id": "C-1"})],
            before="page-1",
            after="page-2",
        )
        self.assertEqual(result["created"], 1)
        self.assertEqual(self._invoices()[2].partner_id, self.customer)
        run = self.env["crm.sync.run"].browse(run_id)
        self.assertEqual((run.count_read, run.count_created), (2, 2))

    def test_same_page_twice_is_a_no_op(self):
        rows = [invoice_row("1", customer={"vat": "514000000"})]
        self._import(rows)
        write_date = self._invoices().write_date
        _run, again = self._import(rows, before=False, after="page-1")
        self.assertFalse(again["applied"], "the bookmark already moved past it")
        self.assertEqual(again["bookmark"], "page-1")
        _run, rerun = self._import(rows, before="page-1", after="page-1")
        self.assertEqual((rerun["created"], rerun["unchanged"]), (0, 1))
        self.assertEqual(self._invoices().write_date, write_date, "not written")

    def test_changed_row_is_updated(self):
        self._import([invoice_row("1", customer={"vat": "514000000"})])
        _run, result = self._import(
            [
                invoice_row(
                    "1", customer={"vat": "514000000"}, status="paid", amount_due="0"
                )
            ],
            before="page-1",
            after="page-2",
        )
        self.assertEqual((result["updated"], result["created"]), (1, 0))
        self.assertEqual(self._invoices().status, "paid")

    def test_bad_rows_are_rejected_with_the_field_and_others_imported(self):
        rows = [
            invoice_row("ok", customer={"vat": "514000000"}),
            invoice_row(
                "bad-date", customer={"vat": "514000000"}, issued_on="31/13/2026"
            ),
            invoice_row(
                "bad-amount", customer={"vat": "514000000"}, amount_total="12,3x"
            ),
            invoice_row("bad-kind", customer={"vat": "514000000"}, kind="quote"),
            invoice_row("bad-currency", customer={"vat": "514000000"}, currency="XYZ"),
            invoice_row("nobody", customer={"vat": "999999999", "name": "Ghost Ltd"}),
            {
                "external_id": "broken-line",
                "reject_reason": "line 7: 12 fields, 14 expected",
                "payload": {"line": 7},
            },
            invoice_row(None),
            "not a record",
        ]
        run_id, result = self._import(rows)
        self.assertEqual((result["created"], result["rejected"]), (1, 8))
        issues = self.env["crm.sync.issue"].search([("run_id", "=", run_id)])
        reasons = dict(
            zip(issues.mapped("record_key"), issues.mapped("reason"), strict=True)
        )
        self.assertIn("issued_on", reasons["bad-date"])
        self.assertIn("amount_total", reasons["bad-amount"])
        self.assertIn("kind", reasons["bad-kind"])
        self.assertIn("currency", reasons["bad-currency"])
        self.assertIn("Ghost Ltd", reasons["nobody"])
        self.assertIn("line 7", reasons["broken-line"])
        self.assertIn("external_id", reasons[False])
        payload = json.loads(
            issues.filtered(lambda i: i.record_key == "bad-date").payload
        )
        self.assertEqual(payload["issued_on"], "31/13/2026")

    def test_retry_of_a_fixed_record_resolves_the_issue(self):
        row = invoice_row("late", customer={"vat": "123456782"})
        self._import([row])
        issue = self.env["crm.sync.issue"].search([("record_key", "=", "late")])
        issue.action_retry()
        self.assertEqual(
            self.Api.pending_retries("finance"),
            [{"issue_id": issue.id, "payload": json.loads(issue.payload)}],
        )
        self.other_customer.vat = "123456782"
        self._import([row], before="page-1", after="page-1")
        self.assertEqual(issue.state, "resolved")

    def test_wrong_bookmark_writes_nothing(self):
        self._import([invoice_row("1", customer={"vat": "514000000"})])
        _run, result = self._import(
            [invoice_row("2", customer={"vat": "514000000"})],
            before="somewhere-else",
            after="page-9",
        )
        self.assertFalse(result["applied"])
        self.assertEqual(len(self._invoices()), 1)

    @mute_logger("odoo.sql_db")
    def test_error_mid_page_rolls_back_everything(self):
        run_id, _bookmark = self._start()
        rows = [
            invoice_row("1", customer={"vat": "514000000"}),
            invoice_row("ghost", customer={"vat": "999999999"}),
        ]
        # the database fails after the invoice is written, when the page
        # records its rejected row
        self.env.cr.execute(
            """
            CREATE FUNCTION crm_test_refuse() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER crm_test_refuse BEFORE INSERT ON crm_sync_issue
                FOR EACH ROW EXECUTE FUNCTION crm_test_refuse();
            """
        )
        with self.assertRaises(psycopg2.Error):
            self.Api.import_page("finance", run_id, rows, False, "page-1")
        self.env.invalidate_all()
        self.assertFalse(self._invoices())
        job = self.env["crm.sync.job"].search([("name", "=", "finance")])
        self.assertFalse(job.bookmark)
        self.assertEqual(self.env["crm.sync.run"].browse(run_id).count_read, 0)
        # the same page then goes through
        self.env.cr.execute("DROP TRIGGER crm_test_refuse ON crm_sync_issue")
        result = self.Api.import_page("finance", run_id, rows, False, "page-1")
        self.assertEqual((result["created"], result["rejected"]), (1, 1))
        self.assertEqual(job.bookmark, "page-1")

    def test_not_a_list_is_refused(self):
        run_id, _bookmark = self._start()
        with self.assertRaises(UserError):
            self.Api.import_page("finance", run_id, {"a": 1}, False, "p")

    def test_dry_run_counts_but_writes_nothing(self):
        run_id, _bookmark = self._start(dry_run=True)
        result = self.Api.import_page(
            "finance",
            run_id,
            [invoice_row("1", customer={"vat": "514000000"})],
            False,
            "page-1",
        )
        self.assertEqual(result["created"], 1)
        self.assertFalse(result["applied"])
        self.assertFalse(self._invoices())
        self.assertFalse(
            self.env["crm.sync.job"].search([("name", "=", "finance")]).bookmark
        )

    def test_pdf_is_kept_as_attachment(self):
        pdf = base64.b64encode(b"%PDF-1.4 fake").decode()
        self._import([invoice_row("1", customer={"vat": "514000000"}, pdf_base64=pdf)])
        invoice = self._invoices()
        self.assertEqual(invoice.attachment_id.raw, b"%PDF-1.4 fake")
        self.assertEqual(invoice.attachment_id.res_model, "crm.external.invoice")

    def test_new_pdf_replaces_the_old_one_and_rejected_rows_get_none(self):
        pdf = base64.b64encode(b"%PDF-1.4 first").decode()
        self._import([invoice_row("1", customer={"vat": "514000000"}, pdf_base64=pdf)])
        first = self._invoices().attachment_id
        second_pdf = base64.b64encode(b"%PDF-1.4 second").decode()
        self._import(
            [invoice_row("1", customer={"vat": "514000000"}, pdf_base64=second_pdf)],
            before="page-1",
            after="page-2",
        )
        invoice = self._invoices()
        self.assertEqual(invoice.attachment_id.raw, b"%PDF-1.4 second")
        self.assertFalse(first.exists(), "the old PDF is not left behind")
        # the same invoice, now with a customer nobody knows: rejected, its
        # PDF is not attached
        third_pdf = base64.b64encode(b"%PDF-1.4 third").decode()
        self._import(
            [invoice_row("1", customer={"vat": "999999999"}, pdf_base64=third_pdf)],
            before="page-2",
            after="page-3",
        )
        self.assertEqual(invoice.attachment_id.raw, b"%PDF-1.4 second")

    def test_invoices_in_history_and_customer_figures(self):
        self._import(
            [
                invoice_row(
                    "1",
                    customer={"vat": "514000000"},
                    currency=self.env.company.currency_id.name,
                ),
                invoice_row("2", customer={"vat": "514000000"}, status="cancelled"),
            ]
        )
        rows = self.env["crm.customer.timeline"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("res_model", "=", "crm.external.invoice"),
            ]
        )
        self.assertEqual(rows.kind, "external_invoice")
        self.assertTrue(rows.is_financial)
        self.assertEqual(rows.payment_state, "not_paid")
        self.assertEqual(self.contact.external_invoice_count, 1)
        self.assertEqual(self.customer.external_amount_due, 1180.0)

    def test_overdue_filter(self):
        self._import(
            [
                invoice_row("old", customer={"vat": "514000000"}, due_on="2020-01-01"),
                invoice_row("new", customer={"vat": "514000000"}, due_on="2099-01-01"),
            ]
        )
        overdue = self.env["crm.external.invoice"].search(
            [("job_id.name", "=", "finance"), ("is_overdue", "=", True)]
        )
        self.assertEqual(overdue.mapped("external_id"), ["old"])

    def _other_currency(self, rate_on_issue, rate_today):
        """A currency other than the company's, with a rate on the rows'
        issue date and another one today."""
        usd = self.env.ref("base.USD")
        other = usd if self.env.company.currency_id != usd else self.env.ref("base.EUR")
        other.active = True
        other.rate_ids.unlink()
        self.env["res.currency.rate"].create(
            [
                {"currency_id": other.id, "name": "2026-11-01", "rate": rate_on_issue},
                {"currency_id": other.id, "name": "2026-12-01", "rate": rate_today},
            ]
        )
        return other

    def test_credit_notes_receipts_and_other_currencies_in_customer_figures(self):
        code = self.env.company.currency_id.name
        # 1 company currency = 0.5 on the issue date, 0.25 since
        other = self._other_currency(0.5, 0.25)
        customer = {"vat": "514000000"}
        self._import(
            [
                invoice_row("i1", customer=customer, currency=code),
                invoice_row(
                    "c1",
                    customer=customer,
                    currency=code,
                    kind="credit_note",
                    amount_total="100",
                    amount_due="100",
                ),
                invoice_row(
                    "r1",
                    customer=customer,
                    currency=code,
                    kind="receipt",
                    status="paid",
                    amount_total="500",
                    amount_due="500",
                ),
                invoice_row(
                    "x1",
                    customer=customer,
                    currency=other.name,
                    amount_total="60",
                    amount_due="60",
                ),
            ]
        )
        # 1180 due, less the credit note of 100, plus 60 at the issue date's
        # 0.5 (120, not 240 at today's rate); the paid receipt owes nothing
        # and is no invoice
        self.assertAlmostEqual(self.customer.external_amount_due, 1180 - 100 + 120)
        self.assertAlmostEqual(self.customer.external_amount_invoiced, 1180 - 100 + 120)
        self.assertEqual(self.customer.external_invoice_count, 4)
        company_currency = self.env.company.currency_id
        self.assertEqual(self.customer.external_currency_id, company_currency)
        foreign = self._invoices().filtered(lambda i: i.external_id == "x1")
        self.assertEqual(
            (foreign.amount_signed, foreign.amount_company_signed), (60.0, 120.0)
        )

    def test_credit_note_is_negative_whatever_sign_the_source_wrote(self):
        """A CSV export writes credit notes negative, Tryton's positive: both
        lower what the customer owes."""
        customer = {"vat": "514000000"}
        code = self.env.company.currency_id.name
        self._import(
            [
                invoice_row("i1", customer=customer, currency=code),
                invoice_row(
                    "csv-credit",
                    customer=customer,
                    currency=code,
                    kind="credit_note",
                    amount_untaxed="-200",
                    amount_tax="-34",
                    amount_total="-234",
                    amount_due="-234",
                ),
                invoice_row(
                    "tryton-credit",
                    customer=customer,
                    currency=code,
                    kind="credit_note",
                    amount_untaxed="100",
                    amount_tax="0",
                    amount_total="100",
                    amount_due="100",
                ),
                invoice_row(
                    "paid-credit",
                    customer=customer,
                    currency=code,
                    kind="credit_note",
                    status="paid",
                    amount_total="-234",
                    amount_due="0",
                ),
            ]
        )
        by_id = {invoice.external_id: invoice for invoice in self._invoices()}
        csv_credit = by_id["csv-credit"]
        self.assertEqual(
            (csv_credit.amount_total, csv_credit.amount_tax), (234.0, 34.0)
        )
        for external_id, total, due in (
            ("csv-credit", -234.0, -234.0),
            ("tryton-credit", -100.0, -100.0),
            ("paid-credit", -234.0, 0.0),
        ):
            invoice = by_id[external_id]
            self.assertEqual(
                (invoice.amount_signed, invoice.amount_due_signed),
                (total, due),
                external_id,
            )
            self.assertEqual(
                (invoice.amount_company_signed, invoice.amount_due_company_signed),
                (total, due),
                external_id,
            )
        self.assertAlmostEqual(self.customer.external_amount_due, 1180 - 234 - 100)
        self.assertAlmostEqual(
            self.customer.external_amount_invoiced, 1180 - 234 - 100 - 234
        )
        paid_row = self.env["crm.customer.timeline"].search(
            [
                ("res_model", "=", "crm.external.invoice"),
                ("title", "=", "INV-paid-credit"),
            ]
        )
        self.assertEqual(
            (paid_row.amount, paid_row.amount_company_signed, paid_row.payment_state),
            (-234.0, -234.0, "paid"),
        )

    def test_list_totals_are_signed_and_in_the_company_currency(self):
        code = self.env.company.currency_id.name
        other = self._other_currency(0.5, 0.25)
        customer = {"vat": "514000000"}
        self._import(
            [
                invoice_row("i1", customer=customer, currency=code),
                invoice_row(
                    "c1",
                    customer=customer,
                    currency=code,
                    kind="credit_note",
                    amount_total="-180",
                    amount_due="-180",
                ),
                invoice_row(
                    "x1",
                    customer=customer,
                    currency=other.name,
                    amount_total="60",
                    amount_due="60",
                ),
            ]
        )
        Invoice = self.env["crm.external.invoice"]
        domain = [("job_id.name", "=", "finance")]
        # what the list's footer and the pivot add up: one currency, credit
        # notes negative
        [[total, due]] = Invoice._read_group(
            domain, [], ["amount_company_signed:sum", "amount_due_company_signed:sum"]
        )
        self.assertAlmostEqual(total, 1180 - 180 + 120)
        self.assertAlmostEqual(due, 1180 - 180 + 120)
        # amounts in the documents' own currencies add up per currency only
        per_currency = dict(
            Invoice._read_group(domain, ["currency_id"], ["amount_signed:sum"])
        )
        self.assertEqual(
            per_currency, {self.env.company.currency_id: 1000.0, other: 60.0}
        )
        described = Invoice.fields_get(
            ["amount_total", "amount_signed", "amount_due_signed", "amount_due"],
            ["aggregator"],
        )
        self.assertFalse(
            [name for name, field in described.items() if field.get("aggregator")],
            "no total of amounts in different currencies",
        )
        views = Invoice.get_views([(False, "list"), (False, "form"), (False, "pivot")])
        list_arch = etree.fromstring(views["views"]["list"]["arch"])
        summed = {node.get("name") for node in list_arch.xpath("//field[@sum]")}
        self.assertEqual(summed, {"amount_company_signed", "amount_due_company_signed"})
        form_arch = etree.fromstring(views["views"]["form"]["arch"])
        # the invoice's own, not its lines'
        [currency] = form_arch.xpath(
            "//field[@name='currency_id'][not(ancestor::field)]"
        )
        self.assertFalse(currency.get("invisible"), "the form shows the currency")
        for node in form_arch.xpath("//field[starts-with(@name, 'amount_')]"):
            field = Invoice._fields[node.get("name")]
            self.assertEqual(field.type, "monetary")
            currency_field = field.get_currency_field(Invoice)
            self.assertTrue(form_arch.xpath(f"//field[@name='{currency_field}']"))
        pivot_arch = etree.fromstring(views["views"]["pivot"]["arch"])
        self.assertEqual(
            {node.get("name") for node in pivot_arch.xpath("//field[@type='measure']")},
            {"amount_company_signed", "amount_due_company_signed"},
        )

    def test_page_sent_twice_and_nightly_rejections_show_once(self):
        rows = [invoice_row("ghost", customer={"vat": "999999999"})]
        run_id, _bookmark = self._start()
        self.Api.import_page("finance", run_id, rows, False, "p1")
        # the answer was lost and the same page is sent again
        again = self.Api.import_page("finance", run_id, rows, False, "p1")
        self.assertFalse(again["applied"])
        # the next night the same row comes again
        self.Api.import_page("finance", run_id, rows, "p1", "p2")
        issues = self.env["crm.sync.issue"].search([("record_key", "=", "ghost")])
        self.assertEqual(len(issues), 1)
        counts = self.Api.finish_run("finance", run_id, "done_with_rejects")
        self.assertEqual((counts["read"], counts["rejected"]), (2, 2))

    def test_retried_record_without_a_key_is_resolved_once_fixed(self):
        broken = {"reject_reason": "export.csv line 7: 3 fields, 9 expected"}
        self._import([broken])
        issue = self.env["crm.sync.issue"].search([("job_id.name", "=", "finance")])
        issue.action_retry()
        [queued] = self.Api.pending_retries("finance")
        # the line was fixed in the source: the retried row goes through
        fixed = invoice_row("7", customer={"vat": "514000000"})
        fixed["retry_issue_id"] = queued["issue_id"]
        self._import([fixed], before="page-1", after="page-1")
        self.assertEqual(issue.state, "resolved")
        # a retried row rejected again updates its issue, no new one
        issue.state = "queued"
        self._import(
            [{**broken, "retry_issue_id": issue.id}], before="page-1", after="page-1"
        )
        self.assertEqual(issue.state, "new")
        self.assertEqual(
            self.env["crm.sync.issue"].search_count([("job_id.name", "=", "finance")]),
            1,
        )

    def test_archived_customer_of_a_known_id_is_matched_again(self):
        row = invoice_row("1", customer={"external_id": "C-9", "vat": "514000000"})
        self._import([row])
        self.assertEqual(self._invoices().partner_id, self.customer)
        # the customer is archived, the source's customer id now has the tax
        # id of another customer
        self.customer.action_archive()
        self.other_customer.vat = "IL514000000"
        self._import(
            [invoice_row("2", customer={"external_id": "C-9", "vat": "514000000"})],
            before="page-1",
            after="page-2",
        )
        invoice = self._invoices().filtered(lambda i: i.external_id == "2")
        self.assertEqual(invoice.partner_id, self.other_customer)

    def test_a_source_and_a_target_of_the_same_name_are_refused(self):
        self._start("shared-name")
        with self.assertRaisesRegex(UserError, "different names"):
            self.Api.start_run("shared-name", "push")

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_sync_user_reaches_nothing_else(self):
        self.assertFalse(self.sync_user._is_internal())
        for model in (
            "res.partner",
            "res.users",
            "mail.message",
            "ir.attachment",
            "crm.interaction",
            "crm.service.ticket",
            "crm.external.invoice",
            "account.move",
            "crm.lead",
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.sync_user).search([], limit=1)

    def test_other_users_cannot_sync(self):
        with self.assertRaises(AccessError):
            self.env["crm.sync.api"].with_user(self.salesman).start_run(
                "finance", "pull"
            )
