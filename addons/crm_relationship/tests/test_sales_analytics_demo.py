from unittest import SkipTest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSalesAnalyticsDemo(TransactionCase):
    """The demo year makes every analysis say something (skipped without demo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref(
            "crm_relationship.partner_electra", raise_if_not_found=False
        ):
            raise SkipTest("the database has no demo data")
        cls.campaign = cls.env["utm.campaign"].search(
            [("title", "=", "Spring Expo Tel Aviv")], limit=1
        )

    def test_demo_history_has_every_kind(self):
        History = self.env["crm.lead.stage.history"]
        for kind in ("create", "stage", "won", "lost"):
            self.assertTrue(History.search_count([("kind", "=", kind)]), kind)
        self.assertTrue(History.search_count([("is_backwards", "=", True)]))
        lost = self.env["crm.lead"].search(
            [("active", "=", False), ("lost_reason_id", "!=", False)]
        )
        self.assertGreater(len(lost), 5)
        self.assertTrue(self.env["crm.lead"].search_count([("is_stale", "=", True)]))

    def test_demo_reports_have_figures(self):
        self.assertTrue(self.campaign.cost)
        [(invoiced, cost)] = self.env["crm.campaign.yield.report"]._read_group(
            [("campaign_id", "=", self.campaign.id)],
            [],
            ["invoiced_revenue:sum", "cost:sum"],
        )
        self.assertGreater(invoiced, 0)
        self.assertEqual(cost, self.campaign.cost)
        [(median,)] = self.env["crm.lead.stage.time.report"]._read_group(
            [], [], ["duration_median_days:sum"]
        )
        self.assertGreater(median, 0)
        [(rate,)] = self.env["crm.lead.outcome.report"]._read_group(
            [], [], ["close_rate:sum"]
        )
        self.assertTrue(0 < rate < 100)
        # the demo history is written in SQL: its stays have their months
        [(moved,)] = self.env["crm.lead.funnel.report"]._read_group(
            [("cohort", "=", "active")], [], ["count_reached:sum"]
        )
        self.assertGreater(moved, 0)
