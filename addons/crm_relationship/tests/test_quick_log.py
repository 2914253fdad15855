from freezegun import freeze_time

from odoo.tests import Form, tagged

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestQuickLog(CrmRelationshipCase):
    def _quick_log_form(self, action):
        self.assertEqual(action["target"], "new")
        self.assertEqual(action["res_model"], "crm.interaction")
        view_id = action["views"][0][0]
        model = self.env["crm.interaction"].with_user(self.salesman)
        return Form(model.with_context(**action["context"]), view=view_id)

    @freeze_time("2026-05-04 10:15:00")
    def test_log_call_from_customer(self):
        action = self.customer.with_user(self.salesman).action_log_interaction()
        with self._quick_log_form(action) as form:
            self.assertEqual(form.partner_id, self.customer)
            self.assertEqual(form.channel, "call")
            self.assertEqual(form.direction, "outbound")
            self.assertEqual(form.user_id, self.salesman)
            self.assertEqual(str(form.date), "2026-05-04 10:15:00")
            form.name = "Asked about the new price list"
            form.duration = 0.25
            form.outcome = "interested"
        interaction = form.record
        self.assertEqual(interaction.commercial_partner_id, self.customer)
        self.assertEqual(interaction.duration, 0.25)
        self.assertEqual(self.customer.interaction_count, 1)
        self.assertEqual(self.customer.last_contact_date, interaction.date)

    def test_logged_call_is_at_once_first_in_the_customer_history(self):
        action = self.customer.with_user(self.salesman).action_log_interaction()
        with self._quick_log_form(action) as form:
            form.name = "Asked for a copy of invoice INV/2026/00042"
        customer = self.customer.with_user(self.salesman)
        newest = customer.history_ids[:1]
        self.assertEqual(newest.res_model, "crm.interaction")
        self.assertEqual(newest.res_id, form.record.id)
        self.assertEqual(newest.title, "Asked for a copy of invoice INV/2026/00042")
        self.assertEqual(customer.last_contact_label, "Today")

    def test_log_from_contact_keeps_the_person(self):
        action = self.contact.with_user(self.salesman).action_log_interaction()
        with self._quick_log_form(action) as form:
            self.assertEqual(form.partner_id, self.customer)
            self.assertEqual(form.contact_id, self.contact)
            form.name = "Voicemail"
            form.outcome = "voicemail"
        self.assertEqual(form.record.contact_id, self.contact)

    def test_log_call_from_opportunity_with_followup(self):
        action = self.lead.with_user(self.salesman).action_log_interaction()
        meeting_type = self.env.ref("mail.mail_activity_data_meeting")
        with self._quick_log_form(action) as form:
            self.assertEqual(form.lead_id, self.lead)
            self.assertEqual(form.partner_id, self.customer)
            form.name = "Discussed the renewal"
            form.followup_activity_type_id = meeting_type
            form.followup_date = "2026-06-01"
            form.followup_summary = "Visit the site"
        self.assertEqual(self.lead.interaction_count, 1)
        activity = self.lead.activity_ids
        self.assertEqual(activity.activity_type_id, meeting_type)
        self.assertEqual(activity.summary, "Visit the site")
        self.assertEqual(activity.user_id, self.salesman)

    def test_changing_customer_clears_foreign_contact(self):
        action = self.contact.with_user(self.salesman).action_log_interaction()
        with self._quick_log_form(action) as form:
            form.partner_id = self.other_customer
            self.assertFalse(form.contact_id)
            form.name = "Wrong number"
        self.assertEqual(form.record.partner_id, self.other_customer)
