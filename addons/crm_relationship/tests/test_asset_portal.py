from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestAssetPortal(HttpCase):
    """/my/assets over HTTP: a customer sees the assets of its own commercial
    entity with their coverage, and names one of them in a request."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Galil Dairy Ltd", "is_company": True})
        cls.site = Partner.create(
            {"name": "Galil Dairy, Katzrin plant", "parent_id": cls.customer.id}
        )
        cls.other_customer = Partner.create(
            {"name": "Secret Rival Ltd", "is_company": True}
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="asset_portal",
            password="asset_portal_pw1",
            name="Noa Portal",
            email="noa@galil.example.com",
            groups="base.group_portal",
        )
        cls.portal_user.partner_id.parent_id = cls.customer
        chiller = cls.env["product.product"].create(
            {
                "name": "Milk Chiller MC-2",
                "is_customer_asset": True,
                "warranty_duration": 100,
                "warranty_unit": "year",
            }
        )
        Asset = cls.env["crm.customer.asset"]
        cls.own_asset = Asset.create(
            {
                "name": "Chiller, hall A",
                "partner_id": cls.site.id,
                "product_id": chiller.id,
                "serial_number": "MC2-0042",
                "purchase_date": "2026-01-05",
            }
        )
        cls.uncovered_asset = Asset.create(
            {
                "name": "Old pump",
                "partner_id": cls.customer.id,
                "product_id": cls.env["product.product"]
                .create({"name": "Pump P-1", "is_customer_asset": True})
                .id,
                "purchase_date": "2019-01-05",
            }
        )
        cls.other_asset = Asset.create(
            {
                "name": "Rival chiller",
                "partner_id": cls.other_customer.id,
                "product_id": chiller.id,
                "serial_number": "MC2-SECRET",
            }
        )

    def setUp(self):
        super().setUp()
        self.authenticate("asset_portal", "asset_portal_pw1")

    def test_list_shows_only_the_customer_assets_with_coverage(self):
        response = self.url_open("/my/assets")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Chiller, hall A", response.text)
        self.assertIn("Old pump", response.text)
        self.assertIn("In warranty until", response.text)
        self.assertIn("Not covered", response.text)
        self.assertNotIn("Rival chiller", response.text)
        self.assertNotIn("MC2-SECRET", response.text)
        filtered = self.url_open("/my/assets?filterby=not_covered")
        self.assertIn("Old pump", filtered.text)
        self.assertNotIn("Chiller, hall A", filtered.text)

    def test_detail_of_own_asset(self):
        ticket = self.env["crm.service.ticket"].create(
            {
                "name": "Chiller too warm",
                "partner_id": self.site.id,
                "asset_id": self.own_asset.id,
            }
        )
        response = self.url_open(f"/my/assets/{self.own_asset.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("MC2-0042", response.text)
        self.assertIn("In warranty until", response.text)
        self.assertIn(f"/my/tickets/new?asset_id={self.own_asset.id}", response.text)
        self.assertIn(ticket.number, response.text)

    def test_other_customer_asset_is_not_found(self):
        response = self.url_open(f"/my/assets/{self.other_asset.id}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("MC2-SECRET", response.text)
        self.assertNotIn("Rival chiller", response.text)
        missing = self.other_asset.id + 1000
        self.assertEqual(self.url_open(f"/my/assets/{missing}").status_code, 404)

    def test_home_counts_the_assets(self):
        response = self.url_open("/my")
        self.assertEqual(response.status_code, 200)
        self.assertIn("/my/assets", response.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["customer_asset_count"]}
        )
        self.assertEqual(counters["customer_asset_count"], 2)

    def test_request_names_one_of_the_customer_assets(self):
        form = self.url_open(f"/my/tickets/new?asset_id={self.own_asset.id}")
        self.assertIn("Chiller, hall A (MC2-0042)", form.text)
        self.assertNotIn("Rival chiller", form.text)
        response = self.url_open(
            "/my/tickets/new",
            data={
                "name": "Chiller makes noise",
                "asset_id": str(self.own_asset.id),
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200)
        ticket = self.env["crm.service.ticket"].search(
            [("name", "=", "Chiller makes noise")]
        )
        self.assertEqual(ticket.asset_id, self.own_asset)
        self.assertEqual(ticket.product_id, self.own_asset.product_id)
        self.assertIn("Chiller, hall A", response.text)

    def test_request_cannot_name_another_customer_asset(self):
        response = self.url_open(
            "/my/tickets/new",
            data={
                "name": "Sneaky request",
                "asset_id": str(self.other_asset.id),
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200)
        ticket = self.env["crm.service.ticket"].search(
            [("name", "=", "Sneaky request")]
        )
        self.assertTrue(ticket)
        self.assertFalse(ticket.asset_id)
        self.assertNotIn("Rival chiller", response.text)
