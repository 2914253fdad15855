from datetime import datetime

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestHistoryList(HttpCase):
    # a laptop's screen: the list's columns are narrow
    browser_size = "1024x768"

    def test_customer_history_list_reads_well(self):
        """A customer's history has no Customer column, whole kind badges,
        invoices dated without a made-up time and no seconds."""
        new_test_user(
            self.env,
            login="rel_history_tour",
            name="Tour Accountant",
            groups="account.group_account_invoice,base.group_partner_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "History Tour Ltd", "is_company": True}
        )
        self.env["crm.interaction"].create(
            {
                "partner_id": customer.id,
                "name": "Called about the renewal",
                "date": datetime(2026, 11, 30, 9, 15, 42),
            }
        )
        job = self.env["crm.sync.job"].create({"name": "tour-finance", "kind": "pull"})
        company = self.env.company
        self.env["crm.external.invoice"].create(
            [
                {
                    "job_id": job.id,
                    "external_id": external_id,
                    "number": f"{kind.upper()}-2026-{external_id}",
                    "kind": kind,
                    "partner_id": customer.id,
                    "issued_on": "2026-11-2" + external_id,
                    "currency_id": company.currency_id.id,
                    "amount_total": 1180,
                    "amount_due": 1180,
                    "status": "open",
                    "company_id": company.id,
                }
                for external_id, kind in (
                    ("1", "invoice"),
                    ("2", "credit_note"),
                    ("3", "receipt"),
                )
            ]
        )
        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_relationship_history_list_tour",
            login="rel_history_tour",
        )
