from unittest import SkipTest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSurveyDemo(TransactionCase):
    """`make run` shows a promoter and a detractor (skipped without demo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env.ref(
            "crm_relationship_survey.survey_customer_satisfaction",
            raise_if_not_found=False,
        ):
            raise SkipTest("the database has no demo data")

    def test_demo_customers_have_their_nps(self):
        electra = self.env.ref("crm_relationship.partner_electra")
        galil = self.env.ref("crm_relationship.partner_galil_medical")
        self.assertEqual(
            (electra.latest_nps_score, electra.latest_nps_bucket), (9, "promoter")
        )
        self.assertEqual(
            (galil.latest_nps_score, galil.latest_nps_bucket), (6, "detractor")
        )
        rows = self.env["crm.customer.timeline"].search(
            [("partner_id", "=", galil.id), ("kind", "=", "nps_detractor")]
        )
        self.assertEqual(rows.title, "Customer Satisfaction – NPS 6")
