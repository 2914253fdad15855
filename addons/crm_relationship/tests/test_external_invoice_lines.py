from datetime import date

from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipCase
from .test_external_invoice import invoice_row


def line(key, code, quantity=1, price="100.00", **values):
    return {
        "key": key,
        "product_code": code,
        "description": f"Line {key}",
        "quantity": quantity,
        "price_unit": price,
        **values,
    }


@tagged("post_install", "-at_install")
class TestExternalInvoiceLines(CrmRelationshipCase):
    # the lines of this test's source: a shared database may hold others
    OURS = [("invoice_id.job_id.name", "=", "finance")]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.ILS").active = True
        cls.customer.vat = "IL 514-000-000"
        cls.sync_user = new_test_user(
            cls.env,
            login="rel_sync_lines",
            name="Sync Service",
            groups="crm_relationship.group_sync",
        )
        cls.Api = cls.env["crm.sync.api"].with_user(cls.sync_user)
        Product = cls.env["product.product"]
        cls.inverter = Product.create(
            {
                "name": "Solar Inverter TST-SI-10K",
                "default_code": "TST-SI-10K",
                "barcode": "7290000000017",
                "is_customer_asset": True,
                "asset_tracking": "unit",
                "warranty_duration": 12,
                "warranty_unit": "month",
            }
        )
        cls.cable = Product.create(
            {
                "name": "DC Cable (m)",
                "default_code": "CABLE-DC",
                "is_customer_asset": True,
                "asset_tracking": "line",
            }
        )
        cls.plan = Product.create(
            {
                "name": "Care Plan",
                "default_code": "CARE-12",
                "type": "service",
                "is_service_plan": True,
                "service_plan_term_months": 12,
            }
        )
        # another company's product of the same code is not matched
        cls.company_b = cls.env["res.company"].create({"name": "Other Company"})
        Product.create(
            {
                "name": "Other company's gadget",
                "default_code": "GADGET",
                "is_customer_asset": True,
                "company_id": cls.company_b.id,
            }
        )
        cls.bookmark = 0

    def _import(self, rows, job="finance"):
        started = self.Api.start_run(job, "pull", False)
        before = started["bookmark"]
        type(self).bookmark += 1
        result = self.Api.import_page(
            job, started["run_id"], rows, before, f"page-{self.bookmark}"
        )
        return started["run_id"], result

    def _row(self, external_id, lines, **values):
        return invoice_row(
            external_id, customer={"vat": "514000000"}, lines=lines, **values
        )

    def _invoice(self, external_id):
        return self.env["crm.external.invoice"].search(
            [("job_id.name", "=", "finance"), ("external_id", "=", external_id)]
        )

    def _assets(self, invoice):
        return (
            self.env["crm.customer.asset"]
            .with_context(active_test=False)
            .search([("external_invoice_id", "=", invoice.id)], order="source_key")
        )

    def test_lines_match_products_and_create_assets_and_plans(self):
        _run, result = self._import(
            [
                self._row(
                    "1",
                    [
                        line("1", "TST-SI-10K", 2, "4000"),
                        # a barcode given as the product code matches too
                        line("2", "7290000000017", 1, "4000"),
                        line("3", "CABLE-DC", "25.5", "3.20"),
                        line("4", "CARE-12", 1, "900"),
                        line("5", None, 1, "150", description="Installation"),
                    ],
                )
            ]
        )
        self.assertEqual(result["created"], 1)
        invoice = self._invoice("1")
        lines = invoice.line_ids
        self.assertEqual(
            lines.mapped("match_state"),
            ["matched", "matched", "matched", "matched", "no_code"],
        )
        self.assertEqual(lines[0].product_id, self.inverter)
        self.assertEqual(lines[1].product_id, self.inverter)
        self.assertEqual(lines[2].amount, 81.6)
        assets = self._assets(invoice)
        self.assertEqual(len(assets), 4, "2 + 1 inverters, one cable line")
        self.assertEqual(set(assets.mapped("source")), {"external"})
        self.assertEqual(set(assets.mapped("commercial_partner_id")), {self.customer})
        inverter = assets.filtered(lambda a: a.product_id == self.inverter)[0]
        self.assertEqual(inverter.purchase_date, date(2026, 11, 1))
        self.assertEqual(inverter.warranty_end_date, date(2027, 10, 31))
        self.assertEqual(inverter.price_unit, 4000)
        cable = assets.filtered(lambda a: a.product_id == self.cable)
        self.assertEqual(cable.quantity, 25.5)
        self.assertEqual(invoice.asset_count, 4)
        plan = self.env["crm.service.plan"].search(
            [("external_line_id", "=", lines[3].id)]
        )
        self.assertEqual(
            (plan.partner_id, plan.start_date, plan.end_date, plan.price),
            (self.customer, date(2026, 11, 1), date(2027, 10, 31), 900),
        )

    def test_no_change_rerun_writes_nothing_and_change_updates_in_place(self):
        rows = [self._row("1", [line("1", "TST-SI-10K", 2, "4000")])]
        self._import(rows)
        invoice = self._invoice("1")
        assets = self._assets(invoice)
        self.assertEqual(len(assets), 2)
        # marks written behind the ORM's back: a rewrite would undo them
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_external_invoice_line SET description = 'mark' "
            "WHERE invoice_id = %s",
            [invoice.id],
        )
        self.env.cr.execute(
            "UPDATE crm_customer_asset SET price_unit = 1 WHERE id IN %s",
            [tuple(assets.ids)],
        )
        self.env.invalidate_all()
        _run, rerun = self._import(rows)
        self.assertEqual((rerun["unchanged"], rerun["updated"]), (1, 0))
        self.assertEqual(invoice.line_ids.description, "mark")
        self.assertEqual(set(assets.mapped("price_unit")), {1})
        # three units at a new price, a cable line added: one more asset,
        # the line updated in place, nothing duplicated
        first_line = invoice.line_ids
        changed = [
            self._row(
                "1",
                [line("1", "TST-SI-10K", 3, "3900"), line("2", "CABLE-DC", 10, "3")],
            )
        ]
        _run, result = self._import(changed)
        self.assertEqual(result["updated"], 1)
        self.assertEqual(invoice.line_ids[0], first_line)
        assets = self._assets(invoice)
        self.assertEqual(len(assets), 4)
        self.assertEqual(
            set(
                assets.filtered(lambda a: a.product_id == self.inverter).mapped(
                    "price_unit"
                )
            ),
            {3900},
        )
        _run, again = self._import(changed)
        self.assertEqual(again["unchanged"], 1)
        self.assertEqual(len(self._assets(invoice)), 4)
        # down to one unit and no cable: the others are retired, kept
        self._import([self._row("1", [line("1", "TST-SI-10K", 1, "3900")])])
        assets = self._assets(invoice)
        self.assertEqual(len(invoice.line_ids), 1)
        self.assertEqual(
            sorted(assets.mapped("state")), ["active", "retired", "retired", "retired"]
        )
        # the invoice cancelled: its assets are retired
        self._import(
            [self._row("1", [line("1", "TST-SI-10K", 1, "3900")], status="cancelled")]
        )
        self.assertEqual(set(self._assets(invoice).mapped("state")), {"retired"})

    def test_row_without_lines_leaves_them_and_keeps_its_hash(self):
        plain = invoice_row("1", customer={"vat": "514000000"})
        self._import([plain])
        invoice = self._invoice("1")
        hash_without_lines = invoice.content_hash
        self._import([self._row("1", [line("1", "TST-SI-10K")])])
        self.assertNotEqual(invoice.content_hash, hash_without_lines)
        self.assertEqual(len(invoice.line_ids), 1)
        _run, result = self._import([{**plain, "amount_due": "0.00", "status": "paid"}])
        self.assertEqual(result["updated"], 1)
        self.assertEqual(len(invoice.line_ids), 1, "a row without lines keeps them")
        self._import([self._row("1", [], amount_due="0.00", status="paid")])
        self.assertFalse(invoice.line_ids, "an empty list removes them")

    def test_credit_note_signs_and_returns(self):
        self._import([self._row("1", [line("1", "TST-SI-10K", 3, "4000")])])
        invoice = self._invoice("1")
        _run, result = self._import(
            [
                self._row(
                    "CN-1",
                    # the source wrote negative quantities and amounts
                    [line("1", "TST-SI-10K", -2, "-4000", amount="-8000")],
                    kind="credit_note",
                    origin="1",
                )
            ]
        )
        self.assertEqual(result["created"], 1)
        credit = self._invoice("CN-1")
        self.assertEqual(
            (
                credit.line_ids.quantity,
                credit.line_ids.price_unit,
                credit.line_ids.amount,
            ),
            (2, 4000, -8000),
        )
        self.assertEqual(credit.origin_external_id, "1")
        self.assertFalse(self._assets(credit), "a credit note creates no asset")
        assets = self._assets(invoice)
        self.assertEqual(
            sorted(assets.mapped("state")), ["active", "returned", "returned"]
        )
        # a credit note written positive is negative all the same
        self._import([self._row("CN-2", [line("1", "X", 1, "5")], kind="credit_note")])
        self.assertEqual(self._invoice("CN-2").line_ids.amount, -5)
        # the credit note changed (its status) counts its return once
        self._import(
            [
                self._row(
                    "CN-1",
                    [line("1", "TST-SI-10K", -2, "-4000", amount="-8000")],
                    kind="credit_note",
                    origin="1",
                    status="paid",
                )
            ]
        )
        self.assertEqual(
            sorted(self._assets(invoice).mapped("state")),
            ["active", "returned", "returned"],
        )

    def test_unmatched_code_kept_reported_once(self):
        rows = [
            self._row(
                "1",
                [line("1", "NOPE-1", 2, "10"), line("2", "GADGET", 1, "10")],
            )
        ]
        run_id, result = self._import(rows)
        self.assertEqual((result["created"], result["rejected"]), (1, 0))
        invoice = self._invoice("1")
        self.assertEqual(
            invoice.line_ids.mapped("match_state"), ["unmatched", "unmatched"]
        )
        self.assertEqual(invoice.line_ids[0].product_code, "NOPE-1")
        self.assertFalse(self._assets(invoice))
        Issue = self.env["crm.sync.issue"]
        ext_issues = [
            ("job_id.name", "=", "finance"),
            ("record_key", "like", "ext:1:%"),
        ]
        issues = Issue.search([("run_id", "=", run_id)], order="record_key")
        self.assertEqual(issues.mapped("record_key"), ["ext:1:1", "ext:1:2"])
        self.assertIn("NOPE-1", issues[0].reason)
        self.assertIn("INV-1", issues[0].reason)
        # the same invoice again, unchanged: no new issue
        self._import(rows)
        self.assertEqual(Issue.search_count(ext_issues), 2)
        # changed, still unmatched: the open issues are updated, not repeated
        self._import([{**rows[0], "amount_due": "0.00"}])
        self.assertEqual(Issue.search_count(ext_issues), 2)
        # the product is created, the manager retries: matched, asset, resolved
        self.env["product.product"].create(
            {"name": "Meter", "default_code": "NOPE-1", "is_customer_asset": True}
        )
        issues[0].action_retry()
        retries = self.Api.pending_retries("finance")
        started = self.Api.start_run("finance", "pull", False)
        self.Api.import_page(
            "finance",
            started["run_id"],
            [
                {
                    **rows[0],
                    "amount_due": "0.00",
                    "retry_issue_id": retries[0]["issue_id"],
                }
            ],
            started["bookmark"],
            started["bookmark"],
        )
        self.assertEqual(invoice.line_ids[0].match_state, "matched")
        self.assertEqual(len(self._assets(invoice)), 2)
        self.assertEqual(issues[0].state, "resolved")
        self.assertEqual(issues[1].state, "new", "the other line still matches nothing")

    def test_bad_lines_reject_the_invoice_naming_line_and_field(self):
        cases = [
            (
                [line("1", "TST-SI-10K", "two")],
                "line 1: quantity: 'two' is not a number",
            ),
            (
                [line("1", "TST-SI-10K"), line("1", "CABLE-DC")],
                "line 2: key: '1' is used",
            ),
            (
                [{"key": "1", "product_code": "TST-SI-10K"}],
                "line 1: price_unit: missing",
            ),
            ("not a list", "lines: not a list"),
            (
                [line("1", "TST-SI-10K", 1, "1e20")],
                "line 1: price_unit: '1e20' is out of range",
            ),
        ]
        for index, (lines, message) in enumerate(cases):
            with self.subTest(message=message):
                external_id = f"BAD-{index}"
                run_id, result = self._import([self._row(external_id, lines)])
                self.assertEqual((result["created"], result["rejected"]), (0, 1))
                issue = self.env["crm.sync.issue"].search(
                    [("run_id", "=", run_id), ("record_key", "=", external_id)]
                )
                self.assertIn(f"invoice INV-{external_id}", issue.reason)
                self.assertIn(message, issue.reason)
        self.assertFalse(self.env["crm.external.invoice.line"].search(self.OURS))

    def test_dry_run_writes_no_lines_nor_assets(self):
        started = self.Api.start_run("finance", "pull", True)
        result = self.Api.import_page(
            "finance",
            started["run_id"],
            [self._row("1", [line("1", "TST-SI-10K", 2, "4000"), line("2", "NOPE")])],
            False,
            "page-x",
        )
        self.assertEqual(result["created"], 1)
        self.assertFalse(self.env["crm.external.invoice.line"].search(self.OURS))
        self.assertFalse(
            self.env["crm.customer.asset"].search(
                [("external_invoice_id.job_id.name", "=", "finance")]
            )
        )
        self.assertFalse(
            self.env["crm.sync.issue"].search(
                [("job_id.name", "=", "finance"), ("record_key", "like", "ext:%")]
            )
        )

    def test_lines_access_like_invoices(self):
        self._import([self._row("1", [line("1", "TST-SI-10K")])])
        Line = self.env["crm.external.invoice.line"]
        self.assertFalse(Line.with_user(self.salesman).has_access("read"))
        billing = new_test_user(
            self.env, login="rel_billing_lines", groups="account.group_account_invoice"
        )
        ours = [("invoice_id", "=", self._invoice("1").id)]
        self.assertEqual(len(Line.with_user(billing).search(ours)), 1)
        self.assertFalse(Line.with_user(billing).has_access("write"))
        # the invoice form opens for a billing user: lines and assets count
        invoice = self._invoice("1").with_user(billing)
        self.assertEqual(invoice.line_ids.product_code, "TST-SI-10K")
        self.assertEqual(invoice.asset_count, 1)
