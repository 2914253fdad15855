from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import local


@tagged("post_install", "-at_install")
class TestServicePlanProduct(AccountTestInvoicingCommon):
    """What the plan product says reaches the plans it sells: the SLA policy
    they entitle, the products they cover, the renewal reminder email."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.sla.policy"].search([]).active = False
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Galil Medical",
                "is_company": True,
                "email": "office@galil.example.com",
            }
        )
        cls.team = cls.env["crm.service.team"].create(
            {
                "name": "Field Service",
                "resource_calendar_id": cls.env.ref(
                    "crm_relationship.resource_calendar_sun_thu"
                ).id,
            }
        )
        SlaPolicy = cls.env["crm.sla.policy"]
        cls.team_policy = SlaPolicy.create(
            {
                "name": "Team: eight hours",
                "team_id": cls.team.id,
                "first_response_hours": 8,
            }
        )
        cls.gold = SlaPolicy.create(
            {"name": "Gold: one hour", "plan_only": True, "first_response_hours": 1}
        )
        Product = cls.env["product.product"]
        cls.sterilizer = Product.create(
            {
                "name": "Sterilizer ST-9",
                "is_customer_asset": True,
                "warranty_duration": 12,
                "warranty_unit": "month",
            }
        )
        cls.gold_care = Product.create(
            {
                "name": "Gold Care for Sterilizers",
                "type": "service",
                "is_service_plan": True,
                "service_plan_term_months": 12,
                "service_plan_sla_policy_id": cls.gold.id,
                "service_plan_product_ids": [Command.link(cls.sterilizer.id)],
            }
        )

    def _invoice(self, invoice_date, *lines):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "tax_ids": [],
                        }
                    )
                    for product, quantity, price in lines
                ],
            }
        )
        move.action_post()
        return move

    def _ticket(self, asset, opened_at="2026-06-01 10:00"):
        opened_at = local(opened_at)
        with freeze_time(opened_at):
            return self.env["crm.service.ticket"].create(
                {
                    "name": "Door does not seal",
                    "partner_id": self.customer.id,
                    "team_id": self.team.id,
                    "asset_id": asset.id,
                    "opened_at": opened_at,
                }
            )

    def _assets(self):
        return self.env["crm.customer.asset"].search(
            [("commercial_partner_id", "=", self.customer.id)]
        )

    def test_invoiced_plan_takes_the_policy_and_covered_products(self):
        self._invoice("2026-03-01", (self.sterilizer, 2, 9000))
        self._invoice("2026-03-01", (self.gold_care, 1, 2400))
        plan = self.env["crm.service.plan"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(plan.sla_policy_id, self.gold)
        self.assertEqual(plan.coverage_scope, "products")
        self.assertEqual(plan.asset_ids, self._assets())
        self.assertEqual(len(plan.asset_ids), 2)
        ticket = self._ticket(plan.asset_ids[0])
        self.assertEqual(ticket.sla_ids.policy_id, self.gold)
        # a sterilizer bought later is covered, and its tickets entitled
        self._invoice("2026-05-10", (self.sterilizer, 1, 9000))
        later = self._assets() - plan.asset_ids
        self.assertFalse(later, "the new sterilizer joined the plan")
        newest = self._assets().sorted("id")[-1]
        self.assertEqual(self._ticket(newest).sla_ids.policy_id, self.gold)
        # the next invoiced term covers and entitles the same
        self._invoice("2027-02-01", (self.gold_care, 1, 2400))
        following = plan.next_plan_id
        self.assertEqual(following.start_date, date(2027, 3, 1))
        self.assertEqual(following.sla_policy_id, self.gold)
        self.assertEqual(following.covered_product_ids, self.sterilizer)
        self.assertEqual(following.asset_ids, self._assets())

    def test_plan_product_without_defaults_entitles_nothing(self):
        basic = self.env["product.product"].create(
            {"name": "Basic Care", "type": "service", "is_service_plan": True}
        )
        self._invoice("2026-03-01", (self.sterilizer, 1, 9000))
        self._invoice("2026-03-01", (basic, 1, 600))
        plan = self.env["crm.service.plan"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.assertFalse(plan.sla_policy_id)
        self.assertEqual(plan.coverage_scope, "assets")
        self.assertFalse(plan.asset_ids)
        ticket = self._ticket(self._assets())
        self.assertEqual(ticket.sla_ids.policy_id, self.team_policy)

    def test_a_plan_given_its_policy_keeps_it(self):
        plan = self.env["crm.service.plan"].create(
            {
                "name": "Gold Care, no SLA",
                "partner_id": self.customer.id,
                "product_id": self.gold_care.id,
                "start_date": "2026-03-01",
                "sla_policy_id": False,
            }
        )
        self.assertFalse(plan.sla_policy_id)
        self.assertEqual(plan.coverage_scope, "products")

    def test_renewal_reminder_email_per_plan_product(self):
        Template = self.env["mail.template"]
        own_template = Template.create(
            {
                "name": "Gold Care renewal",
                "model_id": self.env["ir.model"]._get_id("crm.service.plan"),
                "subject": "Keep your sterilizers in Gold Care",
                "partner_to": "{{ object.partner_id.id }}",
                "body_html": "<p>Renew Gold Care.</p>",
            }
        )
        self.gold_care.write(
            {"renewal_reminder": True, "renewal_mail_template_id": own_template.id}
        )
        silver = self.env["product.product"].create(
            {
                "name": "Silver Care",
                "type": "service",
                "is_service_plan": True,
                "renewal_reminder": True,
            }
        )
        quiet = self.env["product.product"].create(
            {"name": "Quiet Care", "type": "service", "is_service_plan": True}
        )
        plans = self.env["crm.service.plan"].create(
            [
                {
                    "name": product.name,
                    "partner_id": self.customer.id,
                    "product_id": product.id,
                    "start_date": "2026-03-01",
                    "state": "active",
                }
                for product in (self.gold_care, silver, quiet)
            ]
        )
        Mail = self.env["mail.mail"]
        sent = [("model", "=", "crm.service.plan"), ("res_id", "in", plans.ids)]
        with freeze_time("2027-01-28"):
            self.env["crm.service.plan"]._cron_renewals()
        self.assertFalse(Mail.search(sent), "not before the renewal opens")
        with freeze_time("2027-01-29"):
            self.env["crm.service.plan"]._cron_renewals()
            self.env["crm.service.plan"]._cron_renewals()
        self.assertTrue(all(plans.renewal_lead_id))
        mails = {mail.res_id: mail for mail in Mail.search(sent)}
        self.assertEqual(set(mails), set(plans[:2].ids), "once, as the product says")
        gold_mail, silver_mail = mails[plans[0].id], mails[plans[1].id]
        self.assertEqual(gold_mail.subject, "Keep your sterilizers in Gold Care")
        self.assertEqual(gold_mail.recipient_ids, self.customer)
        # the default template
        self.assertEqual(
            silver_mail.subject, "Silver Care ends on 02/28/2027: time to renew"
        )
        self.assertEqual(silver_mail.recipient_ids, self.customer)
        self.assertIn("02/28/2027", str(silver_mail.body_html))
