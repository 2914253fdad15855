from odoo.tests import tagged

from .common import CrmRelationshipCase

INCOMING_EMAIL = """Return-Path: <{email_from}>
To: sales@test.example.com
From: {email_from}
Subject: {subject}
Message-ID: {msg_id}
Date: Mon, 04 May 2026 09:30:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

שלום, can you send the updated quote?
"""


@tagged("post_install", "-at_install")
class TestEmailLogging(CrmRelationshipCase):
    def _receive(self, model, record, email_from, subject, msg_id):
        raw = INCOMING_EMAIL.format(
            email_from=email_from, subject=subject, msg_id=msg_id
        )
        return (
            self.env["mail.thread"]
            .sudo()
            .message_process(model, raw.encode(), thread_id=record.id)
        )

    def _interactions(self):
        return self.env["crm.interaction"].search(
            [("commercial_partner_id", "=", self.customer.id)]
        )

    def test_incoming_email_on_opportunity(self):
        self._receive(
            "crm.lead",
            self.lead,
            '"Yael Levi" <yael@electra.example.com>',
            "Updated quote please",
            "<quote-1@electra.example.com>",
        )
        interaction = self._interactions()
        self.assertEqual(len(interaction), 1)
        message = interaction.mail_message_id
        self.assertEqual(message.model, "crm.lead")
        self.assertEqual(message.res_id, self.lead.id)
        self.assertEqual(
            (interaction.channel, interaction.direction), ("email", "inbound")
        )
        self.assertEqual(interaction.name, "Updated quote please")
        self.assertEqual(interaction.lead_id, self.lead)
        self.assertEqual(interaction.contact_id, self.contact)
        self.assertEqual(interaction.user_id, self.salesman, "the lead's salesperson")
        self.assertIn("updated quote", interaction.summary)

    def test_same_email_processed_twice_is_logged_once(self):
        for _attempt in range(2):
            self._receive(
                "crm.lead",
                self.lead,
                "yael@electra.example.com",
                "Twice",
                "<twice@electra.example.com>",
            )
        self.assertEqual(len(self._interactions()), 1)
        message = self._interactions().mail_message_id
        again = self.env["crm.interaction"]._log_email_message(
            self.lead, message, self.customer
        )
        self.assertFalse(again)
        self.assertEqual(len(self._interactions()), 1)

    def test_incoming_email_on_customer(self):
        self._receive(
            "res.partner",
            self.customer,
            "office@electra.example.com",
            "Invoice question",
            "<invoice-q@electra.example.com>",
        )
        interaction = self._interactions()
        self.assertEqual(len(interaction), 1)
        self.assertEqual(interaction.direction, "inbound")
        self.assertFalse(interaction.lead_id)

    def test_outgoing_email_from_chatter(self):
        self.customer.with_user(self.salesman).message_post(
            body="Here is the quote you asked for.",
            subject="Your quote",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=self.contact.ids,
        )
        interaction = self._interactions()
        self.assertEqual(len(interaction), 1)
        self.assertEqual(
            (interaction.channel, interaction.direction), ("email", "outbound")
        )
        self.assertEqual(interaction.user_id, self.salesman)
        self.assertEqual(interaction.contact_id, self.contact)

        self.lead.with_user(self.salesman).message_post(
            body="Following up on the renewal.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        on_lead = self._interactions().filtered("lead_id")
        self.assertEqual(on_lead.name, self.lead.name, "no subject: the record's name")
        self.assertEqual(on_lead.direction, "outbound")

    def test_notes_and_notifications_are_not_interactions(self):
        self.customer.with_user(self.salesman).message_post(
            body="Internal: customer is price sensitive",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        self.lead.message_post(body="Stage changed", message_type="notification")
        self.lead._message_log(body="Logged by the system")
        self.assertFalse(self._interactions())

    def test_email_without_known_customer_is_kept(self):
        lead = self.env["crm.lead"].create({"name": "Web inquiry", "type": "lead"})
        self._receive(
            "crm.lead",
            lead,
            "stranger@unknown.example.com",
            "Do you ship to Eilat?",
            "<stranger@unknown.example.com>",
        )
        self.assertIn("Do you ship to Eilat?", lead.message_ids.mapped("subject"))
        self.assertFalse(
            self.env["crm.interaction"].search([("lead_id", "=", lead.id)]),
            "no customer, no interaction: the email itself stays on the lead",
        )
