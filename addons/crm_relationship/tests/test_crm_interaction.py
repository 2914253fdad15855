from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestCrmInteraction(CrmRelationshipCase):
    def test_interaction_keys_on_commercial_entity(self):
        interaction = self._interaction(partner_id=self.contact.id, channel="meeting")
        self.assertEqual(interaction.commercial_partner_id, self.customer)
        self.assertEqual(self.customer.interaction_count, 1)
        self.assertEqual(
            self.contact.interaction_count,
            1,
            "a contact person shows the interactions of its company",
        )

    def test_handler_is_neither_mailed_nor_subscribed(self):
        interaction = self._interaction(user_id=self.salesman.id)
        self.assertNotIn(self.salesman.partner_id, interaction.message_partner_ids)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("recipient_ids", "in", self.salesman.partner_id.ids)]
            )
        )

    def test_display_name_without_subject(self):
        interaction = self._interaction(name=False, channel="sms")
        self.assertEqual(interaction.display_name, f"SMS with {self.customer.name}")

    def test_related_record_inverse(self):
        interaction = self._interaction(related_record=f"crm.lead,{self.lead.id}")
        self.assertEqual(interaction.res_model, "crm.lead")
        self.assertEqual(interaction.res_id, self.lead.id)
        self.assertEqual(
            interaction.action_open_related_record()["res_id"], self.lead.id
        )

    def test_last_contact_date_and_days_since(self):
        with freeze_time("2026-03-10 09:00:00"):
            self.assertFalse(self.customer.last_contact_date)
            self._interaction(date=datetime(2026, 2, 1, 10, 0))
            self._interaction(
                partner_id=self.contact.id, date=datetime(2026, 3, 1, 10, 0)
            )
            self._interaction(partner_id=self.other_customer.id, date="2026-03-09")
            self.assertEqual(self.customer.last_contact_date, datetime(2026, 3, 1, 10))
            self.assertEqual(
                self.contact.last_contact_date,
                datetime(2026, 3, 1, 10),
                "contact persons show their company's last contact",
            )
            self.customer.invalidate_recordset(["days_since_last_contact"])
            self.assertEqual(self.customer.days_since_last_contact, 9)

            never = self.env["res.partner"].create({"name": "Never Called Ltd"})
            not_contacted = self.env["res.partner"].search(
                [
                    ("days_since_last_contact", ">", 7),
                    ("id", "in", (self.customer | never | self.other_customer).ids),
                ]
            )
            self.assertEqual(not_contacted, self.customer | never)
            recent = self.env["res.partner"].search(
                [
                    ("days_since_last_contact", "<=", 7),
                    ("id", "in", (self.customer | never | self.other_customer).ids),
                ]
            )
            self.assertEqual(recent, self.other_customer)

    def test_last_contact_date_follows_deletion(self):
        old = self._interaction(date=datetime(2025, 1, 1))
        new = self._interaction(date=datetime(2025, 6, 1))
        self.assertEqual(self.customer.last_contact_date, datetime(2025, 6, 1))
        new.unlink()
        self.assertEqual(self.customer.last_contact_date, datetime(2025, 1, 1))
        old.unlink()
        self.assertFalse(self.customer.last_contact_date)

    def test_followup_activity_on_customer_and_lead(self):
        call_type = self.env.ref("mail.mail_activity_data_call")
        self._interaction(
            followup_activity_type_id=call_type.id,
            followup_date="2026-12-01",
            followup_summary="Send the revised quote",
            followup_user_id=self.salesman.id,
        )
        activity = self.customer.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.summary, "Send the revised quote")
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(str(activity.date_deadline), "2026-12-01")

        interaction = self._interaction(
            lead_id=self.lead.id, followup_activity_type_id=call_type.id
        )
        self.assertEqual(len(self.lead.activity_ids), 1, "scheduled on the opportunity")
        self.assertFalse(interaction.followup_activity_type_id)
        interaction.write({"name": "Edited"})
        self.assertEqual(len(self.lead.activity_ids), 1, "an edit schedules nothing")


@tagged("post_install", "-at_install")
class TestCrmInteractionBadInput(CrmRelationshipCase):
    def assert_nothing_written(self):
        self.assertFalse(
            self.env["crm.interaction"].search([("partner_id", "=", self.customer.id)])
        )

    def test_invalid_channel_and_direction(self):
        with self.assertRaisesRegex(ValidationError, "not a valid Channel"):
            self._interaction(channel="pigeon")
        with self.assertRaisesRegex(ValidationError, "not a valid Direction"):
            self._interaction(direction="sideways")
        interaction = self._interaction()
        with self.assertRaisesRegex(ValidationError, "not a valid Outcome"):
            interaction.write({"outcome": "maybe"})

    def test_negative_and_absurd_duration(self):
        with self.assertRaisesRegex(ValidationError, "Duration cannot be negative"):
            self._interaction(duration=-0.5)
        with self.assertRaisesRegex(ValidationError, "Duration of 30.0 hours"):
            self._interaction(duration=30)

    def test_missing_customer(self):
        with self.assertRaisesRegex(ValidationError, "field Customer is required"):
            self.env["crm.interaction"].create({"name": "Who was it?"})
        lead_without_customer = self.env["crm.interaction"].with_context(
            default_partner_id=False
        )
        with self.assertRaisesRegex(ValidationError, "field Customer is required"):
            lead_without_customer.create({"name": "Quick log on a bare lead"})
        interaction = self._interaction()
        with self.assertRaisesRegex(ValidationError, "Customer of an interaction"):
            interaction.write({"partner_id": False})

    def test_contact_of_another_customer(self):
        with self.assertRaisesRegex(
            ValidationError, "Contact Person .*Yael Levi does not belong"
        ):
            self._interaction(
                partner_id=self.other_customer.id, contact_id=self.contact.id
            )

    @mute_logger("odoo.models")
    def test_wrong_company(self):
        self.customer.company_id = self.company_2
        with self.assertRaisesRegex(UserError, "Incompatible companies"):
            self._interaction(company_id=self.company_a.id)

    def test_batch_with_one_bad_row_writes_nothing(self):
        with self.assertRaises(ValidationError):
            self.env["crm.interaction"].create(
                [
                    {"partner_id": self.customer.id, "name": "Good"},
                    {"partner_id": self.customer.id, "name": "Bad", "duration": -1},
                ]
            )
        self.assert_nothing_written()

    def test_bad_input_as_salesman(self):
        with self.assertRaisesRegex(ValidationError, "not a valid Channel"):
            self.env["crm.interaction"].with_user(self.salesman).create(
                {"partner_id": self.customer.id, "channel": "telepathy"}
            )
        self.assert_nothing_written()

    def test_dates_sorted_newest_first(self):
        older = self._interaction(date=datetime.now() - timedelta(days=3))
        newer = self._interaction(date=datetime.now() - timedelta(days=1))
        found = self.env["crm.interaction"].search([("id", "in", (older + newer).ids)])
        self.assertEqual(found, newer + older)
