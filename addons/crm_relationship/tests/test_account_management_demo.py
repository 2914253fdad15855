from unittest import SkipTest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestAccountManagementDemo(TransactionCase):
    """The demo's nightly computation: customers in each tier, some overdue,
    one at high risk with its reasons (skipped without demo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref(
            "crm_relationship.partner_rheinwerk", raise_if_not_found=False
        ):
            raise SkipTest("the database has no demo data")

    def test_demo_customers_have_tiers_cadence_and_risk(self):
        values = self.env["crm.customer.value"].search([("is_latest", "=", True)])
        self.assertEqual(
            set(values.tier_id.mapped("name")), {"A", "B", "C"}, values.tier_id
        )
        self.assertTrue(values.filtered("is_overdue"))
        rheinwerk = self.env.ref("crm_relationship.partner_rheinwerk")
        self.assertEqual(rheinwerk.churn_level, "high")
        self.assertIn("Revenue down on the year before", rheinwerk.churn_reasons)
        self.assertTrue(
            self.env["mail.activity"].search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "=", rheinwerk.id),
                    ("account_reason", "=", "churn"),
                ]
            )
        )
        history = self.env["crm.customer.timeline"].search(
            [("partner_id", "=", rheinwerk.id), ("kind", "=", "tier_change")]
        )
        self.assertEqual(len(history), 1)
        # its preferences: emails, never calls
        action = rheinwerk.action_log_interaction()
        self.assertEqual(action["context"]["default_channel"], "email")
