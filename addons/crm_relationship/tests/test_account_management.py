from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .test_account_management_channels import PreferredChannelTests
from .test_account_management_dashboard import AccountDashboardTests

TODAY = "2026-06-15 10:00:00"


@tagged("post_install", "-at_install")
class AccountManagementCase(AccountTestInvoicingCommon):
    """Three customers of clearly different value, a lapsing one, an
    account manager; today is 2026-06-15."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="account_manager",
            name="Avi Account",
            email="avi@example.com",
            groups="base.group_user,crm_relationship.group_user",
            company_id=cls.env.company.id,
        )
        Partner = cls.env["res.partner"]
        cls.big = Partner.create(
            {"name": "Big Buyer Ltd", "is_company": True, "user_id": cls.manager.id}
        )
        cls.big_contact = Partner.create({"name": "Ruth", "parent_id": cls.big.id})
        cls.mid = Partner.create(
            {"name": "Middle Ltd", "is_company": True, "user_id": cls.manager.id}
        )
        cls.small = Partner.create({"name": "Small Shop", "is_company": True})
        cls.lapsing = Partner.create(
            {"name": "Lapsing Ltd", "is_company": True, "user_id": cls.manager.id}
        )
        cls.tier_a = cls.env.ref("crm_relationship.crm_customer_tier_a")
        cls.tier_b = cls.env.ref("crm_relationship.crm_customer_tier_b")
        cls.tier_c = cls.env.ref("crm_relationship.crm_customer_tier_c")
        # a clean slate: demo data of other customers must not weigh
        cls.env["crm.customer.value"].search([]).unlink()
        cls.env["crm.customer.tier.history"].search([]).unlink()
        inv = cls._invoice
        cls.big_invoices = (
            inv("out_invoice", cls.big_contact, "2026-01-10", 8000)
            + inv("out_invoice", cls.big, "2026-03-10", 8000)
            + inv("out_invoice", cls.big, "2026-05-10", 8000)
        )
        cls.big_refund = inv("out_refund", cls.big, "2026-05-20", 1000)
        cls.big_old = inv("out_invoice", cls.big, "2025-03-01", 4000)
        cls.mid_invoice = inv("out_invoice", cls.mid, "2026-04-01", 3000)
        cls.small_invoice = inv("out_invoice", cls.small, "2026-02-01", 500)
        # lapsing: bought monthly last year, once this year, long ago
        cls.lapsing_invoices = inv("out_invoice", cls.lapsing, "2026-01-05", 300)
        for month in range(1, 7):
            cls.lapsing_invoices += inv(
                "out_invoice", cls.lapsing, f"2025-{month:02d}-05", 1000
            )
        cls.job = cls.env["crm.sync.job"].sudo().create({"name": "fin", "kind": "pull"})

    @classmethod
    def _ours(cls):
        return cls.big | cls.mid | cls.small | cls.lapsing

    @classmethod
    def _invoice(cls, move_type, partner, day, amount, **kwargs):
        return cls.init_invoice(
            move_type, partner, day, post=True, amounts=[amount], taxes=[], **kwargs
        )

    @classmethod
    def _external(cls, partner, day, amount, kind="invoice", currency=None, **values):
        count = cls.env["crm.external.invoice"].search_count([])
        return (
            cls.env["crm.external.invoice"]
            .sudo()
            .create(
                {
                    "job_id": cls.job.id,
                    "external_id": f"x{count}",
                    "number": f"EXT-{count}",
                    "kind": kind,
                    "partner_id": partner.id,
                    "issued_on": day,
                    "currency_id": (currency or cls.env.company.currency_id).id,
                    "amount_total": amount,
                    "amount_due": 0,
                    "status": "paid",
                    "company_id": cls.env.company.id,
                    **values,
                }
            )
        )

    def _run(self, **kwargs):
        self.env["crm.customer.value"]._run_computation(**kwargs)

    def _value(self, partner, company=None):
        return self.env["crm.customer.value"].search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", (company or self.env.company).id),
                ("is_latest", "=", True),
            ]
        )

    def _contact(self, partner, when, **values):
        return self.env["crm.interaction"].create(
            {"partner_id": partner.id, "name": "Call", "date": when, **values}
        )


class CustomerValueTests:
    @freeze_time(TODAY)
    def test_revenue_in_company_currency_with_external_invoices(self):
        """Invoices less credit notes, Odoo and external, each in the company
        currency at its date; the year before kept apart for the trend."""
        other = self.setup_other_currency(
            "EUR" if self.env.company.currency_id.name != "EUR" else "USD",
            rates=[("2026-01-01", 2.0), ("2026-06-01", 4.0)],
        )
        foreign = self._invoice(
            "out_invoice", self.big, "2026-02-10", 600, currency=other
        )
        external = self._external(self.big, "2026-04-10", 500, currency=other)
        self._external(self.big, "2026-04-20", 100, kind="credit_note")
        self._external(self.big, "2026-04-21", 999, status="cancelled")
        self._run()
        value = self._value(self.big)
        expected = sum(
            (self.big_invoices | self.big_refund | foreign).mapped(
                "amount_total_signed"
            )
        )
        self.assertAlmostEqual(foreign.amount_total_signed, 300)  # rate 2 on its date
        self.assertAlmostEqual(external.amount_company_signed, 250)
        self.assertAlmostEqual(
            value.revenue_12m, expected + 250 - 100, msg="credit notes negative"
        )
        self.assertAlmostEqual(value.revenue_prev_12m, 4000)
        self.assertTrue(value.has_trend)
        self.assertAlmostEqual(
            value.trend_percent, 100.0 * (value.revenue_12m - 4000) / 4000
        )
        self.assertEqual(value.first_purchase_date, date(2025, 3, 1))
        self.assertEqual(value.last_purchase_date, date(2026, 5, 10))
        self.assertEqual(value.days_since_purchase, 36)
        self.assertEqual(value.tenure_days, (date(2026, 6, 15) - date(2025, 3, 1)).days)
        # purchase days: 2025-03-01, 01-10, 02-10, 03-10, 04-10, 05-10
        self.assertEqual(value.purchase_count, 6)
        self.assertAlmostEqual(value.usual_interval_days, 31.0)
        values = self.env["crm.customer.value"].search(
            [("is_latest", "=", True), ("company_id", "=", self.env.company.id)]
        )
        self.assertAlmostEqual(sum(values.mapped("revenue_share")), 100.0, places=6)
        self.assertEqual(values.partner_id & self.big_contact, self.env["res.partner"])
        self.assertEqual(value.currency_id, self.env.company.currency_id)

    @freeze_time(TODAY)
    def test_gross_margin_where_costs_are_known(self):
        product = self.product_a  # cost 800
        product.standard_price = 800
        self.init_invoice(
            "out_invoice",
            self.mid,
            "2026-05-01",
            post=True,
            products=[product],
            taxes=[],
        )
        self._run()
        value = self._value(self.mid)
        self.assertAlmostEqual(value.margin_revenue, 1000)
        self.assertAlmostEqual(value.gross_margin, 200)
        self.assertAlmostEqual(value.margin_percent, 20)
        self.assertFalse(self._value(self.small).margin_revenue)

    @freeze_time(TODAY)
    def test_rerun_same_day_replaces_and_adds_nothing(self):
        self._run()
        Value = self.env["crm.customer.value"]
        History = self.env["crm.customer.tier.history"]
        Activity = self.env["mail.activity"]
        counts = (
            Value.search_count([]),
            History.search_count([]),
            Activity.search_count([("account_reason", "!=", False)]),
        )
        self.assertTrue(all(counts))
        self._run()
        self.assertEqual(
            (
                Value.search_count([]),
                History.search_count([]),
                Activity.search_count([("account_reason", "!=", False)]),
            ),
            counts,
        )
        with freeze_time("2026-06-16 10:00:00"):
            self._run()
        self.assertEqual(Value.search_count([]), 2 * counts[0])
        self.assertEqual(Value.search_count([("is_latest", "=", True)]), counts[0])
        self.assertEqual(History.search_count([]), counts[1])

    @freeze_time(TODAY)
    def test_customer_shows_latest_snapshot(self):
        self._run()
        self.assertEqual(self.big.customer_value_id, self._value(self.big))
        self.assertEqual(self.big_contact.customer_tier_id, self.tier_a)
        action = self.big.action_view_customer_value()
        self.assertEqual(action["res_id"], self._value(self.big).id)
        self.assertFalse(
            self.env["res.partner"].create({"name": "New"}).customer_value_id
        )

    @freeze_time(TODAY)
    def test_tickets_breaches_and_rating(self):
        ticket = self.env["crm.service.ticket"].create(
            {"name": "Broken", "partner_id": self.mid.id}
        )
        self.env["rating.rating"].sudo().create(
            {
                "res_model_id": self.env["ir.model"]._get_id("crm.service.ticket"),
                "res_id": ticket.id,
                "partner_id": self.mid.id,
                "rating": 1,
                "consumed": True,
            }
        )
        self._run()
        value = self._value(self.mid)
        self.assertEqual(value.open_ticket_count, 1)
        self.assertEqual(value.latest_rating, 1)
        self.assertIn("low_rating", value.churn_reason_codes)
        self.assertIn("Low satisfaction rating", value.churn_reasons)


class CustomerTiersTests:
    @freeze_time(TODAY)
    def test_tiers_by_cumulative_share(self):
        self._run()
        self.assertEqual(self._value(self.big).tier_id, self.tier_a)
        self.assertEqual(self._value(self.mid).tier_id, self.tier_b)
        self.assertEqual(self._value(self.small).tier_id, self.tier_c)
        self.assertEqual(self.big.customer_tier_id, self.tier_a)
        Partner = self.env["res.partner"]
        self.assertIn(
            self.big, Partner.search([("customer_tier_id", "=", self.tier_a.id)])
        )

    @freeze_time(TODAY)
    def test_tiers_by_revenue_thresholds(self):
        self.tier_a.mode = "revenue"
        self.assertEqual(self.tier_b.mode, "revenue")
        self.tier_a.min_revenue = 10000
        self.tier_b.min_revenue = 2000
        self._run()
        self.assertEqual(self._value(self.big).tier_id, self.tier_a)
        self.assertEqual(self._value(self.mid).tier_id, self.tier_b)
        self.assertEqual(self._value(self.small).tier_id, self.tier_c)

    def test_bad_tier_setup_names_the_field(self):
        Tier = self.env["crm.customer.tier"]
        with (
            self.assertRaisesRegex(ValidationError, "Contact Every"),
            self.env.cr.savepoint(),
        ):
            Tier.create({"name": "D", "contact_interval_days": -5})
        with (
            self.assertRaisesRegex(ValidationError, "Minimum Revenue"),
            self.env.cr.savepoint(),
        ):
            Tier.create({"name": "E", "min_revenue": -1})
        with (
            self.assertRaisesRegex(ValidationError, "Revenue Share"),
            self.env.cr.savepoint(),
        ):
            Tier.create({"name": "F", "revenue_share": 120})
        self.tier_a.revenue_share = 70
        with self.assertRaisesRegex(ValidationError, "Revenue Share.*90"):
            self.tier_a.action_compute_now()
        self.assertFalse(self.env["crm.customer.value"]._cron_compute())
        self.assertFalse(self.env["crm.customer.value"].search_count([]))
        self.tier_a.revenue_share = 80
        self.tier_a.mode = "revenue"
        self.tier_b.min_revenue = 500000
        with self.assertRaisesRegex(ValidationError, "Minimum Revenue of B"):
            self.tier_a.action_compute_now()

    @freeze_time(TODAY)
    def test_override_is_flagged_and_dated_in_history(self):
        self._run()
        History = self.env["crm.customer.tier.history"]
        computed = History.search([("partner_id", "=", self.mid.id)])
        self.assertEqual(
            (computed.old_tier_id, computed.new_tier_id, computed.source),
            (self.env["crm.customer.tier"], self.tier_b, "computed"),
        )
        self.mid.customer_tier_override_id = self.tier_a
        self.assertEqual(self.mid.customer_tier_id, self.tier_a)
        self.assertTrue(self.mid.customer_tier_differs)
        manual = History.search([("partner_id", "=", self.mid.id)], limit=1)
        self.assertEqual(
            (manual.old_tier_id, manual.new_tier_id, manual.source),
            (self.tier_b, self.tier_a, "manual"),
        )
        # the rerun keeps the override and records no change
        self._run()
        self.assertEqual(History.search_count([("partner_id", "=", self.mid.id)]), 2)
        value = self._value(self.mid)
        self.assertEqual(
            (value.tier_id, value.computed_tier_id), (self.tier_a, self.tier_b)
        )
        self.assertTrue(value.tier_differs)
        rows = self.env["crm.customer.timeline"].search(
            [("partner_id", "=", self.mid.id), ("kind", "=", "tier_change")]
        )
        self.assertEqual(sorted(rows.mapped("title")), ["B → A", "– → B"])
        self.assertEqual(set(rows.mapped("res_model")), {"crm.customer.tier.history"})
        self.assertTrue(all(row.id % 16 == 9 for row in rows))

    @freeze_time(TODAY)
    def test_tiers_per_company(self):
        company_2 = self.setup_other_company()["company"]
        self.init_invoice(
            "out_invoice",
            self.small,
            "2026-05-01",
            post=True,
            amounts=[90000],
            taxes=[],
            company=company_2,
        )
        self.init_invoice(
            "out_invoice",
            self.big,
            "2026-05-01",
            post=True,
            amounts=[10],
            taxes=[],
            company=company_2,
        )
        self._run()
        self.assertEqual(self._value(self.small).tier_id, self.tier_c)
        self.assertEqual(self._value(self.small, company_2).tier_id, self.tier_a)
        self.assertAlmostEqual(self._value(self.small, company_2).revenue_12m, 90000)
        self.assertEqual(self._value(self.big, company_2).tier_id, self.tier_c)
        self.assertEqual(
            self.small.with_company(company_2).customer_tier_id, self.tier_a
        )
        self.assertEqual(self.small.customer_tier_id, self.tier_c)
        # an override is per company
        self.small.with_company(company_2).customer_tier_override_id = self.tier_b
        self.assertEqual(self.small.customer_tier_id, self.tier_c)
        self._run()
        self.assertEqual(self._value(self.small, company_2).tier_id, self.tier_b)
        self.assertEqual(self._value(self.small).tier_id, self.tier_c)


class ContactCadenceTests:
    @freeze_time(TODAY)
    def test_overdue_customer_gets_one_activity_closed_by_a_contact(self):
        # tier A: every 30 days; last outbound call 40 days ago
        self._contact(self.big_contact, datetime(2026, 5, 6, 9), direction="outbound")
        # an unanswered inbound call does not count, an answered one would
        self._contact(
            self.big, datetime(2026, 6, 10, 9), direction="inbound", outcome="no_answer"
        )
        # middle (B, 60 days): a meeting 20 days ago keeps it on cadence
        self._contact(
            self.mid, datetime(2026, 5, 26, 9), direction="inbound", channel="meeting"
        )
        self._run()
        big = self._value(self.big)
        self.assertEqual(big.last_contact_date, datetime(2026, 5, 6, 9))
        self.assertEqual(big.next_contact_date, date(2026, 6, 5))
        self.assertTrue(big.is_overdue)
        self.assertEqual(big.overdue_days, 10)
        self.assertFalse(self._value(self.mid).is_overdue)
        Activity = self.env["mail.activity"]
        cadence = [("account_reason", "=", "cadence")]
        activity = Activity.search([*cadence, ("res_id", "=", self.big.id)])
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)
        self.assertEqual(activity.activity_type_id, self.tier_a.activity_type_id)
        self.assertFalse(Activity.search([*cadence, ("res_id", "=", self.mid.id)]))
        # small has no account manager: overdue, but no activity
        self.assertTrue(self._value(self.small).is_overdue)
        self.assertFalse(Activity.search([*cadence, ("res_id", "=", self.small.id)]))
        self._run()
        self.assertEqual(
            Activity.search_count([*cadence, ("res_id", "=", self.big.id)]), 1
        )
        self.assertIn(
            self.big,
            self.env["res.partner"].search([("account_contact_overdue", "=", True)]),
        )
        # an answered inbound call is a contact: the activity is done
        self._contact(
            self.big, datetime(2026, 6, 15, 9), direction="inbound", outcome="reached"
        )
        self.assertFalse(activity.exists() and activity.active)
        big = self._value(self.big)
        self.assertFalse(big.is_overdue)
        self.assertEqual(big.next_contact_date, date(2026, 7, 15))
        self._run()
        self.assertFalse(Activity.search([*cadence, ("res_id", "=", self.big.id)]))

    @freeze_time(TODAY)
    def test_compliance_per_salesperson(self):
        self._contact(self.mid, datetime(2026, 6, 1, 9))
        self._run()
        Report = self.env["crm.cadence.report"]
        groups = Report._read_group(
            [("user_id", "=", self.manager.id)],
            ["user_id"],
            ["customer_count:sum", "overdue_count:sum", "compliance:avg"],
        )
        # big, mid, lapsing: only mid on cadence
        self.assertEqual(groups, [(self.manager, 3, 2, 100.0 / 3)])


class ChurnRiskTests:
    @freeze_time(TODAY)
    def test_lapsing_customer_is_high_risk_with_reasons(self):
        self._run()
        value = self._value(self.lapsing)
        codes = set(value.churn_reason_codes.split(","))
        self.assertEqual(codes, {"trend_down", "purchase_gap", "no_contact"})
        self.assertEqual(value.churn_score, 65)
        self.assertEqual(value.churn_level, "high")
        self.assertIn("Revenue down on the year before", value.churn_reasons)
        self.assertIn("No purchase for over 1.5 times", value.churn_reasons)
        self.assertEqual(self.lapsing.churn_level, "high")
        high = self.env["res.partner"].search([("churn_level", "=", "high")])
        self.assertIn(self.lapsing, high)
        self.assertNotIn(self.big, high)
        self.assertEqual(self._value(self.big).churn_level, "low")  # only no contact
        Activity = self.env["mail.activity"]
        churn = [("account_reason", "=", "churn"), ("res_id", "=", self.lapsing.id)]
        self.assertEqual(Activity.search_count(churn), 1)
        with freeze_time("2026-06-16 10:00:00"):
            self._run()
        self.assertEqual(Activity.search_count(churn), 1)

    @freeze_time(TODAY)
    def test_plan_ending_without_renewal(self):
        self.env["crm.service.plan"].create(
            {
                "name": "Maintenance",
                "partner_id": self.small.id,
                "product_id": self.product_a.id,
                "start_date": "2025-06-01",
                "end_date": "2026-06-01",
                "state": "expired",
            }
        )
        self._run()
        value = self._value(self.small)
        self.assertEqual(value.expiring_agreement_count, 1)
        self.assertIn("expiring", value.churn_reason_codes)


@tagged("post_install", "-at_install")
class TestAccountManagement(
    CustomerValueTests,
    CustomerTiersTests,
    ContactCadenceTests,
    ChurnRiskTests,
    PreferredChannelTests,
    AccountDashboardTests,
    AccountManagementCase,
):
    """One class: the accounting set-up is paid for once."""

    allow_inherited_tests_method = True
