from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CrmRelationshipCase, local

ISRAEL = "Asia/Jerusalem"


@tagged("post_install", "-at_install")
class TestCustomerForm(CrmRelationshipCase):
    """What the customer form tells at a glance: when the customer was last
    contacted, and its history in a tab."""

    def _customer(self, name, *dates):
        customer = self.env["res.partner"].create({"name": name, "is_company": True})
        for date in dates:
            self._interaction(partner_id=customer.id, date=date)
        return customer.with_context(tz=ISRAEL)

    @freeze_time("2026-05-04 10:00:00")  # 13:00 in Israel
    def test_last_contact_reads_today_yesterday_and_days_ago(self):
        today = self._customer("Today Ltd", local("2026-05-04 00:10"))
        yesterday = self._customer("Yesterday Ltd", local("2026-05-03 23:50"))
        three_days = self._customer(
            "Three Days Ltd", local("2026-05-01 12:00"), local("2026-04-01 12:00")
        )
        never = self._customer("Never Called Ltd")
        self.assertEqual(today.last_contact_label, "Today")
        self.assertEqual(yesterday.last_contact_label, "Yesterday")
        self.assertEqual(three_days.last_contact_label, "3 days ago")
        self.assertEqual(three_days.interaction_count, 2)
        self.assertFalse(never.last_contact_label, "never contacted: nothing to say")
        self.assertEqual(never.interaction_count, 0)

    @freeze_time("2026-05-04 22:30:00")  # 01:30 on 5 May in Israel
    def test_not_contacted_filter_agrees_with_the_shown_days_around_midnight(self):
        # 23:30 and 00:30 in Israel on either side of the midnight that began
        # 5 April: 31 and 30 days ago there, both 4 April in UTC
        before_midnight = self._customer(
            "Before Midnight Ltd", local("2026-04-04 23:30")
        )
        after_midnight = self._customer("After Midnight Ltd", local("2026-04-05 00:30"))
        customers = before_midnight | after_midnight
        self.assertEqual(before_midnight.days_since_last_contact, 31)
        self.assertEqual(after_midnight.days_since_last_contact, 30)
        Partner = self.env["res.partner"].with_context(tz=ISRAEL)
        shown = {customer: customer.days_since_last_contact for customer in customers}
        checks = {
            ">": lambda days: days > 30,
            ">=": lambda days: days >= 30,
            "<": lambda days: days < 30,
            "<=": lambda days: days <= 30,
            "=": lambda days: days == 30,
        }
        for operator, agrees in checks.items():
            found = Partner.search(
                [("id", "in", customers.ids), ("days_since_last_contact", operator, 30)]
            )
            for customer, days in shown.items():
                self.assertEqual(
                    customer in found,
                    agrees(days),
                    f"{customer.name} shows {days} days; filter {operator} 30",
                )
        not_contacted = Partner.search(
            [("id", "in", customers.ids), ("days_since_last_contact", ">", 30)]
        )
        self.assertEqual(not_contacted, before_midnight, "Not Contacted for 30 Days")

    def test_history_tab_lists_newest_first_for_the_company_and_its_people(self):
        now = datetime.now()
        old = self._interaction(name="Old call", date=now - timedelta(days=40))
        new = self._interaction(
            name="New call", partner_id=self.contact.id, date=now - timedelta(days=2)
        )
        self._interaction(partner_id=self.other_customer.id, name="Not theirs")
        customer = self.customer.with_user(self.salesman)
        interactions = customer.history_ids.filtered(
            lambda row: row.res_model == "crm.interaction"
        )
        self.assertEqual(interactions.mapped("res_id"), [new.id, old.id])
        self.assertEqual(
            self.contact.with_user(self.salesman).history_ids,
            customer.history_ids,
            "a contact person shows its company's history",
        )

    def test_financial_history_is_one_click_away(self):
        action = self.customer.with_user(self.salesman).action_view_financial_history()
        self.assertEqual(action["res_model"], "crm.customer.timeline")
        self.assertEqual(action["domain"], [("partner_id", "=", self.customer.id)])
        self.assertEqual(action["context"]["search_default_financial"], 1)
