from datetime import timedelta

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged

NO_MAIL = {"tracking_disable": True, "mail_create_nolog": True}


@tagged("post_install", "-at_install")
class TestAssetSpecsAndReports(TransactionCase):
    """Specifications per product category, the renewals report, bad input
    and the queries of the asset list and the customer form."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, **NO_MAIL))
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Arava Cooling Ltd", "is_company": True})
        cls.salesman = new_test_user(
            cls.env,
            login="specs_salesman",
            name="Shira Sales",
            groups="sales_team.group_sale_salesman",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="specs_salesman_2",
            name="Omer Sales",
            groups="sales_team.group_sale_salesman",
        )
        cls.customer.user_id = cls.salesman
        Category = cls.env["product.category"]
        cls.hvac = Category.create(
            {
                "name": "Air Conditioners",
                "asset_properties_definition": [
                    {"name": "model", "type": "char", "string": "Model"},
                    {"name": "capacity_btu", "type": "integer", "string": "BTU"},
                ],
            }
        )
        cls.ac = cls.env["product.product"].create(
            {
                "name": "Split AC 24000",
                "categ_id": cls.hvac.id,
                "is_customer_asset": True,
                "warranty_duration": 3,
                "warranty_unit": "year",
            }
        )
        cls.pump = cls.env["product.product"].create(
            {"name": "Pump P-3", "is_customer_asset": True}
        )
        Plan = cls.env["product.product"].with_context(default_type="service")
        cls.silver = Plan.create({"name": "Silver Care", "is_service_plan": True})
        cls.gold = Plan.create({"name": "Gold Care", "is_service_plan": True})

    def _asset(self, **values):
        return self.env["crm.customer.asset"].create(
            {
                "name": "AC, office",
                "partner_id": self.customer.id,
                "product_id": self.ac.id,
                **values,
            }
        )

    # ------------------------------------------------------------
    # Specifications
    # ------------------------------------------------------------

    def test_specs_are_defined_by_the_product_category(self):
        asset = self._asset(specs={"model": "ARX-24", "capacity_btu": 24000})
        self.assertEqual(asset.categ_id, self.hvac)
        specs = {
            prop["name"]: prop["value"] for prop in asset.read(["specs"])[0]["specs"]
        }
        self.assertEqual(specs, {"model": "ARX-24", "capacity_btu": 24000})
        pump = self._asset(name="Pump", product_id=self.pump.id)
        self.assertFalse(pump.read(["specs"])[0]["specs"])
        arch = self.env["crm.customer.asset"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn('name="specs"', arch)
        self.assertIn('name="product_attribute_value_ids"', arch)

    def test_product_attributes_are_shown(self):
        color = self.env["product.attribute"].create(
            {
                "name": "Colour",
                "value_ids": [
                    Command.create({"name": "White"}),
                    Command.create({"name": "Black"}),
                ],
            }
        )
        template = self.env["product.template"].create(
            {
                "name": "Wall AC",
                "is_customer_asset": True,
                "attribute_line_ids": [
                    Command.create(
                        {
                            "attribute_id": color.id,
                            "value_ids": [Command.set(color.value_ids.ids)],
                        }
                    )
                ],
            }
        )
        black = template.product_variant_ids.filtered(
            lambda p: p.product_template_attribute_value_ids.name == "Black"
        )
        asset = self._asset(product_id=black.id)
        self.assertEqual(asset.product_attribute_value_ids.name, "Black")

    # ------------------------------------------------------------
    # Renewals report
    # ------------------------------------------------------------

    def _plan(self, product, ends_in, price, state="active", user=None):
        today = fields.Date.context_today(self.env.user)
        end = today + timedelta(days=ends_in)
        return self.env["crm.service.plan"].create(
            {
                "name": product.name,
                "partner_id": self.customer.id,
                "user_id": (user or self.salesman).id,
                "product_id": product.id,
                "start_date": end - timedelta(days=364),
                "end_date": end,
                "price": price,
                "state": state,
            }
        )

    def test_renewals_due_with_revenue_at_risk(self):
        plans = (
            self._plan(self.silver, 10, 100)
            | self._plan(self.silver, 45, 200)
            | self._plan(self.gold, 75, 400)
            | self._plan(self.gold, 200, 800)
            | self._plan(self.gold, -5, 50, state="expiring")
        )
        self._plan(self.gold, 20, 999, state="draft")
        self._plan(self.gold, 20, 999, state="cancelled")
        self.env.flush_all()
        Report = self.env["crm.service.renewal.report"]
        domain = [("partner_id", "=", self.customer.id), ("outcome", "=", "open")]
        rows = Report.search(domain)
        self.assertEqual(rows.plan_id, plans)
        by_bucket = {
            bucket: (amount, count)
            for bucket, amount, count in Report._read_group(
                domain, ["due_bucket"], ["revenue_at_risk:sum", "__count"]
            )
        }
        self.assertEqual(
            by_bucket,
            {
                "overdue": (50, 1),
                "30": (100, 1),
                "60": (200, 1),
                "90": (400, 1),
                "later": (800, 1),
            },
        )
        self.assertEqual(
            rows.currency_id, self.env.company.currency_id, "company currency"
        )

    def test_renewal_rate_per_plan_and_salesperson(self):
        for product, state, user in (
            (self.silver, "renewed", self.salesman),
            (self.silver, "renewed", self.salesman),
            (self.silver, "expired", self.salesman),
            (self.gold, "expired", self.other_salesman),
            (self.gold, "renewed", self.other_salesman),
            (self.gold, "active", self.other_salesman),
        ):
            self._plan(product, -30, 100, state=state, user=user)
        self.env.flush_all()
        Report = self.env["crm.service.renewal.report"]
        domain = [("partner_id", "=", self.customer.id)]
        by_product = {
            group["product_id"][0]: group["renewal_rate"]
            for group in Report.read_group(domain, ["renewal_rate:avg"], ["product_id"])
        }
        self.assertAlmostEqual(by_product[self.silver.id], 200 / 3)
        self.assertAlmostEqual(by_product[self.gold.id], 50)
        by_user = {
            group["user_id"][0]: group["renewal_rate"]
            for group in Report.read_group(domain, ["renewal_rate:avg"], ["user_id"])
        }
        self.assertAlmostEqual(by_user[self.salesman.id], 200 / 3)
        self.assertAlmostEqual(by_user[self.other_salesman.id], 50)
        [total] = Report.read_group(domain, ["renewal_rate:avg"], [])
        self.assertAlmostEqual(total["renewal_rate"], 60)

    def test_report_views_open(self):
        for model in ("crm.service.renewal.report", "crm.asset.fault.report"):
            Report = self.env[model].with_user(self.salesman)
            for view_type in ("pivot", "graph", "list", "search"):
                self.assertTrue(Report.get_views([(False, view_type)]))
            self.assertIsInstance(Report.search_count([]), int)

    # ------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------

    def test_company_mismatch_is_refused(self):
        other_company = self.env["res.company"].create({"name": "Eilat Branch"})
        foreign_asset = (
            self.env["crm.customer.asset"]
            .with_company(other_company)
            .create(
                {
                    "name": "Branch AC",
                    "partner_id": self.customer.id,
                    "product_id": self.ac.id,
                    "company_id": other_company.id,
                }
            )
        )
        with self.assertRaisesRegex(UserError, "Covered Assets"):
            with self.cr.savepoint():
                self.env["crm.service.plan"].create(
                    {
                        "name": "Silver",
                        "partner_id": self.customer.id,
                        "product_id": self.silver.id,
                        "asset_ids": [Command.link(foreign_asset.id)],
                    }
                )
        self.assertFalse(self.env["crm.service.plan"].search([("name", "=", "Silver")]))

    # ------------------------------------------------------------
    # Queries
    # ------------------------------------------------------------

    def _add_assets(self, count):
        self.env["crm.customer.asset"].create(
            [
                {
                    "name": f"AC {index}",
                    "partner_id": self.customer.id,
                    "product_id": (self.ac, self.pump)[index % 2].id,
                    "serial_number": f"SN-{index:05d}",
                    "purchase_date": "2026-01-01",
                }
                for index in range(count)
            ]
        )
        self.env.flush_all()

    def _queries_to_open(self):
        """Queries of the customer form's asset figures and of the asset
        list's first page as the web client reads them (after a warm-up)."""
        Asset = self.env["crm.customer.asset"].with_user(self.salesman)
        arch = Asset.get_views([(False, "list")])["views"]["list"]["arch"]
        names = {node.get("name") for node in etree.fromstring(arch).iter("field")}
        list_spec = {
            name: {"fields": {"display_name": {}}}
            if Asset._fields[name].type == "many2one"
            else {}
            for name in names
        }
        partner_spec = {
            name: {}
            for name in (
                "display_name",
                "customer_asset_count",
                "customer_asset_covered_count",
                "service_plan_count",
            )
        }
        Partner = self.env["res.partner"].with_user(self.salesman)
        domain = [("commercial_partner_id", "=", self.customer.id)]
        counts = []
        for _run in range(2):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Partner.browse(self.customer.id).web_read(partner_spec)
            counts.append(self.cr.sql_log_count - before)
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            page = Asset.web_search_read(domain, list_spec, limit=80)
            counts.append(self.cr.sql_log_count - before)
        return counts[-2:], page

    def test_asset_list_and_customer_form_queries_do_not_grow(self):
        self._add_assets(10)
        queries_10, page = self._queries_to_open()
        self.assertEqual((len(page["records"]), page["length"]), (10, 10))
        self._add_assets(990)
        queries_1000, page = self._queries_to_open()
        self.assertEqual((len(page["records"]), page["length"]), (80, 1000))
        form_10, list_10 = queries_10
        form_1000, list_1000 = queries_1000
        self.assertEqual(form_1000, form_10)
        # a full page asks the total once more (SELECT COUNT), as every list
        self.assertEqual(list_1000, list_10 + 1)
