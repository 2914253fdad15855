from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_customer_form_in_hebrew_reads_right_to_left(self):
        """Hebrew is laid out right to left: Odoo built the RTL styles (it
        needs the rtlcss command) and the form is a mirror of the English one."""
        self.env["res.lang"]._activate_lang("he_IL")
        self.env.ref("base.user_admin").write({"lang": "he_IL", "tz": "Asia/Jerusalem"})
        customer = self.env["res.partner"].create(
            {"name": "אלקטרה שירותים בע״מ", "is_company": True, "city": "חיפה"}
        )
        # built here rather than while the tour waits (rtlcss takes seconds)
        for bundle_name in ("web.assets_web", "web.assets_web_print"):
            self.env["ir.qweb"]._get_asset_bundle(bundle_name, js=False, rtl=True).css()
        self.start_tour(
            f"/odoo/contacts/{customer.id}", "crm_relationship_rtl_tour", login="admin"
        )

    def test_history_tab_and_the_financial_history_in_one_click(self):
        self.env.ref("base.user_admin").tz = "Asia/Jerusalem"
        customer = self.env["res.partner"].create(
            {"name": "History Tour Ltd", "is_company": True}
        )
        now = fields.Datetime.now()
        Interaction = self.env["crm.interaction"]
        Interaction.create(
            {
                "partner_id": customer.id,
                "name": "Asked for a discount",
                "date": now - timedelta(days=3),
            }
        )
        Interaction.create(
            {
                "partner_id": customer.id,
                "name": "First call",
                "date": now - timedelta(days=10),
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.id,
                "invoice_date": fields.Date.today() - timedelta(days=5),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Service", "price_unit": 1200, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_relationship_history_tab_tour",
            login="admin",
        )

    def test_log_call_and_see_it_in_history(self):
        new_test_user(
            self.env,
            login="rel_tour",
            name="Tour Salesman",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Customer Ltd", "is_company": True}
        )
        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_relationship_log_call_tour",
            login="rel_tour",
        )
        interaction = self.env["crm.interaction"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(
            interaction.name,
            "Called about invoice INV/2026/00042 and the renewal of the "
            "maintenance plan",
        )
        self.assertEqual(interaction.user_id.login, "rel_tour")

    def test_agent_answers_a_ticket_and_the_first_response_is_met(self):
        agent = new_test_user(
            self.env,
            login="rel_tour_agent",
            name="Tour Agent",
            groups="crm_relationship.group_user",
        )
        self.env["crm.sla.policy"].search([]).active = False
        team = self.env["crm.service.team"].create(
            {
                "name": "Tour Team",
                "resource_calendar_id": self.env.ref(
                    "crm_relationship.resource_calendar_sun_thu"
                ).id,
            }
        )
        self.env["crm.sla.policy"].create(
            {"name": "Tour policy", "team_id": team.id, "first_response_hours": 8}
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Customer", "email": "tour@example.com"}
        )
        ticket = self.env["crm.service.ticket"].create(
            {
                "name": "Tour ticket",
                "partner_id": customer.id,
                "team_id": team.id,
                "user_id": agent.id,
            }
        )
        self.start_tour(
            f"/odoo/action-crm_relationship.crm_service_ticket_action/{ticket.id}",
            "crm_relationship_answer_ticket_tour",
            login="rel_tour_agent",
        )
        self.assertTrue(ticket.first_response_at)
        self.assertEqual(ticket.sla_ids.status, "met")

    def test_manager_opens_the_service_dashboard(self):
        self.env["crm.sla.policy"].search([]).active = False
        team = self.env["crm.service.team"].create(
            {
                "name": "Dashboard Team",
                "resource_calendar_id": self.env.ref(
                    "crm_relationship.resource_calendar_mon_fri"
                ).id,
            }
        )
        self.env["crm.sla.policy"].create(
            {"name": "One hour", "team_id": team.id, "first_response_hours": 1}
        )
        ticket = self.env["crm.service.ticket"].create(
            {
                "name": "Late ticket",
                "partner_id": self.env["res.partner"].create({"name": "Late Ltd"}).id,
                "team_id": team.id,
                "opened_at": fields.Datetime.now() - timedelta(days=7),
            }
        )
        self.assertTrue(ticket.sla_breached)
        self.start_tour(
            "/odoo/action-crm_relationship.crm_service_team_action_dashboard",
            "crm_relationship_service_dashboard_tour",
            login="admin",
        )

    def test_upload_a_contract_and_see_it_in_the_history(self):
        new_test_user(
            self.env,
            login="rel_tour_documents",
            name="Tour Documents",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Documents Ltd", "is_company": True}
        )
        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_customer_document_tour",
            login="rel_tour_documents",
        )
        document = self.env["crm.customer.document"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(document.name, "Tour maintenance contract")
        self.assertEqual(
            document.type_id,
            self.env.ref("crm_relationship.crm_customer_document_type_contract"),
        )
        self.assertEqual(str(document.valid_until), "2099-12-31")
        self.assertEqual(document.message_main_attachment_id.name, "contract.pdf")
        self.assertEqual(document.state, "valid")

    def test_drop_several_files_on_the_customer_form(self):
        """Files dropped on the customer form become draft documents of the
        customer, one each; the documents list takes uploads as well."""
        new_test_user(
            self.env,
            login="rel_tour_drop",
            name="Tour Drop",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Drop Ltd", "is_company": True}
        )
        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_customer_document_drop_tour",
            login="rel_tour_drop",
        )
        documents = self.env["crm.customer.document"].search(
            [("partner_id", "=", customer.id)], order="id"
        )
        self.assertEqual(
            documents.mapped("name"), ["offer.pdf", "signed-order.pdf", "receipt.pdf"]
        )
        self.assertEqual(set(documents.mapped("state")), {"draft"})
        self.assertEqual(
            documents.message_main_attachment_id.mapped("name"),
            ["offer.pdf", "signed-order.pdf", "receipt.pdf"],
        )
        self.assertEqual(
            set(documents.message_main_attachment_id.mapped("res_model")),
            {"crm.customer.document"},
        )

    def test_accountant_posts_an_asset_invoice_and_sees_the_installed_base(self):
        new_test_user(
            self.env,
            login="rel_tour_accountant",
            name="Tour Accountant",
            groups="account.group_account_invoice,crm_relationship.group_user",
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Solar Ltd", "is_company": True}
        )
        inverter = self.env["product.product"].create(
            {
                "name": "Tour Inverter SI-10K",
                "is_customer_asset": True,
                "warranty_duration": 12,
                "warranty_unit": "month",
                "list_price": 9000,
                "taxes_id": [],
            }
        )
        self.start_tour(
            "/odoo/action-account.action_move_out_invoice_type/new",
            "crm_installed_base_invoice_tour",
            login="rel_tour_accountant",
        )
        asset = self.env["crm.customer.asset"].search(
            [("commercial_partner_id", "=", customer.id)]
        )
        self.assertEqual(asset.product_id, inverter)
        self.assertEqual(asset.source, "invoice")
        self.assertEqual(asset.coverage, "warranty")
