from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class TestSalesAnalyticsCampaign(AccountTestInvoicingCommon):
    """Campaign X (cost 500): A won 2026-01-05 for Galil, B lost, E a lead.
    Campaign Y: C won 2026-01-20 for Negev, F won 2026-01-12 for Galil again.
    Galil's invoices go to its latest win on or before their date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.galil = Partner.create({"name": "Galil Medical", "is_company": True})
        cls.galil_contact = Partner.create({"name": "Noa", "parent_id": cls.galil.id})
        cls.negev = Partner.create({"name": "Negev Farms", "is_company": True})
        Campaign = cls.env["utm.campaign"]
        cls.camp_x = Campaign.create({"title": "SA Spring Expo", "cost": 500})
        cls.camp_y = Campaign.create({"title": "SA Newsletter"})
        cls.source = cls.env["utm.source"].create({"name": "SA Expo Booth"})
        cls.won_stage = cls.env["crm.stage"].create(
            {"name": "SA Won", "is_won": True, "sequence": 900}
        )
        Lead = cls.env["crm.lead"]

        def opportunity(name, partner, campaign, revenue, **values):
            return Lead.create(
                {
                    "name": name,
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "campaign_id": campaign.id,
                    "source_id": cls.source.id,
                    "expected_revenue": revenue,
                    **values,
                }
            )

        cls.lead_a = opportunity("A", cls.galil_contact, cls.camp_x, 200)
        cls.lead_b = opportunity("B", cls.negev, cls.camp_x, 90)
        cls.lead_e = opportunity("E", cls.negev, cls.camp_x, 0, type="lead")
        cls.lead_c = opportunity("C", cls.negev, cls.camp_y, 1000)
        cls.lead_f = opportunity("F", cls.galil, cls.camp_y, 300)
        for lead, at in (
            (cls.lead_a, "2026-01-05 10:00:00"),
            (cls.lead_f, "2026-01-12 10:00:00"),
            (cls.lead_c, "2026-01-20 10:00:00"),
        ):
            with freeze_time(at):
                lead.write({"stage_id": cls.won_stage.id})
        cls.lead_b.action_set_lost()
        cls.before = cls.init_invoice(
            "out_invoice", cls.galil, "2026-01-01", post=True, amounts=[700]
        )
        cls.inv1 = cls.init_invoice(
            "out_invoice", cls.galil_contact, "2026-01-10", post=True, amounts=[1000]
        )
        cls.draft = cls.init_invoice(
            "out_invoice", cls.galil, "2026-01-11", amounts=[50]
        )
        cls.refund = cls.init_invoice(
            "out_refund", cls.galil, "2026-01-15", post=True, amounts=[100]
        )
        cls.inv2 = cls.init_invoice(
            "out_invoice", cls.negev, "2026-01-25", post=True, amounts=[400]
        )
        company = cls.env.company
        job = cls.env["crm.sync.job"].sudo().create({"name": "finance", "kind": "pull"})
        cls.external = (
            cls.env["crm.external.invoice"]
            .sudo()
            .create(
                {
                    "job_id": job.id,
                    "external_id": "SA-1",
                    "number": "EXT-SA-1",
                    "kind": "invoice",
                    "partner_id": cls.galil.id,
                    "issued_on": "2026-02-01",
                    "currency_id": company.currency_id.id,
                    "amount_total": 200,
                    "amount_due": 200,
                    "status": "open",
                    "company_id": company.id,
                }
            )
        )
        cls.env.flush_all()

    def test_campaign_yield(self):
        leads = self.lead_a | self.lead_b | self.lead_e | self.lead_c | self.lead_f
        rows = self.env["crm.campaign.yield.report"]._read_group(
            [
                "|",
                ("lead_id", "in", leads.ids),
                ("lead_id", "=", False),
                ("campaign_id", "in", (self.camp_x | self.camp_y).ids),
            ],
            ["campaign_id"],
            [
                "count_lead:sum",
                "count_opportunity:sum",
                "count_won:sum",
                "won_revenue:sum",
                "invoiced_revenue:sum",
                "cost:sum",
                "cost_return:sum",
            ],
        )
        figures = {campaign: values for campaign, *values in rows}
        x_invoiced = self.inv1.amount_total_signed
        y_invoiced = (
            self.inv2.amount_total_signed
            + self.refund.amount_total_signed
            + self.external.amount_company_signed
        )
        self.assertLess(self.refund.amount_total_signed, 0)
        self.assertEqual(figures[self.camp_x][:6], [3, 2, 1, 200.0, x_invoiced, 500.0])
        self.assertAlmostEqual(figures[self.camp_x][6], 100 * (x_invoiced - 500) / 500)
        self.assertEqual(figures[self.camp_y][:6], [2, 2, 2, 1300.0, y_invoiced, 0.0])
        self.assertFalse(figures[self.camp_y][6], "no cost, no return")
        [(source, invoiced)] = self.env["crm.campaign.yield.report"]._read_group(
            [("lead_id", "in", leads.ids)], ["source_id"], ["invoiced_revenue:sum"]
        )
        self.assertEqual((source, invoiced), (self.source, x_invoiced + y_invoiced))

    def test_negative_cost_refused(self):
        with self.assertRaisesRegex(ValidationError, "SA Newsletter"):
            self.camp_y.cost = -5
