from freezegun import freeze_time

from odoo.tests import tagged

from .sales_analytics_common import SalesAnalyticsCase


@tagged("post_install", "-at_install")
class TestSalesAnalyticsReports(SalesAnalyticsCase):
    """Four opportunities whose figures are computed by hand below.

    A (Noa, P1 2×100): New 24h, Qualified 48h, Proposal 24h, won after 4 days.
    B (Noa, P1 300 + P2 100): New 12h, Qualified 228h, lost (price) after 10 days.
    C (Avi, no products, 1000): New 24h, Qualified 24h, Proposal 24h, back to
      Qualified 168h, won after 10 days.
    D (Avi, 50): created in February, still new.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.p1 = Product.create({"name": "SA Router", "list_price": 100})
        cls.p2 = Product.create({"name": "SA Support", "list_price": 100})
        cls.lead_a = cls._opportunity(
            "A",
            "2026-01-01 00:00:00",
            revenue_from_lines=True,
            line_ids=[
                (0, 0, {"product_id": cls.p1.id, "quantity": 2, "price_unit": 100})
            ],
        )
        cls.lead_b = cls._opportunity(
            "B",
            "2026-01-01 00:00:00",
            revenue_from_lines=True,
            line_ids=[
                (0, 0, {"product_id": cls.p1.id, "quantity": 1, "price_unit": 300}),
                (0, 0, {"product_id": cls.p2.id, "quantity": 1, "price_unit": 100}),
            ],
        )
        cls.lead_c = cls._opportunity(
            "C", "2026-01-10 00:00:00", user=cls.other_salesman, expected_revenue=1000
        )
        cls.lead_d = cls._opportunity(
            "D", "2026-02-01 00:00:00", user=cls.other_salesman, expected_revenue=50
        )
        a, b, c = cls.lead_a, cls.lead_b, cls.lead_c
        cls._move(a, cls.stage_qualified, "2026-01-02 00:00:00")
        cls._move(b, cls.stage_qualified, "2026-01-01 12:00:00")
        cls._move(a, cls.stage_proposal, "2026-01-04 00:00:00")
        cls._win(a, "2026-01-05 00:00:00")
        cls._move(c, cls.stage_qualified, "2026-01-11 00:00:00")
        cls._move(c, cls.stage_proposal, "2026-01-12 00:00:00")
        cls._move(c, cls.stage_qualified, "2026-01-13 00:00:00")
        cls._win(c, "2026-01-20 00:00:00")
        cls.leads = a | b | c | cls.lead_d
        with freeze_time("2026-01-11 00:00:00"):
            cls.env["crm.lead.lost"].create(
                {"lead_ids": [(6, 0, b.ids)], "lost_reason_id": cls.reason_price.id}
            ).action_lost_reason_apply()
        cls.env.flush_all()

    def _group(self, model, domain, groupby, aggregates):
        return self.env[model]._read_group(domain, groupby, aggregates)

    def test_product_lines_make_the_revenue(self):
        self.assertEqual(self.lead_a.expected_revenue, 200)
        self.assertEqual(self.lead_b.expected_revenue, 400)
        self.lead_a.line_ids.quantity = 3
        self.assertEqual(self.lead_a.expected_revenue, 300)
        self.lead_c.line_ids = [(0, 0, {"product_id": self.p2.id, "price_unit": 5})]
        self.assertEqual(self.lead_c.expected_revenue, 1000, "option off")

    def test_time_in_stage_average_and_median(self):
        model = "crm.lead.stage.time.report"
        domain = [("lead_id", "in", self.leads.ids)]
        rows = {
            stage: (avg, median)
            for stage, avg, median in self._group(
                model,
                domain,
                ["stage_id"],
                ["duration_hours:avg", "duration_median_hours:sum"],
            )
        }
        self.assertEqual(rows[self.stage_new], (20.0, 24.0))
        self.assertEqual(rows[self.stage_qualified], (117.0, 108.0))
        self.assertEqual(rows[self.stage_proposal], (24.0, 24.0))
        self.assertNotIn(self.stage_won, rows, "stays still going on are left out")
        per_user = self._group(
            model,
            [*domain, ("stage_id", "=", self.stage_new.id)],
            ["user_id"],
            ["duration_median_hours:sum", "duration_median_days:sum"],
        )
        self.assertEqual(
            dict((user, median) for user, median, __ in per_user),
            {self.salesman: 18.0, self.other_salesman: 24.0},
        )
        # the web client's read_group asks the field's own aggregator
        web = self.env[model].read_group(
            domain, ["duration_median_hours"], ["stage_id"]
        )
        medians = {row["stage_id"][0]: row["duration_median_hours"] for row in web}
        self.assertEqual(medians[self.stage_qualified.id], 108.0)

    def test_time_to_close_counts_each_opportunity_once(self):
        model = "crm.lead.outcome.report"
        domain = [("lead_id", "in", self.leads.ids)]
        [(closed, avg, median)] = self._group(
            model,
            domain,
            [],
            ["count_closed:sum", "days_to_close:sum", "days_to_close_median:sum"],
        )
        self.assertEqual((closed, avg, median), (3, 8.0, 10.0))
        per_product = {
            product: (avg, median)
            for product, avg, median in self._group(
                model,
                domain,
                ["product_id"],
                ["days_to_close:sum", "days_to_close_median:sum"],
            )
        }
        self.assertEqual(
            per_product,
            {
                self.p1: (7.0, 7.0),
                self.p2: (10.0, 10.0),
                self.env["product.product"]: (10.0, 10.0),
            },
        )

    def test_lost_reasons(self):
        model = "crm.lead.outcome.report"
        domain = [("lead_id", "in", self.leads.ids), ("outcome", "=", "lost")]
        [(reason, count, revenue)] = self._group(
            model, domain, ["lost_reason_id"], ["count_lost:sum", "lost_revenue:sum"]
        )
        self.assertEqual((reason, count, revenue), (self.reason_price, 1, 400.0))
        per_product = self._group(model, domain, ["product_id"], ["lost_revenue:sum"])
        self.assertEqual(dict(per_product), {self.p1: 300.0, self.p2: 100.0})

    def test_close_rate_per_salesperson_and_product(self):
        model = "crm.lead.outcome.report"
        domain = [("lead_id", "in", self.leads.ids)]
        per_user = self._group(
            model, domain, ["user_id"], ["close_rate:sum", "count_closed:sum"]
        )
        self.assertEqual(
            {user: (rate, closed) for user, rate, closed in per_user},
            {self.salesman: (50.0, 2), self.other_salesman: (100.0, 1)},
        )
        per_pair = self._group(
            model,
            [*domain, ("user_id", "=", self.salesman.id)],
            ["product_id"],
            ["close_rate:sum"],
        )
        self.assertEqual(dict(per_pair), {self.p1: 50.0, self.p2: 0.0})

    def test_funnel_created_cohort(self):
        model = "crm.lead.funnel.report"
        domain = [
            ("lead_id", "in", self.leads.ids),
            ("cohort", "=", "created"),
            ("stage_id", "in", self.stages.ids),
        ]
        rows = {
            stage: values
            for stage, *values in self._group(
                model,
                domain,
                ["stage_id"],
                [
                    "count_in:sum",
                    "count_reached:sum",
                    "conversion_rate:sum",
                    "step_rate:sum",
                ],
            )
        }
        self.assertEqual(rows[self.stage_new], [4, 4, 100.0, 100.0])
        self.assertEqual(rows[self.stage_qualified], [4, 3, 75.0, 75.0])
        self.assertEqual(rows[self.stage_proposal][:3], [4, 2, 50.0])
        self.assertAlmostEqual(rows[self.stage_proposal][3], 200 / 3)
        self.assertEqual(rows[self.stage_won], [4, 2, 50.0, 100.0])

    def test_funnel_active_cohort(self):
        model = "crm.lead.funnel.report"
        domain = [
            ("lead_id", "in", self.leads.ids),
            ("cohort", "=", "active"),
            ("stage_id", "in", self.stages.ids),
            ("date", ">=", "2026-01-01"),
            ("date", "<", "2026-02-01"),
        ]
        rows = {
            stage: values
            for stage, *values in self._group(
                model,
                domain,
                ["stage_id"],
                ["count_in:sum", "count_reached:sum", "conversion_rate:sum"],
            )
        }
        self.assertEqual(rows[self.stage_new], [3, 3, 100.0])
        self.assertEqual(rows[self.stage_qualified], [4, 3, 75.0])
        self.assertEqual(rows[self.stage_proposal], [2, 1, 50.0])
        self.assertEqual(rows[self.stage_won], [2, 0, 0.0])
        [(total_in, total_moved)] = self._group(
            model, domain, [], ["count_in:sum", "count_reached:sum"]
        )
        self.assertEqual((total_in, total_moved), (11, 7))
        # a stay over several months counts once in a longer period
        [(stays,)] = self._group(
            model,
            [
                ("lead_id", "=", self.lead_a.id),
                ("cohort", "=", "active"),
                ("stage_id", "=", self.stage_won.id),
            ],
            [],
            ["count_in:sum"],
        )
        self.assertEqual(stays, 1)

    def test_salesperson_sees_own_figures(self):
        """As crm.lead's rules: a salesperson sees their own and unassigned
        opportunities, a salesperson of all leads sees everything."""
        domain = [("lead_id", "in", self.leads.ids)]
        for model, user_field in (
            ("crm.lead.outcome.report", "user_id"),
            ("crm.lead.funnel.report", "user_id"),
            ("crm.lead.stage.time.report", "lead_user_id"),
            ("crm.lead.stage.history", "lead_id.user_id"),
        ):
            with self.subTest(model=model):
                rows = self.env[model].with_user(self.salesman).search(domain)
                self.assertTrue(rows)
                self.assertEqual(rows.mapped(user_field), self.salesman)
        self.assertEqual(
            self.env["crm.lead.outcome.report"]
            .with_user(self.salesman)
            ._read_group(domain, [], ["count_closed:sum"]),
            [(2,)],
        )
        self.other_salesman.groups_id = [
            (4, self.env.ref("sales_team.group_sale_salesman_all_leads").id)
        ]
        self.assertEqual(
            self.env["crm.lead.outcome.report"]
            .with_user(self.other_salesman)
            ._read_group(domain, [], ["count_closed:sum"]),
            [(3,)],
        )
