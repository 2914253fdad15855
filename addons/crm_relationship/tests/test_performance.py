import re
from contextlib import contextmanager
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CrmRelationshipCase, ServiceTicketCase, local

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


# as the form view reads them (company_id is in it, invisible when the user
# has one company)
TICKET_FORM_FIELDS = [
    "company_id",
    "number",
    "name",
    "partner_id",
    "stage_id",
    "user_id",
    "team_id",
    "opened_at",
    "first_response_at",
    "sla_status",
    "sla_deadline",
    "sla_hours_left",
    "sla_warning",
    "interaction_count",
]
TICKET_LIST_FIELDS = [
    "priority",
    "number",
    "name",
    "partner_id",
    "user_id",
    "stage_id",
    "sla_deadline",
    "sla_status",
    "is_closed",
]


# queries to open a ticket with 50 messages and 22 SLA rows, and the list
QUERY_BUDGET_TICKET = 10


@tagged("post_install", "-at_install", "crm_relationship_perf")
class TestTicketPerformance(ServiceTicketCase):
    def _queries_to_open_ticket(self, ticket):
        counts = []
        for _run in range(2):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self._read_ticket_form_and_list(ticket)
            counts.append(self.cr.sql_log_count - before)
        return counts[-1]

    def _read_ticket_form_and_list(self, ticket):
        """What the web client reads to open a ticket and the ticket list."""
        sla_spec = {
            "fields": {
                field: {}
                for field in (
                    "target",
                    "deadline",
                    "status",
                    "consumed_hours",
                    "remaining_hours",
                )
            }
        }
        form_spec = {field: {} for field in TICKET_FORM_FIELDS}
        form_spec["sla_ids"] = sla_spec
        list_spec = {field: {} for field in TICKET_LIST_FIELDS}
        Ticket = self.env["crm.service.ticket"].with_user(self.agent)
        Ticket.browse(ticket.id).web_read(form_spec)
        Ticket.search_fetch([], list(list_spec), limit=80).web_read(list_spec)

    def _grow(self, ticket, messages, policies):
        for index in range(messages):
            ticket.message_post(body=f"Note {index}", subtype_xmlid="mail.mt_note")
        for index in range(policies):
            self.env["crm.sla.policy"].create(
                {
                    "name": f"Policy {index}",
                    "first_response_hours": 4 + index,
                    "resolution_hours": 40 + index,
                }
            )
        ticket.priority = "2" if ticket.priority != "2" else "1"
        self.env.flush_all()

    def test_ticket_form_and_list_queries_do_not_grow(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        self._grow(ticket, messages=1, policies=0)
        small = self._queries_to_open_ticket(ticket)
        self._grow(ticket, messages=50, policies=10)
        self.assertGreaterEqual(len(ticket.sla_ids), 22)
        large = self._queries_to_open_ticket(ticket)
        self.assertEqual(large, small)

    def test_ticket_form_and_list_query_budget(self):
        ticket = self._ticket(local("2026-11-19 16:00"))
        self._grow(ticket, messages=50, policies=10)
        self._queries_to_open_ticket(ticket)  # warm the caches
        self.env.invalidate_all()
        with self.assertQueryCount(QUERY_BUDGET_TICKET):
            self._read_ticket_form_and_list(ticket)

    def test_sla_work_does_not_grow_with_the_rows(self):
        """Planning the SLA rows of new tickets, replanning them after a
        holiday and after a target change: as many queries and UPDATE
        statements of SLA rows for 40 tickets as for 4 (rows computed as
        plain values, read and written in batches, not one ``write`` per row
        or per deadline). A first round of 2 settles the demo tickets and the
        caches."""
        Ticket = self.env["crm.service.ticket"]
        counts = []
        for size in (2, 4, 40):
            with freeze_time(local("2026-11-22 09:00")):
                tickets = Ticket.create(
                    [
                        {
                            "name": f"Ticket {size}-{index}",
                            "team_id": self.team.id,
                            # each its own deadline
                            "opened_at": local("2026-11-22 08:30")
                            + timedelta(seconds=index),
                        }
                        for index in range(size)
                    ]
                )
                tickets.sla_ids.sudo().unlink()
                created = self._queries(
                    lambda t=tickets: t._sla_apply_policies(local("2026-11-22 09:00"))
                )
                holiday = self._queries(
                    lambda s=size: self.env["resource.calendar.leaves"].create(
                        {
                            "name": f"Closed {s}",
                            "calendar_id": self.sun_thu.id,
                            "date_from": local("2026-11-22 10:00"),
                            "date_to": local("2026-11-22 10:00") + timedelta(minutes=s),
                        }
                    )
                )
                target = self._queries(
                    lambda s=size: self.policy.write({"resolution_hours": 18 + s})
                )
            self.assertEqual(len(tickets.sla_ids), 2 * size)
            self.assertEqual(
                len(set(tickets.sla_ids.mapped("deadline"))), 2 * size, "each its own"
            )
            counts.append((created, holiday, target))
        self.assertEqual(counts[2], counts[1])

    def _queries(self, work):
        """(queries, UPDATE statements on the SLA rows' table) of ``work``."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        statements = []
        with contextmanager(self._patchExecute)(statements, flush=False):
            work()
            self.env.flush_all()
        updates = [
            text
            for text in map(str, statements)
            if re.match(r'\s*update\s+"?crm_service_ticket_sla"?\s', text, re.I)
        ]
        return self.cr.sql_log_count - before, len(updates)
