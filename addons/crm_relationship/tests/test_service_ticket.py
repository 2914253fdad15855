import importlib.util

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import convert_file, file_path

from .common import ServiceTicketCase, local

ALIAS_EMAIL = """Return-Path: <bounce@example.com>
To: {to}
From: {email_from}
Subject: {subject}
Message-ID: {msg_id}
{extra}Date: Thu, 19 Nov 2026 16:00:00 +0200
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

המדפסת לא עובדת since this morning.
"""


@tagged("post_install", "-at_install")
class TestServiceTicket(ServiceTicketCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.write(
            {"alias_name": "help", "alias_domain_id": cls.mail_alias_domain.id}
        )
        cls.alias_address = f"help@{cls.mail_alias_domain.name}"

    def _receive(self, email_from, subject, msg_id, extra=""):
        raw = ALIAS_EMAIL.format(
            to=self.alias_address,
            email_from=email_from,
            subject=subject,
            msg_id=msg_id,
            extra=extra,
        )
        with freeze_time(local("2026-11-19 16:00")):
            self.env["mail.thread"].sudo().message_process(False, raw.encode())
        return self.env["crm.service.ticket"].search([("name", "=", subject)])

    # ------------------------------------------------------------
    # Creation
    # ------------------------------------------------------------

    def test_number_and_defaults(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        self.assertTrue(ticket.number.startswith("TCK/"))
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertEqual(ticket.commercial_partner_id, self.customer)
        self.assertEqual(ticket.email_from, self.contact.email)
        self.assertEqual(ticket.access_url, f"/my/tickets/{ticket.id}")

    def test_email_to_alias_creates_a_ticket_and_replies_thread_into_it(self):
        ticket = self._receive(
            '"Yael Levi" <yael@electra.example.com>',
            "Printer down",
            "<printer-1@electra.example.com>",
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.partner_id, self.contact)
        self.assertEqual(ticket.opened_at, local("2026-11-19 16:00"))
        self.assertEqual(ticket.sla_ids.policy_id, self.policy)
        reply = ALIAS_EMAIL.format(
            to=self.alias_address,
            email_from='"Yael Levi" <yael@electra.example.com>',
            subject="Re: Printer down",
            msg_id="<printer-2@electra.example.com>",
            extra="In-Reply-To: <printer-1@electra.example.com>\n",
        )
        self.env["mail.thread"].sudo().message_process(False, reply.encode())
        self.assertEqual(
            self.env["crm.service.ticket"].search_count(
                [("commercial_partner_id", "=", self.customer.id)]
            ),
            1,
        )
        self.assertIn(
            "Re: Printer down", ticket.message_ids.mapped("subject"), "threaded"
        )
        self.assertFalse(ticket.first_response_at, "the customer's reply is no answer")

    def test_unknown_sender_gets_a_contact(self):
        ticket = self._receive(
            "Dov Stranger <dov@unknown.example.org>",
            "Who do I talk to?",
            "<stranger-1@unknown.example.org>",
        )
        self.assertIn("dov@unknown.example.org", ticket.email_from)
        self.assertEqual(ticket.partner_id.email, "dov@unknown.example.org")
        self.assertEqual(ticket.partner_id.name, "Dov Stranger")

    def test_unparsable_sender_keeps_the_address(self):
        ticket = self._receive(
            "not an address", "Broken sender", "<broken-1@unknown.example.org>"
        )
        self.assertEqual(len(ticket), 1, "the ticket is never lost")
        self.assertIn("not an address", ticket.email_from)
        self.assertFalse(ticket.partner_id)

    def test_ticket_from_a_logged_call(self):
        interaction = self._interaction(
            name="Printer fault reported by phone",
            direction="inbound",
            date=local("2026-11-19 15:00"),
        )
        with freeze_time(local("2026-11-19 15:10")):
            action = interaction.action_open_ticket()
        ticket = self.env["crm.service.ticket"].browse(action["res_id"])
        self.assertEqual(ticket.name, "Printer fault reported by phone")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.opened_at, local("2026-11-19 15:00"))
        self.assertEqual(interaction.ticket_id, ticket)
        self.assertEqual(ticket.interaction_count, 1)
        self.assertEqual(interaction.action_open_ticket()["res_id"], ticket.id)

    # ------------------------------------------------------------
    # First response
    # ------------------------------------------------------------

    def test_internal_note_is_not_a_response_but_a_reply_is(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        response = self._sla(ticket, "first_response")
        with freeze_time(local("2026-11-19 16:30")):
            ticket.with_user(self.agent).message_post(
                body="Checked the logs",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        self.assertFalse(ticket.first_response_at)
        self.assertEqual(response.status, "ongoing")
        with freeze_time(local("2026-11-19 17:00")):
            ticket.with_user(self.agent).message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(ticket.first_response_at, local("2026-11-19 17:00"))
        self.assertAlmostEqual(ticket.first_response_hours, 1.0, places=4)
        self.assertEqual(response.status, "met")
        self.assertEqual(response.reached_at, local("2026-11-19 17:00"))
        with freeze_time(local("2026-11-22 09:00")):
            ticket.with_user(self.agent).message_post(
                body="Any news?",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(ticket.first_response_at, local("2026-11-19 17:00"))

    def test_customer_message_is_not_a_response(self):
        portal_user = self._portal_user()
        ticket = self._ticket(local("2026-11-19 16:00"), partner_id=self.contact.id)
        with freeze_time(local("2026-11-19 16:30")):
            ticket.with_user(portal_user).message_post(
                body="Still broken",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertFalse(ticket.first_response_at)

    def test_outbound_call_on_the_ticket_is_a_response(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        with freeze_time(local("2026-11-22 09:00")):
            self._interaction(
                name="Called back",
                direction="outbound",
                ticket_id=ticket.id,
                date=local("2026-11-22 09:00"),
            )
        self.assertEqual(ticket.first_response_at, local("2026-11-22 09:00"))
        response = self._sla(ticket, "first_response")
        self.assertEqual(response.status, "met")
        self.assertAlmostEqual(ticket.first_response_hours, 2.0, places=4)

    def test_late_response_is_breached(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        with freeze_time(local("2026-11-22 11:30")):
            ticket.with_user(self.agent).message_post(
                body="Sorry for the wait",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(self._sla(ticket, "first_response").status, "breached")
        self.assertTrue(ticket.sla_breached)

    # ------------------------------------------------------------
    # Cron: risk and breach, once each
    # ------------------------------------------------------------

    def test_at_risk_and_breach_notify_once(self):
        ticket = self._ticket(local("2026-11-22 08:30"))
        Sla = self.env["crm.service.ticket.sla"]
        with freeze_time(local("2026-11-22 11:45")):  # 3.25 of 4 hours
            Sla._cron_refresh()
            Sla._cron_refresh()
        response = self._sla(ticket, "first_response")
        self.assertTrue(response.at_risk)
        self.assertTrue(ticket.sla_at_risk)
        self.assertEqual(ticket.sla_status, "at_risk")
        activities = ticket.activity_ids.filtered(lambda a: a.user_id == self.agent)
        self.assertEqual(len(activities), 1)
        self.assertIn("SLA at risk", activities.summary)
        with freeze_time(local("2026-11-22 12:31")):
            Sla._cron_refresh()
            Sla._cron_refresh()
        self.assertEqual(response.status, "breached")
        self.assertFalse(response.at_risk)
        self.assertEqual(ticket.sla_status, "breached")
        breach_messages = ticket.message_ids.filtered(
            lambda m: "SLA breached" in (m.body or "")
        )
        self.assertEqual(len(breach_messages), 1)
        digests = self.env["mail.message"].search(
            [
                ("partner_ids", "in", self.leader.partner_id.ids),
                ("subject", "ilike", "SLA breached"),
            ]
        )
        self.assertEqual(len(digests), 1, "the team leader is told once")
        self.assertIn(ticket.number, digests.body)
        self.assertEqual(
            len(ticket.activity_ids.filtered(lambda a: a.user_id == self.agent)), 1
        )
        self.assertIn(
            ticket,
            self.env["crm.service.ticket"].search([("sla_breached", "=", True)]),
        )

    # ------------------------------------------------------------
    # Policies
    # ------------------------------------------------------------

    def test_policy_matching(self):
        tag = self.env["res.partner.category"].create({"name": "VIP"})
        vip = self.env["crm.sla.policy"].create(
            {
                "name": "VIP urgent faults",
                "ticket_type_ids": [(4, self.type_fault.id)],
                "priority": "3",
                "partner_category_ids": [(4, tag.id)],
                "first_response_hours": 1,
            }
        )
        ticket = self._ticket(
            local("2026-11-19 16:00"), ticket_type_id=self.type_fault.id, priority="3"
        )
        self.assertNotIn(vip, ticket.sla_ids.policy_id, "customer not tagged")
        self.customer.category_id = tag
        ticket.priority = "2"
        self.assertNotIn(vip, ticket.sla_ids.policy_id, "priority too low")
        with freeze_time(local("2026-11-19 16:10")):
            ticket.priority = "3"
        self.assertIn(vip, ticket.sla_ids.policy_id)
        self.assertIn(self.policy, ticket.sla_ids.policy_id, "several policies apply")
        self.assertEqual(
            ticket.sla_ids.filtered(lambda s: s.policy_id == vip).deadline,
            local("2026-11-19 17:00"),
            "counted from the opening, not from the change",
        )

    def test_open_tickets_follow_new_and_changed_policies(self):
        ticket = self._ticket(local("2026-11-22 08:30"))
        answered = self._ticket(local("2026-11-22 08:30"), name="Answered")
        with freeze_time(local("2026-11-22 09:00")):
            answered.with_user(self.agent).message_post(
                body="Looking at it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with freeze_time(local("2026-11-22 10:00")):
            express = self.env["crm.sla.policy"].create(
                {"name": "Express", "first_response_hours": 2}
            )
        self.assertEqual(
            ticket.sla_ids.filtered(lambda s: s.policy_id == express).deadline,
            local("2026-11-22 10:30"),
            "a new policy counts from the opening",
        )
        # the target is raised at 10:00: 1.5 hours consumed, 2.5 to go
        with freeze_time(local("2026-11-22 10:00")):
            self.policy.first_response_hours = 5
        response = ticket.sla_ids.filtered(
            lambda s: s.policy_id == self.policy and s.target == "first_response"
        )
        self.assertEqual(response.target_hours, 5)
        self.assertEqual(response.deadline, local("2026-11-22 13:30"))
        met = answered.sla_ids.filtered(
            lambda s: s.policy_id == self.policy and s.target == "first_response"
        )
        self.assertEqual(met.status, "met", "what was decided stays")
        # an archived policy leaves the open tickets, its decided rows stay
        with freeze_time(local("2026-11-22 10:15")):
            self.policy.active = False
        self.assertNotIn(self.policy, ticket.sla_ids.policy_id)
        self.assertIn(met, answered.sla_ids)

    def test_bad_policies_are_refused_naming_the_field(self):
        Policy = self.env["crm.sla.policy"]
        cases = [
            ({"first_response_hours": -2}, "First Response"),
            ({"resolution_hours": 99999}, "Resolution"),
            ({}, "needs a target"),
            (
                {
                    "first_response_hours": 4,
                    "pause_stage_ids": [(4, self.stage_solved.id)],
                },
                "Pause Stages",
            ),
        ]
        for values, message in cases:
            with (
                self.subTest(values=values),
                self.assertRaises(ValidationError) as error,
            ):
                with self.env.cr.savepoint():
                    Policy.create({"name": "Bad", **values})
            self.assertIn(message, str(error.exception))
            self.assertIn("Bad", str(error.exception))

    def test_closing_stage_cannot_pause(self):
        with self.assertRaises(ValidationError) as error:
            self.stage_solved.is_pause = True
        self.assertIn("Pause Stage", str(error.exception))

    # ------------------------------------------------------------
    # History and forms
    # ------------------------------------------------------------

    def test_ticket_rows_in_the_customer_history(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        with freeze_time(local("2026-11-19 17:00")):
            ticket.with_user(self.agent).message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with freeze_time(local("2026-11-22 10:00")):
            ticket.stage_id = self.stage_solved
        rows = self.env["crm.customer.timeline"].search(
            [("res_model", "=", "crm.service.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(
            rows.mapped("kind"), ["ticket_closed", "ticket_response", "ticket"]
        )
        self.assertEqual(rows.partner_id, self.customer)
        self.assertEqual(rows[0].date, local("2026-11-22 10:00"))

    def test_closing_asks_for_a_rating(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        with self.mock_mail_gateway():
            ticket.stage_id = self.stage_solved
        self.assertEqual(len(ticket.rating_ids), 1)
        self.assertEqual(ticket.rating_ids.partner_id, self.contact)

    def test_form_flow(self):
        with freeze_time(local("2026-11-19 16:00")):
            form = Form(self.env["crm.service.ticket"].with_user(self.agent))
            form.name = "Screen flickers"
            form.partner_id = self.contact
            form.team_id = self.team
            ticket = form.save()
        self.assertEqual(ticket.email_from, self.contact.email)
        self.assertEqual(ticket.contact_id, self.contact)
        self.assertEqual(len(ticket.sla_ids), 2)

    def test_agent_cannot_tamper_with_sla_statuses(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        with self.assertRaises(AccessError):
            ticket.sla_ids.with_user(self.agent).write({"status": "met"})

    def test_response_logged_ahead_counts_when_its_time_comes(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        response = self._sla(ticket, "first_response")
        with freeze_time(local("2026-11-19 16:30")):
            self._interaction(
                name="Call back on Sunday",
                direction="outbound",
                ticket_id=ticket.id,
                date=local("2026-11-22 09:00"),
            )
            self.env["crm.service.ticket.sla"]._cron_refresh()
        self.assertFalse(ticket.first_response_at, "not answered yet")
        self.assertEqual(response.status, "ongoing")
        with freeze_time(local("2026-11-22 09:20")):
            self.env["crm.service.ticket.sla"]._cron_refresh()
        self.assertEqual(ticket.first_response_at, local("2026-11-22 09:00"))
        self.assertAlmostEqual(ticket.first_response_hours, 2.0, places=4)
        self.assertEqual(response.status, "met")
        self.assertEqual(response.reached_at, local("2026-11-22 09:00"))

    def test_policy_with_history_is_archived_not_deleted(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        with freeze_time(local("2026-11-19 17:00")):
            ticket.with_user(self.agent).message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        met = self._sla(ticket, "first_response")
        self.assertEqual(met.status, "met")
        late = self._ticket(local("2026-11-19 08:30"), name="Not answered")
        with freeze_time(local("2026-11-19 17:30")):
            idle_team = self.env["crm.service.team"].create({"name": "No tickets"})
            unused = self.env["crm.sla.policy"].create(
                {
                    "name": "Never used",
                    "team_id": idle_team.id,
                    "first_response_hours": 1,
                }
            )
            self.env["crm.service.ticket.sla"]._cron_refresh()
            breached = self._sla(late, "first_response")
            self.assertEqual(breached.status, "breached")
            (self.policy | unused).with_user(self.leader).unlink()
        self.assertFalse(unused.exists())
        self.assertTrue(self.policy.exists())
        self.assertFalse(self.policy.active)
        self.assertEqual(ticket.sla_ids, met, "the met row stays, the open one goes")
        self.assertEqual(ticket.sla_status, "met")
        self.assertEqual(late.sla_ids, breached, "a breach stays in the history")

    def test_agent_moves_the_opening_of_a_ticket_with_sla(self):
        ticket = self._ticket(local("2026-11-22 10:00"))
        self.assertEqual(len(ticket.sla_ids), 2)
        with freeze_time(local("2026-11-22 10:30")):
            ticket.with_user(self.agent).opened_at = local("2026-11-22 08:30")
        self.assertEqual(len(ticket.sla_ids), 2)
        self.assertEqual(
            self._sla(ticket, "first_response").deadline, local("2026-11-22 12:30")
        )

    def test_display_name_follows_number_and_title(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        self.assertEqual(ticket.display_name, f"{ticket.number} {ticket.name}")
        ticket.name = "Scanner jams"
        self.assertEqual(ticket.display_name, f"{ticket.number} Scanner jams")
        ticket.number = "TCK/IMPORTED/7"
        self.assertEqual(ticket.display_name, "TCK/IMPORTED/7 Scanner jams")
        ticket.partner_id = self.other_customer
        self.assertEqual(ticket.display_name, "TCK/IMPORTED/7 Scanner jams")

    def test_update_keeps_the_sla_cron_as_set(self):
        cron = self.env.ref("crm_relationship.ir_cron_crm_service_ticket_sla")
        cron.write({"interval_number": 1, "interval_type": "hours", "active": False})
        convert_file(
            self.env,
            "crm_relationship",
            "data/crm_service_ticket_data.xml",
            {},
            mode="update",
        )
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "hours"))
        self.assertFalse(cron.active)

    def test_migration_makes_the_sla_cron_noupdate(self):
        data = self.env["ir.model.data"].search(
            [
                ("module", "=", "crm_relationship"),
                ("name", "=", "ir_cron_crm_service_ticket_sla"),
            ]
        )
        data.noupdate = False
        data.flush_recordset()
        path = file_path("crm_relationship/migrations/18.0.1.2.0/post-sla.py")
        spec = importlib.util.spec_from_file_location("post_sla", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "18.0.1.1.0")
        data.invalidate_recordset()
        self.assertTrue(data.noupdate)

    def test_email_from_another_companys_customer_opens_a_ticket(self):
        theirs = self.env["res.partner"].create(
            {
                "name": "Yael at Company 2",
                "email": "yael.b@example.com",
                "company_id": self.company_2.id,
            }
        )
        ticket = self._receive(
            "Yael B <yael.b@example.com>", "Invoice copy", "<b-1@example.com>"
        )
        self.assertEqual(len(ticket), 1, "not bounced")
        self.assertEqual(ticket.company_id, self.company_a)
        self.assertNotEqual(ticket.partner_id, theirs)
        self.assertEqual(ticket.partner_id.email, "yael.b@example.com")
        mine = ticket.partner_id
        mine.company_id = self.company_a
        again = self._receive(
            "Yael B <yael.b@example.com>", "Second copy", "<b-2@example.com>"
        )
        self.assertEqual(again.partner_id, mine, "found in the alias's company")

    def test_email_from_a_colleague_has_no_customer(self):
        ticket = self._receive(
            "Rina Agent <rina@example.com>", "Customer called", "<rina-1@example.com>"
        )
        self.assertEqual(len(ticket), 1)
        self.assertFalse(ticket.partner_id)
        self.assertIn("rina@example.com", ticket.email_from)
        self.assertFalse(ticket.first_response_at, "opening it is no answer")

    def _portal_user(self):
        return new_test_user(
            self.env,
            login="rel_portal_yael",
            name="Yael Portal",
            groups="base.group_portal",
            partner_id=self.contact.id,
        )
