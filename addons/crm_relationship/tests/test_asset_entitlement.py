from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import ServiceTicketCase, local

OPENING = local("2026-11-19 10:00")


class AssetServiceCase(ServiceTicketCase):
    """Three printers of the customer: in warranty, out of warranty, and
    covered by a Gold plan entitling a one-hour SLA policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.printer = Product.create(
            {
                "name": "Laser Printer LP-500",
                "is_customer_asset": True,
                "warranty_duration": 12,
                "warranty_unit": "month",
            }
        )
        cls.gold_product = Product.create(
            {
                "name": "Gold Maintenance",
                "type": "service",
                "is_service_plan": True,
                "service_plan_term_months": 12,
            }
        )
        cls.gold = cls.env["crm.sla.policy"].create(
            {
                "name": "Gold: one hour",
                "plan_only": True,
                "first_response_hours": 1,
                "resolution_hours": 8,
            }
        )
        Asset = cls.env["crm.customer.asset"]
        with freeze_time("2026-11-19"):
            cls.new_printer = Asset.create(
                {
                    "name": "Printer, 2nd floor",
                    "partner_id": cls.contact.id,
                    "product_id": cls.printer.id,
                    "purchase_date": "2026-06-01",
                    "serial_number": "LP-0001",
                }
            )
            cls.old_printer = Asset.create(
                {
                    "name": "Printer, lobby",
                    "partner_id": cls.customer.id,
                    "product_id": cls.printer.id,
                    "purchase_date": "2023-01-10",
                }
            )
            cls.planned_printer = Asset.create(
                {
                    "name": "Printer, accounting",
                    "partner_id": cls.customer.id,
                    "product_id": cls.printer.id,
                    "purchase_date": "2022-03-01",
                }
            )
            cls.plan = cls.env["crm.service.plan"].create(
                {
                    "name": "Gold Maintenance",
                    "partner_id": cls.customer.id,
                    "product_id": cls.gold_product.id,
                    "asset_ids": [Command.link(cls.planned_printer.id)],
                    "start_date": "2026-01-01",
                    "state": "active",
                    "sla_policy_id": cls.gold.id,
                }
            )


@tagged("post_install", "-at_install")
class TestAssetEntitlement(AssetServiceCase):
    """Tickets know the asset, its coverage, and the SLA its plan entitles."""

    def _policies(self, ticket):
        return ticket.sla_ids.policy_id

    def test_coverage_shown_on_the_ticket(self):
        in_warranty = self._ticket(OPENING, asset_id=self.new_printer.id)
        self.assertEqual(in_warranty.asset_coverage, "warranty")
        self.assertIn("In warranty until", in_warranty.asset_coverage_label)
        planned = self._ticket(OPENING, asset_id=self.planned_printer.id)
        self.assertEqual(planned.asset_coverage, "plan")
        self.assertIn("Covered by Gold Maintenance until", planned.asset_coverage_label)
        uncovered = self._ticket(OPENING, asset_id=self.old_printer.id)
        self.assertEqual(uncovered.asset_coverage, "none")
        self.assertEqual(uncovered.asset_coverage_label, "Not covered")
        # the asset's product is the ticket's product
        self.assertEqual(uncovered.product_id, self.printer)
        arch = self.env["crm.service.ticket"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn('name="not_covered"', arch)
        self.assertIn("asset_coverage_label", arch)

    def test_form_takes_the_product_from_the_asset(self):
        with freeze_time(OPENING):
            form = Form(self.env["crm.service.ticket"])
            form.name = "Paper jam"
            form.partner_id = self.contact
            form.team_id = self.team
            form.asset_id = self.old_printer
            self.assertEqual(form.product_id, self.printer)
            self.assertEqual(form.asset_coverage, "none")
            ticket = form.save()
        self.assertEqual(ticket.asset_id, self.old_printer)

    def test_asset_of_another_customer_is_refused(self):
        with freeze_time("2026-11-19"):
            foreign = self.env["crm.customer.asset"].create(
                {
                    "name": "Their printer",
                    "partner_id": self.other_customer.id,
                    "product_id": self.printer.id,
                }
            )
        with self.assertRaisesRegex(ValidationError, "Asset"):
            with self.cr.savepoint():
                self._ticket(OPENING, asset_id=foreign.id)
        ticket = self._ticket(OPENING, asset_id=self.new_printer.id)
        with self.assertRaisesRegex(ValidationError, "Their printer"):
            with self.cr.savepoint():
                ticket.asset_id = foreign
        self.assertEqual(ticket.asset_id, self.new_printer)

    def test_plan_policy_comes_before_the_team_defaults(self):
        planned = self._ticket(OPENING, asset_id=self.planned_printer.id)
        self.assertEqual(self._policies(planned), self.gold)
        first_response = self._sla(planned, "first_response")
        # Thursday 10:00 + one working hour
        self.assertEqual(first_response.deadline, local("2026-11-19 11:00"))
        # no plan: the team's policy; a plan-only policy is never a default
        for asset in (self.new_printer, self.old_printer):
            ticket = self._ticket(OPENING, asset_id=asset.id)
            self.assertEqual(self._policies(ticket), self.policy)
        no_asset = self._ticket(OPENING)
        self.assertEqual(self._policies(no_asset), self.policy)

    def test_plan_not_running_at_the_opening_entitles_nothing(self):
        before_plan = self._ticket(
            local("2025-12-30 10:00"), asset_id=self.planned_printer.id
        )
        self.assertEqual(self._policies(before_plan), self.policy)
        self.plan.action_cancel()
        ticket = self._ticket(OPENING, asset_id=self.planned_printer.id)
        self.assertEqual(self._policies(ticket), self.policy)

    def test_open_tickets_follow_a_change_of_entitlement(self):
        ticket = self._ticket(OPENING, asset_id=self.new_printer.id)
        self.assertEqual(self._policies(ticket), self.policy)
        with freeze_time(local("2026-11-19 10:30")):
            self.plan.asset_ids = [Command.link(self.new_printer.id)]
        self.assertEqual(self._policies(ticket), self.gold)
        with freeze_time(local("2026-11-19 10:45")):
            self.plan.sla_policy_id = False
        self.assertEqual(self._policies(ticket), self.policy)
        # moving the ticket to another asset changes its policy as well
        with freeze_time(local("2026-11-19 10:50")):
            self.plan.sla_policy_id = self.gold
            ticket.asset_id = self.old_printer
        self.assertEqual(self._policies(ticket), self.policy)
        with freeze_time(local("2026-11-19 10:55")):
            ticket.asset_id = self.planned_printer
        self.assertEqual(self._policies(ticket), self.gold)

    def test_next_term_keeps_the_entitlement(self):
        with freeze_time("2027-01-01"):
            next_plan = self.plan._create_next_terms()
        self.assertEqual(next_plan.sla_policy_id, self.gold)
        self.assertEqual(next_plan.start_date, date(2027, 1, 1))
        ticket = self._ticket(
            local("2027-02-01 10:00"), asset_id=self.planned_printer.id
        )
        self.assertEqual(self._policies(ticket), self.gold)


@tagged("post_install", "-at_install")
class TestPlanCoveringProducts(AssetServiceCase):
    """A plan covering all the customer's assets of given products: those
    there and those bought later, with the entitlement of named assets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.scanner = Product.create(
            {"name": "Scanner SC-20", "is_customer_asset": True}
        )
        with freeze_time("2026-11-19"):
            cls.scanner_asset = cls.env["crm.customer.asset"].create(
                {
                    "name": "Scanner, reception",
                    "partner_id": cls.customer.id,
                    "product_id": cls.scanner.id,
                    "purchase_date": "2025-05-01",
                }
            )
            cls.their_printer = cls.env["crm.customer.asset"].create(
                {
                    "name": "Their printer",
                    "partner_id": cls.other_customer.id,
                    "product_id": cls.printer.id,
                    "purchase_date": "2025-05-01",
                }
            )

    def _printer_plan(self, **values):
        with freeze_time("2026-11-19"):
            return self.env["crm.service.plan"].create(
                {
                    "name": "Gold for all printers",
                    "partner_id": self.customer.id,
                    "product_id": self.gold_product.id,
                    "coverage_scope": "products",
                    "covered_product_ids": [Command.link(self.printer.id)],
                    "start_date": "2026-11-01",
                    "state": "active",
                    "sla_policy_id": self.gold.id,
                    **values,
                }
            )

    def _new_printer(self, name="Printer, warehouse"):
        with freeze_time("2026-11-19"):
            return self.env["crm.customer.asset"].create(
                {
                    "name": name,
                    "partner_id": self.contact.id,
                    "product_id": self.printer.id,
                    "purchase_date": "2021-01-01",
                }
            )

    def test_plan_covers_the_customers_assets_of_its_products(self):
        plan = self._printer_plan()
        self.assertEqual(
            plan.asset_ids,
            self.new_printer | self.old_printer | self.planned_printer,
            "every printer of the customer (a contact's too), no scanner, "
            "no printer of another customer",
        )
        self.assertEqual(self.old_printer.coverage, "plan")
        self.assertEqual(self.old_printer.coverage_plan_id, plan)
        self.assertEqual(self.scanner_asset.coverage, "none")
        ticket = self._ticket(OPENING, asset_id=self.old_printer.id)
        self.assertEqual(ticket.sla_ids.policy_id, self.gold)
        scanner_ticket = self._ticket(OPENING, asset_id=self.scanner_asset.id)
        self.assertEqual(scanner_ticket.sla_ids.policy_id, self.policy)

    def test_asset_bought_later_is_covered(self):
        plan = self._printer_plan()
        later = self._new_printer()
        self.assertIn(later, plan.asset_ids)
        self.assertEqual(later.coverage, "plan")
        self.assertIn("Covered by Gold for all printers", later.coverage_label)
        ticket = self._ticket(OPENING, asset_id=later.id)
        self.assertEqual(ticket.sla_ids.policy_id, self.gold)
        # an ended plan takes no new asset; its next term does
        with freeze_time("2027-11-01"):
            next_plan = plan._create_next_terms()
        self.assertEqual(next_plan.coverage_scope, "products")
        self.assertEqual(next_plan.covered_product_ids, self.printer)
        newest = self._new_printer("Printer, annex")
        self.assertIn(newest, next_plan.asset_ids)
        self.assertNotIn(newest, plan.asset_ids)

    def test_open_tickets_follow_the_covered_products(self):
        ticket = self._ticket(OPENING, asset_id=self.old_printer.id)
        self.assertEqual(ticket.sla_ids.policy_id, self.policy)
        with freeze_time(local("2026-11-19 10:30")):
            plan = self._printer_plan()
        self.assertEqual(ticket.sla_ids.policy_id, self.gold)
        with freeze_time(local("2026-11-19 10:45")):
            plan.covered_product_ids = self.scanner
        self.assertEqual(plan.asset_ids, self.scanner_asset)
        self.assertEqual(ticket.sla_ids.policy_id, self.policy)
        # a printer moved to another customer leaves the plan
        with freeze_time(local("2026-11-19 10:50")):
            plan.covered_product_ids = self.printer
            self.new_printer.partner_id = self.other_customer
        self.assertNotIn(self.new_printer, plan.asset_ids)
        self.assertIn(self.old_printer, plan.asset_ids)

    def test_named_assets_stay_as_named(self):
        self.assertEqual(self.plan.coverage_scope, "assets")
        later = self._new_printer()
        self.assertNotIn(later, self.plan.asset_ids)
        self.assertEqual(self.plan.asset_ids, self.planned_printer)

    def test_products_scope_needs_products(self):
        with self.assertRaisesRegex(ValidationError, "Covered Products"):
            with self.cr.savepoint():
                self._printer_plan(covered_product_ids=[])
        plan = self._printer_plan()
        with self.assertRaisesRegex(ValidationError, "Covered Products"):
            with self.cr.savepoint():
                plan.covered_product_ids = False

    def test_form_fills_the_coverage_from_the_plan_product(self):
        self.gold_product.write(
            {
                "service_plan_product_ids": [Command.link(self.printer.id)],
                "service_plan_sla_policy_id": self.gold.id,
            }
        )
        with freeze_time(OPENING):
            form = Form(self.env["crm.service.plan"])
            form.partner_id = self.customer
            form.product_id = self.gold_product
            self.assertEqual(form.coverage_scope, "products")
            self.assertEqual(form.sla_policy_id, self.gold)
            plan = form.save()
        self.assertEqual(plan.covered_product_ids, self.printer)
        self.assertEqual(
            plan.asset_ids,
            self.new_printer | self.old_printer | self.planned_printer,
        )


