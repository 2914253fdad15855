from unittest import SkipTest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestMailingDemo(TransactionCase):
    """`make run` shows mailing reactions (skipped without demo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref(
            "crm_relationship_mass_mailing.mailing_service_plans",
            raise_if_not_found=False,
        ):
            raise SkipTest("the database has no demo data")

    def test_demo_customers_reacted_to_last_weeks_mailing(self):
        electra = self.env.ref("crm_relationship.partner_electra")
        self.assertEqual(
            (
                electra.mailing_sent_count,
                electra.mailing_opened_count,
                electra.mailing_clicked_count,
                electra.mailing_replied_count,
            ),
            (2, 2, 1, 1),
            "the spring offer, sent 120 days ago, is out of the 90 days",
        )
        northwind = self.env.ref("crm_relationship.partner_northwind")
        self.assertEqual(northwind.mailing_bounced_count, 1)
        kinds = (
            self.env["crm.customer.timeline"]
            .search(
                [("partner_id", "=", electra.id), ("res_model", "=", "mailing.mailing")]
            )
            .mapped("kind")
        )
        self.assertEqual(
            sorted(set(kinds)),
            ["mailing_clicked", "mailing_opened", "mailing_replied", "mailing_sent"],
        )
