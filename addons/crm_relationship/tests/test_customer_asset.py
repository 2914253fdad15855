from datetime import date

import psycopg2
from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged, users
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestCustomerAsset(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Negev Solar Ltd", "is_company": True})
        cls.site = Partner.create(
            {"name": "Negev Solar, Dimona plant", "parent_id": cls.customer.id}
        )
        Product = cls.env["product.product"]
        cls.inverter = Product.create(
            {
                "name": "Solar Inverter SI-10K",
                "is_customer_asset": True,
                "asset_tracking": "unit",
                "warranty_duration": 12,
                "warranty_unit": "month",
            }
        )
        cls.cable = Product.create(
            {
                "name": "DC Cable (m)",
                "is_customer_asset": True,
                "asset_tracking": "line",
                "warranty_duration": 2,
                "warranty_unit": "year",
            }
        )
        cls.service = Product.create({"name": "Installation", "type": "service"})
        cls.salesman = new_test_user(
            cls.env,
            login="asset_salesman",
            groups="sales_team.group_sale_salesman",
        )
        cls.manager = new_test_user(
            cls.env,
            login="asset_manager",
            groups="sales_team.group_sale_manager",
        )

    def _invoice(self, lines, partner=None, invoice_date="2026-03-10", post=True):
        # sudo: the access tests run as a salesperson, who cannot invoice
        move = (
            self.env["account.move"]
            .sudo()
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": (partner or self.site).id,
                    "invoice_date": invoice_date,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "quantity": quantity,
                                "price_unit": price,
                                "tax_ids": [],
                            }
                        )
                        for product, quantity, price in lines
                    ],
                }
            )
        )
        if post:
            move.action_post()
        return move

    def _assets(self, moves):
        return (
            self.env["crm.customer.asset"]
            .with_context(active_test=False)
            .search([("move_id", "in", moves.ids)], order="id")
        )

    def test_posting_creates_assets_per_unit_and_per_line(self):
        invoice = self._invoice(
            [(self.inverter, 3, 8900), (self.cable, 40, 12), (self.service, 1, 500)]
        )
        assets = self._assets(invoice)
        inverters = assets.filtered(lambda a: a.product_id == self.inverter)
        cables = assets.filtered(lambda a: a.product_id == self.cable)
        self.assertEqual(len(inverters), 3)
        self.assertEqual(inverters.mapped("quantity"), [1, 1, 1])
        self.assertEqual(len(cables), 1)
        self.assertEqual(cables.quantity, 40)
        self.assertEqual(len(assets), 4, "a service line creates no asset")
        first = inverters[0]
        self.assertEqual(first.commercial_partner_id, self.customer)
        self.assertEqual(first.partner_id, self.site)
        self.assertEqual(first.price_unit, 8900)
        self.assertEqual(first.currency_id, invoice.currency_id)
        self.assertEqual(first.purchase_date, date(2026, 3, 10))
        self.assertEqual(first.warranty_start_date, date(2026, 3, 10))
        self.assertEqual(first.warranty_end_date, date(2027, 3, 9))
        self.assertEqual(cables.warranty_end_date, date(2028, 3, 9))
        self.assertEqual(first.source, "invoice")
        self.assertEqual(set(assets.mapped("state")), {"active"})

    def test_reset_to_draft_and_repost_creates_nothing_new(self):
        invoice = self._invoice([(self.inverter, 2, 8900)])
        before = self._assets(invoice)
        invoice.button_draft()
        invoice.action_post()
        invoice.button_draft()
        invoice.action_post()
        self.assertEqual(self._assets(invoice), before)
        self.assertEqual(len(before), 2)

    def test_draft_invoice_creates_no_asset(self):
        invoice = self._invoice([(self.inverter, 2, 8900)], post=False)
        self.assertFalse(self._assets(invoice))

    def test_same_source_key_twice_is_refused(self):
        invoice = self._invoice([(self.cable, 5, 12)])
        asset = self._assets(invoice)
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
        ):
            asset.copy({"source_key": asset.source_key})

    def _credit_note(self, invoice, quantities):
        reversal = invoice._reverse_moves()
        for line, quantity in zip(reversal.invoice_line_ids, quantities, strict=True):
            line.quantity = quantity
        reversal.action_post()
        return reversal

    def test_credit_note_marks_the_reversed_quantity_returned(self):
        invoice = self._invoice([(self.inverter, 3, 8900), (self.cable, 40, 12)])
        refund = self._credit_note(invoice, [2, 10])
        assets = self._assets(invoice)
        inverters = assets.filtered(lambda a: a.product_id == self.inverter)
        self.assertEqual(inverters.mapped("state"), ["returned", "returned", "active"])
        cable = assets.filtered(lambda a: a.product_id == self.cable)
        self.assertEqual(cable.returned_quantity, 10)
        self.assertEqual(cable.state, "active")
        # posting the credit note again counts nothing twice
        refund.button_draft()
        refund.action_post()
        self.assertEqual(cable.returned_quantity, 10)
        self.assertEqual(inverters.mapped("state"), ["returned", "returned", "active"])
        # a second credit note for the rest returns the rest
        self._credit_note(invoice, [1, 30])
        self.assertEqual(set(assets.mapped("state")), {"returned"})

    def test_cancelling_the_invoice_retires_its_assets(self):
        invoice = self._invoice([(self.inverter, 2, 8900)])
        other = self._invoice([(self.inverter, 1, 8900)])
        invoice.button_draft()
        invoice.button_cancel()
        self.assertEqual(set(self._assets(invoice).mapped("state")), {"retired"})
        self.assertEqual(self._assets(other).state, "active")
        self.assertEqual(self._assets(invoice).mapped("coverage"), ["none", "none"])

    def test_backfill_creates_missing_assets_once(self):
        invoice = self._invoice([(self.inverter, 2, 8900), (self.cable, 3, 12)])
        refund = self._credit_note(invoice, [1, 0])
        self._assets(invoice).unlink()  # as if posted before the addon
        Asset = self.env["crm.customer.asset"]
        created = Asset._backfill_from_invoices(batch_size=1)
        self.assertEqual(created, 3)
        assets = self._assets(invoice)
        self.assertEqual(
            sorted(assets.mapped("state")), ["active", "active", "returned"]
        )
        self.assertEqual(assets.return_line_ids.move_id, refund)
        self.assertEqual(Asset._backfill_from_invoices(), 0)

    def test_backfill_button_for_managers_only(self):
        Asset = self.env["crm.customer.asset"]
        with self.assertRaises(AccessError):
            Asset.with_user(self.salesman).action_backfill_from_invoices()
        action = Asset.with_user(self.manager).action_backfill_from_invoices()
        self.assertEqual(action["tag"], "display_notification")

    def test_coverage_follows_the_calendar(self):
        with freeze_time("2026-03-10"):
            invoice = self._invoice([(self.inverter, 1, 8900)])
            asset = self._assets(invoice)
            self.assertEqual(asset.coverage, "warranty")
            self.assertEqual(asset.coverage_end_date, date(2027, 3, 9))
            self.assertEqual(asset.coverage_label, "In warranty until 03/09/2027")
        with freeze_time("2027-03-09"):
            self.env["crm.customer.asset"]._cron_refresh_coverage()
            self.assertEqual(asset.coverage, "warranty")
        with freeze_time("2027-03-10"):
            self.env["crm.customer.asset"]._cron_refresh_coverage()
            asset.invalidate_recordset()
            self.assertEqual(asset.coverage, "none")
            self.assertFalse(asset.coverage_end_date)
            self.assertEqual(asset.coverage_label, "Not covered")
            # extending the warranty by hand covers it again at once
            asset.warranty_end_date = date(2027, 6, 30)
            self.assertEqual(asset.coverage, "warranty")

    def test_partner_counts_assets_and_covered(self):
        with freeze_time("2026-03-10"):
            self._invoice([(self.inverter, 2, 8900)], invoice_date="2024-01-01")
            self._invoice([(self.cable, 5, 12)])
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.customer_asset_count, 3)
            self.assertEqual(self.customer.customer_asset_covered_count, 1)
            self.assertEqual(self.site.customer_asset_count, 3)
            action = self.site.action_view_customer_assets()
            self.assertEqual(
                self.env["crm.customer.asset"].search_count(action["domain"]), 3
            )

    def test_history_shows_purchase_and_warranty_end(self):
        invoice = self._invoice([(self.cable, 5, 12)])
        asset = self._assets(invoice)
        rows = self.env["crm.customer.timeline"].search(
            [("res_model", "=", "crm.customer.asset"), ("res_id", "=", asset.id)]
        )
        self.assertEqual(
            sorted((row.kind, row.date.date()) for row in rows),
            [
                ("asset_purchased", date(2026, 3, 10)),
                ("warranty_end", date(2028, 3, 9)),
            ],
        )
        self.assertEqual(rows.partner_id, self.customer)
        purchased = rows.filtered(lambda r: r.kind == "asset_purchased")
        self.assertEqual(purchased.amount, 60)

    def test_bad_input_names_the_field(self):
        Asset = self.env["crm.customer.asset"]
        values = {"name": "Inverter", "partner_id": self.site.id}
        values["product_id"] = self.inverter.id
        cases = [
            (
                {
                    "warranty_start_date": "2026-05-01",
                    "warranty_end_date": "2026-04-30",
                },
                "Warranty End",
            ),
            ({"quantity": -1}, "Quantity"),
            ({"price_unit": -5}, "Unit Price"),
        ]
        for bad, field_label in cases:
            with self.subTest(field=field_label):
                with self.assertRaisesRegex(ValidationError, field_label):
                    with self.cr.savepoint():
                        Asset.create({**values, **bad})
        other_company = self.env["res.company"].create({"name": "Other Company"})
        stranger = self.env["res.partner"].create(
            {"name": "Other company's customer", "company_id": other_company.id}
        )
        with self.assertRaisesRegex(UserError, "Site / Contact"):
            with self.cr.savepoint():
                Asset.create({**values, "partner_id": stranger.id})
        with self.assertRaisesRegex(ValidationError, "Warranty Duration"):
            with self.cr.savepoint():
                self.inverter.warranty_duration = -3
        self.assertFalse(Asset.search([("name", "=", "Inverter")]))

    @users("asset_salesman")
    def test_salesperson_reads_but_does_not_edit(self):
        invoice = self._invoice([(self.cable, 5, 12)])
        asset = self._assets(invoice).with_user(self.env.user)
        self.assertEqual(asset.name, "DC Cable (m)")
        with self.assertRaises(AccessError):
            asset.serial_number = "X-1"
        with self.assertRaises(AccessError):
            asset.create(
                {"name": "New", "partner_id": self.site.id, "product_id": self.cable.id}
            )

    @users("asset_manager")
    def test_manager_edits(self):
        Asset = self.env["crm.customer.asset"]
        asset = Asset.create(
            {
                "name": "Inverter on the roof",
                "partner_id": self.site.id,
                "product_id": self.inverter.id,
                "purchase_date": "2026-01-15",
                "serial_number": "SI-0001",
            }
        )
        self.assertEqual(asset.source, "manual")
        self.assertEqual(asset.warranty_end_date, date(2027, 1, 14))
        asset.install_date = "2026-02-01"
        asset.state = "retired"
        self.assertEqual(asset.coverage, "none")

    def test_asset_list_query_count(self):
        self._invoice([(self.inverter, 20, 8900), (self.cable, 3, 12)])
        Asset = self.env["crm.customer.asset"].with_user(self.salesman)
        arch = Asset.get_views([(False, "list")])["views"]["list"]["arch"]
        names = {node.get("name") for node in etree.fromstring(arch).iter("field")}
        many2ones = {"commercial_partner_id", "partner_id", "product_id", "company_id"}
        specification = {
            name: {"fields": {"display_name": {}}} if name in many2ones else {}
            for name in names
        }
        self.env.invalidate_all()
        with self.assertQueryCount(13):
            result = Asset.web_search_read(
                [("commercial_partner_id", "=", self.customer.id)], specification
            )
        self.assertEqual(result["length"], 21)


