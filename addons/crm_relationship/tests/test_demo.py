from unittest import SkipTest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemo(TransactionCase):
    """The demo reads like a real Israeli customer base (skipped without demo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref(
            "crm_relationship.partner_electra", raise_if_not_found=False
        ):
            raise SkipTest("the database has no demo data")

    def _demo(self, model):
        ids = (
            self.env["ir.model.data"]
            .search([("module", "=", "crm_relationship"), ("model", "=", model)])
            .mapped("res_id")
        )
        return self.env[model].browse(ids).exists()

    def test_tickets_name_the_company_and_the_person(self):
        tickets = self._demo("crm.service.ticket")
        self.assertTrue(tickets)
        for ticket in tickets:
            self.assertFalse(
                ticket.partner_id.parent_id,
                f"{ticket.name}: the customer is the company, not a person of it",
            )
            if ticket.partner_id.is_company:
                self.assertEqual(
                    ticket.contact_id.parent_id,
                    ticket.partner_id,
                    f"{ticket.name}: the person who asked is the contact",
                )

    def test_calls_and_meetings_take_time(self):
        timed = self._demo("crm.interaction").filtered(
            lambda i: i.channel in ("call", "meeting")
        )
        self.assertTrue(timed)
        for interaction in timed:
            self.assertGreater(interaction.duration, 0, interaction.name)
        meetings = timed.filtered(lambda i: i.channel == "meeting")
        self.assertTrue(all(m.duration >= 0.5 for m in meetings), "meetings last")

    def test_inbound_messages_are_the_customer_writing(self):
        inbound = self._demo("crm.interaction").filtered(
            lambda i: i.direction == "inbound"
        )
        self.assertTrue(inbound)
        for interaction in inbound:
            title = interaction.name.lower()
            self.assertNotIn(" sent", title, "an inbound email is not one we sent")
            self.assertNotIn("שליחת", title, "an inbound email is not one we sent")

    def test_israeli_time_zone_and_a_hebrew_portal_user_with_tickets(self):
        # (the admin's own zone becomes the browser's at the first login)
        self.assertEqual(self.env.ref("base.main_partner").tz, "Asia/Jerusalem")
        portal_user = self.env.ref("crm_relationship.user_electra_yael_portal")
        self.assertEqual(portal_user.lang, "he_IL")
        self.assertEqual(portal_user.tz, "Asia/Jerusalem")
        self.assertTrue(portal_user.share, "a portal user")
        tickets = self.env["crm.service.ticket"].with_user(portal_user).search([])
        self.assertGreaterEqual(len(tickets), 2)
        self.assertEqual(
            tickets.commercial_partner_id,
            self.env.ref("crm_relationship.partner_electra"),
        )

    def test_customer_documents_show_every_case(self):
        """Hebrew and English documents: some expiring within a month, one
        expired, one confidential, a contract with its successor, one of an
        installed asset."""
        documents = self._demo("crm.customer.document")
        names = documents.mapped("name")
        self.assertTrue(any(any("\u0590" <= c <= "\u05ff" for c in n) for n in names))
        self.assertTrue(any(n.isascii() for n in names))
        self.assertIn("expiring", documents.mapped("state"))
        self.assertIn("expired", documents.mapped("state"))
        self.assertIn("confidential", documents.mapped("confidentiality"))
        replaced = documents.filtered("successor_id")
        self.assertTrue(replaced)
        self.assertEqual(replaced[:1].state, "superseded")
        self.assertEqual(replaced[:1].successor_id.predecessor_id, replaced[:1])
        asset = self.env.ref("crm_relationship.asset_electra_manual")
        self.assertTrue(asset.customer_document_count)