@tagged("post_install", "-at_install")
class TestAssetFaults(AssetServiceCase):
    """Fault count, last fault and MTBF per asset; faults per 100 installed
    units per month per product."""

    def test_asset_counts_its_faults_and_mtbf(self):
        question = self.env.ref("crm_relationship.crm_service_ticket_type_question")
        first = self._ticket(
            local("2026-09-01 10:00"),
            asset_id=self.new_printer.id,
            ticket_type_id=self.type_fault.id,
        )
        self._ticket(
            OPENING, asset_id=self.new_printer.id, ticket_type_id=self.type_fault.id
        )
        asked = self._ticket(
            local("2026-11-20 10:00"),
            asset_id=self.new_printer.id,
            ticket_type_id=question.id,
        )
        asset = self.new_printer
        self.assertEqual(asset.ticket_count, 3)
        self.assertEqual(asset.fault_count, 2)
        self.assertEqual(asset.last_fault_date, date(2026, 11, 19))
        with freeze_time("2026-11-30"):
            asset.invalidate_recordset(["service_days", "mtbf_days"])
            # 2026-06-01 to 2026-11-30: 182 days, two faults
            self.assertEqual(asset.service_days, 182)
            self.assertEqual(asset.mtbf_days, 91)
        # a question that turns out a fault counts; an archived ticket does not
        asked.ticket_type_id = self.type_fault
        self.assertEqual(asset.fault_count, 3)
        first.active = False
        self.assertEqual(asset.fault_count, 2)
        self.assertEqual(asset.last_fault_date, date(2026, 11, 20))
        self.assertFalse(self.old_printer.fault_count)
        self.assertFalse(self.old_printer.mtbf_days)
        action = asset.action_open_tickets()
        self.assertEqual(
            self.env["crm.service.ticket"].search(action["domain"]),
            asset.ticket_ids,
        )
        self.assertEqual(action["context"]["default_asset_id"], asset.id)

    def test_fault_type_flag_counts_past_tickets(self):
        question = self.env.ref("crm_relationship.crm_service_ticket_type_question")
        self._ticket(OPENING, asset_id=self.old_printer.id, ticket_type_id=question.id)
        self.assertEqual(self.old_printer.fault_count, 0)
        question.is_fault = True
        self.assertEqual(self.old_printer.fault_count, 1)

    def test_faults_per_100_units_per_month(self):
        for opened in ("2026-09-03 10:00", "2026-11-02 10:00", "2026-11-19 10:00"):
            self._ticket(
                local(opened),
                asset_id=self.old_printer.id,
                ticket_type_id=self.type_fault.id,
            )
        # a ticket naming the product without an asset counts for the product
        self._ticket(
            local("2026-10-05 10:00"),
            product_id=self.printer.id,
            ticket_type_id=self.type_fault.id,
        )
        self.env.flush_all()
        Report = self.env["crm.asset.fault.report"]
        domain = [
            ("product_id", "=", self.printer.id),
            ("month", ">=", "2026-09-01"),
            ("month", "<=", "2026-11-30"),
        ]
        rows = {row.month: row for row in Report.search(domain)}
        november = rows[date(2026, 11, 1)]
        self.assertEqual(november.installed_units, 3)
        self.assertEqual(november.fault_count, 2)
        self.assertAlmostEqual(november.fault_rate, 200 / 3)
        # the printer bought in June is in service from June on
        self.assertEqual(
            Report.search([("product_id", "=", self.printer.id)], order="month")[
                :1
            ].month,
            date(2022, 3, 1),
        )
        self.assertEqual(
            Report.search(
                [("product_id", "=", self.printer.id), ("month", "=", "2026-05-01")]
            ).installed_units,
            2,
        )
        # grouped: 4 faults over 9 unit-months, not the sum of monthly rates
        [total] = Report.read_group(
            domain,
            ["fault_rate:avg", "fault_count:sum", "installed_units:sum"],
            ["product_id"],
        )
        self.assertEqual(total["installed_units"], 9)
        self.assertEqual(total["fault_count"], 4)
        self.assertAlmostEqual(total["fault_rate"], 400 / 9)
        by_month = Report.read_group(
            domain, ["fault_rate:avg"], ["month:month"], lazy=False
        )
        self.assertEqual(len(by_month), 3)
        self.assertAlmostEqual(by_month[0]["fault_rate"], 100 / 3)

    def test_fault_report_views_open(self):
        Report = self.env["crm.asset.fault.report"].with_user(self.agent)
        for view_type in ("pivot", "graph", "list", "search"):
            self.assertTrue(Report.get_views([(False, view_type)]))
        self.assertEqual(
            self.env.ref("crm_relationship.crm_asset_fault_report_menu").parent_id,
            self.env.ref(
                "crm_relationship.crm_service_ticket_report_menu_faults"
            ).parent_id,
        )