@tagged("post_install", "-at_install")
class TestServicePlan(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, login="plan_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Galil Medical", "is_company": True, "user_id": cls.salesman.id}
        )
        cls.plan_product = cls.env["product.product"].create(
            {
                "name": "Gold Maintenance",
                "type": "service",
                "is_service_plan": True,
                "service_plan_term_months": 12,
                "renewal_lead_days": 30,
            }
        )

    def _plan(self, **values):
        return self.env["crm.service.plan"].create(
            {
                "name": "Gold",
                "partner_id": self.customer.id,
                "product_id": self.plan_product.id,
                "start_date": "2026-03-01",
                "price": 4800,
                "state": "active",
                **values,
            }
        )

    def _renewal_leads(self):
        return self.env["crm.lead"].search(
            [("partner_id", "=", self.customer.id), ("name", "like", "Renewal")]
        )

    def test_term_dates(self):
        plan = self._plan()
        self.assertEqual(plan.end_date, date(2027, 2, 28))
        self.assertEqual(plan.renewal_date, date(2027, 1, 29))
        leap = self._plan(start_date="2027-03-01")
        self.assertEqual(leap.end_date, date(2028, 2, 29))

    def test_one_renewal_opportunity_per_term(self):
        plan = self._plan()
        Plan = self.env["crm.service.plan"]
        with freeze_time("2027-01-28"):
            Plan._cron_renewals()
        self.assertFalse(plan.renewal_lead_id)
        with freeze_time("2027-01-29"):
            Plan._cron_renewals()
            Plan._cron_renewals()
        lead = self._renewal_leads()
        self.assertEqual(len(lead), 1)
        self.assertEqual(plan.renewal_lead_id, lead)
        self.assertEqual(plan.state, "expiring")
        self.assertEqual(lead.expected_revenue, 4800)
        self.assertEqual(lead.user_id, self.salesman)
        self.assertEqual(lead.date_deadline, date(2027, 2, 28))
        self.assertEqual(lead.tag_ids.name, "Renewal")

    def test_won_renewal_starts_the_next_term(self):
        plan = self._plan()
        with freeze_time("2027-02-01"):
            self.env["crm.service.plan"]._cron_renewals()
        plan.renewal_lead_id.action_set_won()
        self.assertEqual(plan.state, "renewed")
        following = plan.next_plan_id
        self.assertEqual(following.start_date, date(2027, 3, 1))
        self.assertEqual(following.end_date, date(2028, 2, 29))
        self.assertEqual(following.state, "active")
        self.assertEqual(following.previous_plan_id, plan)

    def test_lost_renewal_expires_with_the_reason(self):
        plan = self._plan()
        with freeze_time("2027-02-01"):
            self.env["crm.service.plan"]._cron_renewals()
        reason = self.env["crm.lost.reason"].create({"name": "Too expensive"})
        plan.renewal_lead_id.action_set_lost(lost_reason_id=reason.id)
        self.assertEqual(plan.state, "expired")
        self.assertEqual(plan.lost_reason_id, reason)
        self.assertFalse(plan.next_plan_id)

    def test_auto_renew_renews_without_opportunity(self):
        plan = self._plan(auto_renew=True)
        other = self._plan()
        with freeze_time("2027-03-01"):
            self.env["crm.service.plan"]._cron_renewals()
            self.env["crm.service.plan"]._cron_renewals()
        self.assertEqual(plan.state, "renewed")
        self.assertEqual(plan.next_plan_id.start_date, date(2027, 3, 1))
        self.assertFalse(plan.next_plan_id.next_plan_id)
        # the other plan's renewal opened even though the cron ran late; it
        # stays due until its opportunity is won or lost
        self.assertEqual(other.state, "expiring")
        self.assertEqual(self._renewal_leads(), other.renewal_lead_id)
        self.assertFalse(plan.renewal_lead_id)

    def test_bad_plan_input_names_the_field(self):
        for values, label in (
            ({"end_date": "2026-02-01"}, "End Date"),
            ({"price": -1}, "Price"),
        ):
            with self.subTest(field=label):
                with self.assertRaisesRegex(ValidationError, label):
                    with self.cr.savepoint():
                        self._plan(**values)

    def test_customer_form_and_history_show_plans(self):
        plan = self._plan(auto_renew=True)
        self._plan(state="cancelled")
        self.assertEqual(self.customer.service_plan_count, 1)
        self.assertEqual(self.customer.next_renewal_date, date(2027, 2, 28))
        with freeze_time("2027-03-01"):
            self.env["crm.service.plan"]._cron_renewals()
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.service_plan_count, 1)
        self.assertEqual(self.customer.next_renewal_date, date(2028, 2, 29))
        rows = self.env["crm.customer.timeline"].search(
            [("partner_id", "=", self.customer.id)], order="date, id"
        )
        self.assertEqual(
            [(row.kind, row.date.date(), row.res_id) for row in rows],
            [
                ("plan_started", date(2026, 3, 1), plan.id),
                ("plan_renewed", date(2027, 2, 28), plan.id),
                ("plan_started", date(2027, 3, 1), plan.next_plan_id.id),
            ],
        )

    def test_plan_covers_its_assets(self):
        product = self.env["product.product"].create(
            {"name": "Sterilizer", "is_customer_asset": True, "warranty_duration": 1}
        )
        asset = self.env["crm.customer.asset"].create(
            {
                "name": "Sterilizer",
                "partner_id": self.customer.id,
                "product_id": product.id,
                "purchase_date": "2024-01-01",
            }
        )
        Asset = self.env["crm.customer.asset"]
        with freeze_time("2026-06-01"):
            asset._compute_coverage()
            self.assertEqual(asset.coverage, "none")
            plan = self._plan(
                start_date="2026-07-01", asset_ids=[Command.link(asset.id)]
            )
            self.assertEqual(asset.coverage, "none", "the plan has not started")
            self.assertEqual(self.customer.customer_asset_covered_count, 0)
        with freeze_time("2026-07-01"):
            Asset._cron_refresh_coverage()
            asset.invalidate_recordset()
            self.assertEqual(asset.coverage, "plan")
            self.assertEqual(asset.coverage_plan_id, plan)
            self.assertEqual(asset.coverage_end_date, date(2027, 6, 30))
            self.assertEqual(asset.coverage_label, "Covered by Gold until 06/30/2027")
            self.customer.invalidate_recordset()
            self.assertEqual(self.customer.customer_asset_covered_count, 1)
        with freeze_time("2027-06-01"):
            self.env["crm.service.plan"]._cron_renewals()
            plan.renewal_lead_id.action_set_lost()
            self.assertEqual(plan.state, "expired")
            self.assertEqual(asset.coverage, "none")

    def test_uncovered_warranty_end_offers_the_default_plan_once(self):
        product = self.env["product.product"].create(
            {
                "name": "Sterilizer",
                "is_customer_asset": True,
                "warranty_duration": 12,
                "renewal_lead_days": 30,
                "default_service_plan_id": self.plan_product.id,
            }
        )
        Asset = self.env["crm.customer.asset"]
        values = {
            "name": "Sterilizer",
            "partner_id": self.customer.id,
            "product_id": product.id,
            "purchase_date": "2026-03-10",
        }
        first, second, covered = Asset.create([values, values, values])
        plan = self._plan(start_date="2026-03-10", asset_ids=[Command.link(covered.id)])
        Plan = self.env["crm.service.plan"]
        with freeze_time("2027-02-06"):
            Plan._cron_renewals()
        self.assertFalse(first.upsell_lead_id)
        with freeze_time("2027-02-07"):
            Plan._cron_renewals()
            Plan._cron_renewals()
        lead = first.upsell_lead_id
        self.assertTrue(lead)
        self.assertEqual(second.upsell_lead_id, lead)
        self.assertFalse(covered.upsell_lead_id)
        self.assertEqual(lead.expected_revenue, 2 * self.plan_product.lst_price)
        self.assertEqual(lead.user_id, self.salesman)
        self.assertEqual(lead.date_deadline, date(2027, 3, 9))
        self.assertEqual(
            self.env["crm.lead"].search(
                [("partner_id", "=", self.customer.id)], order="id"
            ),
            plan.renewal_lead_id | lead,
        )

    def test_invoiced_plan_starts_then_extends_once(self):
        def invoice(invoice_date):
            move = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": invoice_date,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": self.plan_product.id,
                                "quantity": 1,
                                "price_unit": 4800,
                                "tax_ids": [],
                            }
                        )
                    ],
                }
            )
            move.action_post()
            return move

        Plan = self.env["crm.service.plan"]
        first_invoice = invoice("2026-03-01")
        first = Plan.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(first), 1)
        self.assertEqual(first.state, "active")
        self.assertEqual(first.end_date, date(2027, 2, 28))
        self.assertEqual(first.price, 4800)
        first_invoice.button_draft()
        first_invoice.action_post()
        self.assertEqual(Plan.search([("partner_id", "=", self.customer.id)]), first)
        invoice("2027-01-15")
        second = first.next_plan_id
        self.assertEqual(second.start_date, date(2027, 3, 1))
        self.assertEqual(second.previous_plan_id, first)
        with freeze_time("2027-02-10"):
            Plan._cron_renewals()
        self.assertFalse(first.renewal_lead_id, "already renewed by the invoice")
        with freeze_time("2027-03-01"):
            Plan._cron_renewals()
        self.assertEqual(first.state, "renewed")
        self.assertEqual(second.state, "active")
