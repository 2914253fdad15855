from datetime import date, timedelta

from odoo.tests import tagged

from .test_customer_document import CustomerDocumentCase

DOCUMENT_LIST_FIELDS = [
    "name",
    "type_id",
    "partner_id",
    "reference",
    "issued_on",
    "valid_until",
    "user_id",
    "amount",
    "currency_id",
    "confidentiality",
    "message_main_attachment_id",
    "tag_ids",
    "state",
]
PARTNER_FORM_FIELDS = [
    "display_name",
    "name",
    "customer_document_count",
    "customer_document_next_expiry",
    "interaction_count",
]


@tagged("post_install", "-at_install", "crm_relationship_perf")
class TestCustomerDocumentPerformance(CustomerDocumentCase):
    def _add_documents(self, count):
        start = date(2025, 1, 1)
        # no "assigned to you" email per document: not what is measured
        self.Document.with_context(tracking_disable=True).create(
            [
                {
                    "name": f"Document {i}",
                    "type_id": (self.type_quote, self.type_other)[i % 2].id,
                    "confidentiality": "confidential" if i % 3 else "normal",
                    "partner_id": (self.customer, self.contact)[i % 2].id,
                    "user_id": self.salesman.id,
                    "valid_from": start,
                    "valid_until": start + timedelta(days=30 + i % 400),
                }
                for i in range(count)
            ]
        )
        self.env.flush_all()

    def _queries_to_open_customer_documents(self):
        """Queries of the customer form (smart button) and of the first page
        of its documents list as the web client reads them, as a salesperson
        (the confidential rule applies), after a warm-up."""
        list_spec = {field: {} for field in DOCUMENT_LIST_FIELDS}
        for relational in ("type_id", "partner_id", "user_id", "currency_id"):
            list_spec[relational] = {"fields": {"display_name": {}}}
        list_spec["message_main_attachment_id"] = {"fields": {"display_name": {}}}
        list_spec["tag_ids"] = {"fields": {"display_name": {}, "color": {}}}
        partner_spec = {field: {} for field in PARTNER_FORM_FIELDS}
        Partner = self.env["res.partner"].with_user(self.salesman)
        Document = self.Document.with_user(self.salesman)
        domain = [("commercial_partner_id", "=", self.customer.id)]
        counts = []
        for _run in range(2):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Partner.browse(self.customer.id).web_read(partner_spec)
            # the list's first page: its rows and the total count
            rows = Document.search_fetch(domain, list(list_spec), limit=80)
            page = rows.web_read(list_spec)
            total = Document.search_count(domain)
            counts.append(self.cr.sql_log_count - before)
        return counts[-1], page, total

    def test_customer_documents_queries_do_not_grow(self):
        self._add_documents(10)
        queries_10, page, total = self._queries_to_open_customer_documents()
        self.assertEqual((len(page), total), (10, 10))
        self._add_documents(990)
        queries_1000, page, total = self._queries_to_open_customer_documents()
        self.assertEqual((len(page), total), (80, 1000))
        self.assertEqual(queries_1000, queries_10)
        self.assertLess(queries_10, 20)
