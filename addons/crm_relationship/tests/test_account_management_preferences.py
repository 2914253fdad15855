from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCustomerPreference(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Galil Medical", "is_company": True}
        )
        cls.Preference = cls.env["crm.customer.preference"]

    def _preferences(self):
        return self.Preference.search(
            [("partner_id", "=", self.customer.id)], order="valid_from, id"
        )

    def test_a_change_closes_the_old_row_and_opens_a_new_one(self):
        with freeze_time("2026-03-01"):
            channel = self.Preference.create(
                {
                    "partner_id": self.customer.id,
                    "category": "channel",
                    "topic": "Channel",
                    "value": "Phone",
                }
            )
        with freeze_time("2026-05-10"):
            channel.value = "WhatsApp"
            old, new = self._preferences()
            self.assertEqual(old, channel)
            self.assertEqual(
                (old.value, old.valid_from, old.valid_to),
                ("Phone", date(2026, 3, 1), date(2026, 5, 10)),
            )
            self.assertEqual(
                (new.value, new.valid_from, new.valid_to, new.category),
                ("WhatsApp", date(2026, 5, 10), False, "channel"),
            )
            self.assertEqual(
                self.Preference.search(
                    [("partner_id", "=", self.customer.id), ("is_current", "=", True)]
                ),
                new,
            )
            self.assertEqual(self.customer.customer_preference_ids, old | new)
            # a new row of the same topic closes the open one too
            with freeze_time("2026-06-01"):
                newest = self.Preference.create(
                    {
                        "partner_id": self.customer.id,
                        "category": "channel",
                        "topic": "channel",
                        "value": "Email",
                        "source": "survey",
                    }
                )
                self.assertEqual(new.valid_to, date(2026, 6, 1))
                self.assertTrue(newest.is_current)
                self.assertFalse(new.is_current)
            # writing the dates only is no change of what it says
            count = len(self._preferences())
            newest.valid_to = "2026-12-31"
            self.assertEqual(len(self._preferences()), count)

    def test_bad_input_names_the_field(self):
        with self.assertRaisesRegex(ValidationError, "Topic"):
            self.Preference.create({"partner_id": self.customer.id, "value": "x"})
        with self.assertRaisesRegex(ValidationError, "Valid To"):
            self.Preference.create(
                {
                    "partner_id": self.customer.id,
                    "topic": "Time",
                    "valid_from": "2026-05-01",
                    "valid_to": "2026-04-01",
                }
            )
