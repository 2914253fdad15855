from datetime import date

from freezegun import freeze_time

from odoo.tests import HttpCase, new_test_user, tagged

TODAY = "2026-06-15 10:00:00"


class AccountDashboardTests:
    """The account manager's dashboard: counters per tier of the current
    user's customers, each opening the list it counts (mixed into
    TestAccountManagement, whose customers and account manager it uses)."""

    def _counts(self, tier, user):
        tier = tier.with_user(user)
        return {
            "customers": tier.my_customer_count,
            "overdue": tier.my_overdue_count,
            "at_risk": tier.my_at_risk_count,
            "renewals": tier.my_renewal_count,
            "warranties": tier.my_warranty_count,
        }

    def _open(self, tier, user, counter):
        """The records the counter's list shows with its default filters."""
        action = (
            tier.with_user(user)
            .with_context(account_counter=counter)
            .action_open_dashboard_counter()
        )
        Model = self.env[action["res_model"]].with_user(user)
        # every list's "My ..." filter is on the record's user_id
        my_filter = next(key for key in action["context"] if key.startswith("search"))
        self.assertEqual(action["context"][my_filter], 1)
        return Model.search([*action["domain"], ("user_id", "=", user.id)])

    @freeze_time(TODAY)
    def test_dashboard_counts_my_customers_by_tier(self):
        self.env["crm.service.plan"].create(
            {
                "name": "Maintenance",
                "partner_id": self.big.id,
                "product_id": self.product_a.id,
                "start_date": "2025-07-01",
                "end_date": "2026-07-31",
                "state": "active",
            }
        )
        # ends after the 90 days: not due
        self.env["crm.service.plan"].create(
            {
                "name": "Support",
                "partner_id": self.big.id,
                "product_id": self.product_a.id,
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
                "state": "active",
            }
        )
        self._contact(self.mid, "2026-06-01 09:00:00")
        self._run()
        manager = self.manager
        tiers = {
            partner: self._value(partner).tier_id
            for partner in (self.big, self.mid, self.lapsing)
        }
        # big and mid and lapsing are the manager's; small is nobody's
        self.assertEqual(tiers[self.big], self.tier_a)
        counts = {
            tier: self._counts(tier, manager)
            for tier in self.tier_a | self.tier_b | self.tier_c
        }
        self.assertEqual(
            sum(count["customers"] for count in counts.values()), 3, counts
        )
        self.assertEqual(counts[self.tier_a]["customers"], 1)
        self.assertEqual(counts[self.tier_a]["overdue"], 1)
        self.assertEqual(counts[self.tier_a]["renewals"], 1)
        # mid was contacted, the other two are overdue
        self.assertEqual(sum(count["overdue"] for count in counts.values()), 2)
        lapsing_tier = tiers[self.lapsing]
        self.assertEqual(counts[lapsing_tier]["at_risk"], 1)
        # each counter opens the records it counts
        for tier, tier_counts in counts.items():
            for counter, count in tier_counts.items():
                records = self._open(tier, manager, counter)
                self.assertEqual(len(records), count, (tier.name, counter))
        self.assertEqual(
            self._open(self.tier_a, manager, "customers").partner_id, self.big
        )
        self.assertEqual(
            self._open(self.tier_a, manager, "renewals").name, "Maintenance"
        )
        self.assertEqual(
            self._open(lapsing_tier, manager, "at_risk").partner_id, self.lapsing
        )
        # another salesperson's dashboard counts none of them
        other = new_test_user(
            self.env,
            login="other_account_manager",
            groups="base.group_user,crm_relationship.group_user",
        )
        self.assertFalse(any(self._counts(self.tier_a, other).values()))

    def test_value_by_month_counts_each_customer_once(self):
        Value = self.env["crm.customer.value"]
        for day in ("2026-05-30", "2026-05-31", "2026-06-14", "2026-06-15"):
            with freeze_time(f"{day} 10:00:00"):
                self._run()
        ours = [("partner_id", "in", self._ours().ids)]

        def by_month():
            return {
                str(month): (count, revenue)
                for month, count, revenue in Value._read_group(
                    [*ours, ("is_month_last", "=", True)],
                    ["computed_on:month"],
                    ["__count", "revenue_12m:sum"],
                )
            }

        june_revenue = sum(self._value(p).revenue_12m for p in self._ours())
        months = by_month()
        self.assertEqual(set(months), {"2026-05-01", "2026-06-01"})
        self.assertEqual(months["2026-05-01"][0], 4)
        self.assertEqual(months["2026-06-01"], (4, june_revenue))
        flagged = Value.search([*ours, ("is_month_last", "=", True)])
        self.assertEqual(
            set(flagged.mapped("computed_on")), {date(2026, 5, 31), date(2026, 6, 15)}
        )
        # the next day takes June's flag over; May keeps its own
        with freeze_time("2026-06-16 10:00:00"):
            self._run()
        flagged = Value.search([*ours, ("is_month_last", "=", True)])
        self.assertEqual(
            set(flagged.mapped("computed_on")), {date(2026, 5, 31), date(2026, 6, 16)}
        )
        # the update's migration flags every month again from scratch
        flagged.sudo().is_month_last = False
        Value._mark_month_last([])
        self.assertEqual(Value.search([*ours, ("is_month_last", "=", True)]), flagged)


@tagged("post_install", "-at_install")
class TestAccountDashboardUi(HttpCase):
    def test_account_manager_opens_my_accounts(self):
        admin = self.env.ref("base.user_admin")
        tier_c = self.env.ref("crm_relationship.crm_customer_tier_c")
        customer = self.env["res.partner"].create(
            {
                "name": "Dashboard Customer Ltd",
                "is_company": True,
                "user_id": admin.id,
                "customer_rank": 1,
                "company_id": self.env.company.id,
            }
        )
        customer.customer_tier_override_id = tier_c
        self.env["crm.customer.value"]._run_computation()
        value = self.env["crm.customer.value"].search(
            [("partner_id", "=", customer.id), ("is_latest", "=", True)]
        )
        self.assertEqual(value.tier_id, tier_c)
        self.assertTrue(value.is_overdue)
        self.start_tour(
            "/odoo/action-crm_relationship.crm_customer_tier_action_dashboard",
            "crm_relationship_account_dashboard_tour",
            login="admin",
        )
