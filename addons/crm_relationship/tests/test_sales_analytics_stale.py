from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .sales_analytics_common import SalesAnalyticsCase


@tagged("post_install", "-at_install")
class TestSalesAnalyticsStale(SalesAnalyticsCase):
    def _set_stage_date(self, leads, at):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_last_stage_update = %s WHERE id = ANY(%s)",
            [at, leads.ids],
        )
        leads.invalidate_recordset()

    def _activities(self, leads):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("crm_relationship.mail_activity_type_stale_deal").id,
                ),
            ]
        )

    def test_stale_filter_and_one_activity_per_stay(self):
        self.stage_qualified.max_days = 5
        stale = self._opportunity("Stale", "2026-03-01 08:00:00")
        fresh = self._opportunity("Fresh", "2026-03-01 08:00:00")
        unassigned = self._opportunity("Nobody's", "2026-03-01 08:00:00")
        unassigned.user_id = False
        new = self._opportunity("No limit", "2026-03-01 08:00:00")
        qualified = stale | fresh | unassigned
        qualified.write({"stage_id": self.stage_qualified.id})
        self._set_stage_date(stale | unassigned | new, "2026-03-01 08:00:00")
        self._set_stage_date(fresh, "2026-03-09 08:00:00")
        leads = qualified | new
        with freeze_time("2026-03-10 08:00:00"):
            self.assertEqual(leads.filtered("is_stale"), stale | unassigned)
            found = self.env["crm.lead"].search(
                [("id", "in", leads.ids), ("is_stale", "=", True)]
            )
            self.assertEqual(found, stale | unassigned)
            not_stale = self.env["crm.lead"].search(
                [("id", "in", leads.ids), ("is_stale", "=", False)]
            )
            self.assertEqual(not_stale, fresh | new)
            self.env["crm.lead"]._cron_stale_deal_activities()
            activities = self._activities(leads)
            self.assertEqual(len(activities), 1)
            self.assertEqual(activities.res_id, stale.id)
            self.assertEqual(activities.user_id, self.salesman)
            self.env["crm.lead"]._cron_stale_deal_activities()
            self.assertEqual(len(self._activities(leads)), 1, "rerun creates none")
        # a new stay in a stage makes a new stale deal
        stale.write({"stage_id": self.stage_proposal.id})
        stale.write({"stage_id": self.stage_qualified.id})
        self._set_stage_date(stale, "2026-03-12 08:00:00")
        with freeze_time("2026-03-20 08:00:00"):
            self.env["crm.lead"]._cron_stale_deal_activities()
            self.env["crm.lead"]._cron_stale_deal_activities()
        self.assertEqual(len(self._activities(stale)), 2)
        # lost deals are not stale
        with freeze_time("2026-03-20 08:00:00"):
            stale.action_set_lost()
            self.assertFalse(stale.is_stale)

    def test_negative_max_days_refused(self):
        with self.assertRaisesRegex(ValidationError, "SA Proposal"):
            self.stage_proposal.max_days = -1
