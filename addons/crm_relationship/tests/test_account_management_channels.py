from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import Form

TODAY = "2026-06-15 10:00:00"


class PreferredChannelTests:
    """Preferred channel and Do Not Contact By steer the quick log and the
    cadence activities (mixed into TestAccountManagement, whose customers
    and account manager they use)."""

    def _prefer(self, partner, category, value, **values):
        return self.env["crm.customer.preference"].create(
            {
                "partner_id": partner.id,
                "category": category,
                "topic": "Channel",
                "value": value,
                "valid_from": "2026-01-01",
                **values,
            }
        )

    def _quick_log(self, partner):
        action = partner.with_user(self.manager).action_log_interaction()
        model = self.env["crm.interaction"].with_user(self.manager)
        return Form(model.with_context(**action["context"]), view=action["views"][0][0])

    @freeze_time(TODAY)
    def test_quick_log_proposes_the_preferred_channel(self):
        self._prefer(self.big, "channel", "E-mail")
        self._prefer(self.mid, "do_not_contact", "Phone")
        with self._quick_log(self.big_contact) as form:
            self.assertEqual(form.channel, "email")
            self.assertFalse(form.channel_warning)
            form.name = "Sent the new price list"
        self.assertEqual(form.record.channel, "email")
        # no preferred channel and calls forbidden: the first allowed one
        with self._quick_log(self.mid) as form:
            self.assertEqual(form.channel, "email")
            self.assertFalse(form.channel_warning)
            form.name = "Sent the catalogue"
        # customers without preferences: a call, as before
        with self._quick_log(self.lapsing) as form:
            self.assertEqual(form.channel, "call")
            form.name = "Asked how things are"

    @freeze_time(TODAY)
    def test_forbidden_channel_warns_and_still_logs(self):
        self._prefer(self.mid, "do_not_contact", "Phone Call")
        with self._quick_log(self.mid) as form:
            form.channel = "call"
            self.assertEqual(
                form.channel_warning,
                "Middle Ltd asked not to be contacted by Phone Call.",
            )
            # the customer called us: nothing to warn about
            form.direction = "inbound"
            self.assertFalse(form.channel_warning)
            form.direction = "outbound"
            form.name = "Called all the same"
        interaction = form.record
        self.assertEqual(interaction.channel, "call")
        self.assertIn("asked not to be contacted", interaction.channel_warning)

    @freeze_time(TODAY)
    def test_forbidden_preferred_channel_is_never_proposed(self):
        self._prefer(self.big, "channel", "Phone")
        self._prefer(self.big, "do_not_contact", "call", topic="No calls")
        with self._quick_log(self.big) as form:
            self.assertNotEqual(form.channel, "call")
            form.name = "Wrote instead"

    @freeze_time(TODAY)
    def test_cadence_activity_follows_the_preferences(self):
        Activity = self.env["mail.activity"]
        call = self.env.ref("mail.mail_activity_data_call")
        email = self.env.ref("mail.mail_activity_data_email")
        # big (tier A, meetings): prefers email
        self._prefer(self.big, "channel", "Email")
        # mid (tier B, calls): no calls, no preferred channel
        self._prefer(self.mid, "do_not_contact", "phone")
        # lapsing: prefers WhatsApp, a chat: a to-do that says so
        self._prefer(self.lapsing, "channel", "WhatsApp")
        self._run()
        cadence = [("account_reason", "=", "cadence")]
        big = Activity.search([*cadence, ("res_id", "=", self.big.id)])
        self.assertEqual(big.activity_type_id, email)
        self.assertIn("(by Email)", big.summary)
        mid = Activity.search([*cadence, ("res_id", "=", self.mid.id)])
        self.assertEqual(self._value(self.mid).tier_id.activity_type_id, call)
        self.assertEqual(mid.activity_type_id, email)
        self.assertIn("(by Email)", mid.summary)
        self.assertIn("Do not contact by: Phone Call", str(mid.note))
        lapsing = Activity.search([*cadence, ("res_id", "=", self.lapsing.id)])
        self.assertEqual(
            lapsing.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertIn("(by Chat)", lapsing.summary)
        # a preference that ended no longer steers
        with freeze_time("2026-06-16 10:00:00"):
            self.big.customer_preference_ids.valid_to = "2026-06-16"
            big.action_feedback(feedback="Wrote")
            self._run()
        big = Activity.search([*cadence, ("res_id", "=", self.big.id)])
        self.assertEqual(big.activity_type_id, self.tier_a.activity_type_id)
        self.assertNotIn("(by", big.summary)

    def test_channel_preference_needs_a_channel(self):
        with self.assertRaises(ValidationError) as error:
            self._prefer(self.big, "channel", "Carrier pigeon")
        self.assertIn("choose its Channel", str(error.exception))
        preference = self._prefer(
            self.big, "channel", "Carrier pigeon", channel="letter"
        )
        self.assertEqual(preference.channel, "letter")
        # other categories have no channel
        topic = self._prefer(self.big, "product_interest", "Email", topic="Newsletter")
        self.assertFalse(topic.channel)
