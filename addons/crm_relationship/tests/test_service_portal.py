import contextlib
from urllib.parse import unquote

from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestServicePortal(HttpCase):
    """The customer portal over HTTP: a customer sees only the tickets of its
    own company, opens new ones and replies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.company_partner = Partner.create(
            {"name": "חברת הדגמה בע״מ", "is_company": True}
        )
        cls.other_company = Partner.create({"name": "Other Ltd", "is_company": True})
        cls.portal_user = new_test_user(
            cls.env,
            login="rel_portal",
            password="rel_portal_pw1",
            name="Tamar Portal",
            email="tamar@demo.example.com",
            groups="base.group_portal",
        )
        cls.portal_user.partner_id.parent_id = cls.company_partner
        colleague = Partner.create(
            {"name": "Colleague", "parent_id": cls.company_partner.id}
        )
        Ticket = cls.env["crm.service.ticket"]
        cls.own_ticket = Ticket.create(
            {"name": "Our printer is broken", "partner_id": colleague.id}
        )
        cls.other_ticket = Ticket.create(
            {"name": "Secret other request", "partner_id": cls.other_company.id}
        )

    def setUp(self):
        super().setUp()
        self.authenticate("rel_portal", "rel_portal_pw1")

    def test_list_shows_only_the_company_tickets(self):
        response = self.url_open("/my/tickets")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Our printer is broken", response.text)
        self.assertNotIn("Secret other request", response.text)

    def test_detail_of_own_ticket(self):
        response = self.url_open(f"/my/tickets/{self.own_ticket.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.own_ticket.number, response.text)

    def test_other_customer_ticket_is_not_found(self):
        response = self.url_open(f"/my/tickets/{self.other_ticket.id}")
        self.assertEqual(response.status_code, 404, "not a silent redirect to /my")
        self.assertNotIn("Secret other request", response.text)
        self.assertNotIn(self.other_ticket.number, response.text)

    def test_missing_ticket_is_not_found(self):
        missing = self.env["crm.service.ticket"].search([], order="id desc", limit=1)
        response = self.url_open(f"/my/tickets/{missing.id + 1000}")
        self.assertEqual(response.status_code, 404)

    def test_signed_out_visitor_is_asked_to_sign_in(self):
        self.authenticate(None, None)
        response = self.url_open(
            f"/my/tickets/{self.own_ticket.id}", allow_redirects=False
        )
        self.assertIn(response.status_code, (302, 303))
        location = unquote(response.headers["Location"])
        self.assertIn("/web/login", location)
        self.assertIn(f"redirect=/my/tickets/{self.own_ticket.id}", location)

    def test_customer_without_tickets_opens_the_first_from_my_home(self):
        new_customer = self.env["res.partner"].create(
            {"name": "New Customer Ltd", "is_company": True}
        )
        user = new_test_user(
            self.env,
            login="rel_portal_first",
            name="First Time",
            email="first@new.example.com",
            groups="base.group_portal",
        )
        user.partner_id.parent_id = new_customer
        self.start_tour(
            "/my", "crm_relationship_portal_first_request_tour", login=user.login
        )
        ticket = self.env["crm.service.ticket"].search(
            [("name", "=", "Our first request")]
        )
        self.assertEqual(ticket.commercial_partner_id, new_customer)

    def test_demo_portal_user_follows_her_requests_in_hebrew(self):
        yael = self.env.ref(
            "crm_relationship.user_electra_yael_portal", raise_if_not_found=False
        )
        if not yael:
            self.skipTest("the database has no demo data")
        self.authenticate("yael", "yael")
        response = self.url_open("/my/tickets")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_rtl", response.text, "Hebrew, right to left")
        self.assertIn("קריאה חדשה", response.text, "New Request, in Hebrew")
        for xmlid in ("crm_service_ticket_demo_1", "crm_service_ticket_demo_6"):
            ticket = self.env.ref(f"crm_relationship.{xmlid}")
            self.assertIn(ticket.number, response.text)

    def test_other_customer_ticket_refused_by_the_orm(self):
        tickets = (
            self.env["crm.service.ticket"]
            .with_user(self.portal_user)
            .search([("id", "in", (self.own_ticket | self.other_ticket).ids)])
        )
        self.assertEqual(tickets, self.own_ticket)

    def test_new_ticket_from_the_portal(self):
        response = self.url_open(
            "/my/tickets/new",
            data={
                "name": "The screen flickers",
                "description": "Since Monday",
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200)
        ticket = self.env["crm.service.ticket"].search(
            [("name", "=", "The screen flickers")]
        )
        self.assertEqual(ticket.partner_id, self.portal_user.partner_id)
        self.assertEqual(ticket.commercial_partner_id, self.company_partner)
        self.assertIn(self.portal_user.partner_id, ticket.message_partner_ids)
        self.assertIn(ticket.number, response.text)
        first_team = self.env["crm.service.team"].search(
            [("company_id", "=", ticket.company_id.id)], limit=1
        )
        self.assertTrue(first_team)
        self.assertEqual(ticket.team_id, first_team, "its policies and leader apply")

    def test_new_ticket_without_title_is_refused_with_a_message(self):
        response = self.url_open(
            "/my/tickets/new",
            data={"name": "  ", "csrf_token": http.Request.csrf_token(self)},
        )
        self.assertIn("Please give your request a title", response.text)
        self.assertFalse(
            self.env["crm.service.ticket"].search([("description", "=", "x")])
        )

    def test_customer_reply_from_the_portal(self):
        response = self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "crm.service.ticket",
                "thread_id": self.own_ticket.id,
                "post_data": {"body": "Still broken today", "message_type": "comment"},
            },
        )
        self.assertTrue(response)
        self.assertIn(
            "Still broken today", "".join(self.own_ticket.message_ids.mapped("body"))
        )
        self.assertFalse(
            self.own_ticket.first_response_at, "a customer's message is no answer"
        )

    def test_reply_on_other_customer_ticket_is_refused(self):
        # refused either way: an error answer or nothing posted
        with contextlib.suppress(Exception):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "crm.service.ticket",
                    "thread_id": self.other_ticket.id,
                    "post_data": {"body": "Sneaky", "message_type": "comment"},
                },
            )
        self.assertNotIn(
            "Sneaky", "".join(self.other_ticket.message_ids.mapped("body"))
        )
