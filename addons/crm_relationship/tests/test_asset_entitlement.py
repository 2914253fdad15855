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
