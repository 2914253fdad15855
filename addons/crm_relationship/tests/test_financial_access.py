from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestFinancialAccess(AccountTestInvoicingCommon):
    """Invoices, credit notes and external invoices in a customer's history
    and figures are for users who may read invoices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        cls.salesman = new_test_user(
            cls.env,
            login="fin_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=company.id,
        )
        cls.sales_manager = new_test_user(
            cls.env,
            login="fin_sales_manager",
            groups="sales_team.group_sale_manager",
            company_id=company.id,
        )
        cls.accountant = new_test_user(
            cls.env,
            login="fin_accountant",
            groups="account.group_account_invoice",
            company_id=company.id,
        )
        cls.auditor = new_test_user(
            cls.env,
            login="fin_auditor",
            groups="account.group_account_readonly,crm_relationship.group_user",
            company_id=company.id,
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Galil Medical Ltd", "is_company": True}
        )
        cls.call = cls.env["crm.interaction"].create(
            {"partner_id": cls.customer.id, "name": "Intro call"}
        )
        cls.invoice = cls.init_invoice(
            "out_invoice", cls.customer, "2026-01-10", post=True, amounts=[1000]
        )
        job = cls.env["crm.sync.job"].sudo().create({"name": "finance", "kind": "pull"})
        cls.external = (
            cls.env["crm.external.invoice"]
            .sudo()
            .create(
                {
                    "job_id": job.id,
                    "external_id": "1",
                    "number": "EXT-1",
                    "kind": "invoice",
                    "partner_id": cls.customer.id,
                    "issued_on": "2026-01-12",
                    "currency_id": company.currency_id.id,
                    "amount_total": 500,
                    "amount_due": 500,
                    "status": "open",
                    "company_id": company.id,
                }
            )
        )

    def _history(self, user):
        return (
            self.env["crm.customer.timeline"]
            .with_user(user)
            .search([("partner_id", "=", self.customer.id)])
        )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_users_without_invoice_rights_see_the_rest_of_the_history(self):
        financial_row = self._history(self.env.user).filtered("is_financial")[:1]
        for user in (self.salesman, self.sales_manager):
            with self.subTest(user=user.login):
                self.env.invalidate_all()
                self.assertEqual(
                    self._history(user).mapped("res_model"), ["crm.interaction"]
                )
                self.assertEqual(
                    self.customer.with_user(user).history_count, 1, "counted alike"
                )
                with self.assertRaises(AccessError):
                    financial_row.with_user(user).read(["title", "amount"])
                with self.assertRaises(AccessError):
                    self.env["crm.external.invoice"].with_user(user).search([])
                # the customer's external figures are empty, not an error
                partner = self.customer.with_user(user)
                self.assertEqual(
                    (partner.external_invoice_count, partner.external_amount_due),
                    (0, 0.0),
                )

    def test_invoicing_users_see_financial_rows(self):
        for user in (self.accountant, self.auditor):
            with self.subTest(user=user.login):
                self.env.invalidate_all()
                history = self._history(user)
                self.assertEqual(
                    sorted(history.mapped("res_model")),
                    ["account.move", "crm.external.invoice", "crm.interaction"],
                )
                invoice_row = history.filtered(lambda r: r.res_model == "account.move")
                self.assertEqual(invoice_row.title, self.invoice.name)
                self.assertEqual(
                    self.env["crm.external.invoice"].with_user(user).search([]),
                    self.external,
                )
                partner = self.customer.with_user(user)
                self.assertEqual(
                    (partner.external_invoice_count, partner.external_amount_due),
                    (1, 500.0),
                )
