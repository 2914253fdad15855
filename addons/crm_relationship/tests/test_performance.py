from odoo.tests import tagged

from .common import CrmRelationshipCase

PARTNER_FORM_FIELDS = [
    "display_name",
    "name",
    "email",
    "phone",
    "interaction_count",
    "history_count",
    "last_contact_date",
    "days_since_last_contact",
    "opportunity_count",
]
HISTORY_LIST_FIELDS = [
    "date",
    "kind",
    "partner_id",
    "title",
    "channel",
    "outcome",
    "amount",
    "currency_id",
    "payment_state",
    "user_id",
    "is_financial",
]


@tagged("post_install", "-at_install", "crm_relationship_perf")
class TestPerformance(CrmRelationshipCase):
    def _add_interactions(self, count):
        self.env["crm.interaction"].create(
            [
                {
                    "partner_id": (self.customer, self.contact)[i % 2].id,
                    "name": f"Call {i}",
                    "channel": ("call", "email", "meeting", "sms")[i % 4],
                    "user_id": self.salesman.id,
                }
                for i in range(count)
            ]
        )
        self.env.flush_all()

    def _queries_to_open_customer(self):
        """Queries of the customer form and of the first history page, as
        the web client reads them (after one warm-up for the caches)."""
        partner_spec = {field: {} for field in PARTNER_FORM_FIELDS}
        history_spec = {field: {} for field in HISTORY_LIST_FIELDS}
        history_spec["partner_id"] = history_spec["user_id"] = {
            "fields": {"display_name": {}}
        }
        Partner = self.env["res.partner"].with_user(self.salesman)
        History = self.env["crm.customer.timeline"].with_user(self.salesman)
        domain = [("partner_id", "=", self.customer.id)]
        counts = []
        for _run in range(2):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Partner.browse(self.customer.id).web_read(partner_spec)
            # the list view's first page: its rows and the total count
            rows = History.search_fetch(domain, list(history_spec), limit=80)
            page = rows.web_read(history_spec)
            total = History.search_count(domain)
            counts.append(self.cr.sql_log_count - before)
        return counts[-1], page, total

    def test_customer_form_and_history_queries_do_not_grow(self):
        self._add_interactions(10)
        queries_10, page, total = self._queries_to_open_customer()
        self.assertEqual((len(page), total), (10, 10))
        self._add_interactions(990)
        queries_1000, page, total = self._queries_to_open_customer()
        self.assertEqual((len(page), total), (80, 1000))
        self.assertEqual(queries_1000, queries_10)
        self.assertLess(queries_10, 25)
