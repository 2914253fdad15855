from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import ServiceTicketCase, local


@tagged("post_install", "-at_install")
class TestServiceReports(ServiceTicketCase):
    """What a service manager reads in the reports and on the dashboard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create({"name": "Laser Printer X1"})
        cls.Report = cls.env["crm.service.ticket.report"]

    def _answer(self, ticket, at):
        with freeze_time(at):
            ticket.with_user(self.agent).message_post(
                body="On it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )

    def _report(self, domain, groupby, aggregates):
        self.env.flush_all()
        return self.Report._read_group(
            [("team_id", "=", self.team.id), *domain], groupby, aggregates
        )

    def test_averages_leave_out_tickets_not_answered_or_not_rated(self):
        answered = self._ticket(local("2026-11-22 08:30"))
        self._ticket(local("2026-11-22 08:30"), name="Not answered yet")
        self._answer(answered, local("2026-11-22 10:30"))  # 2 working hours
        answered.rating_apply(4, token=answered._rating_get_access_token())
        [(count, response, rating)] = self._report(
            [], [], ["__count", "first_response_hours:avg", "rating:avg"]
        )
        self.assertEqual(count, 2)
        self.assertAlmostEqual(response, 2.0, places=2, msg="not (2 + 0) / 2")
        self.assertEqual(rating, 4.0)

    def test_faults_per_product_and_month(self):
        for day in ("2026-10-05", "2026-10-12", "2026-11-03"):
            self._ticket(
                local(f"{day} 09:00"),
                ticket_type_id=self.type_fault.id,
                product_id=self.product.id,
            )
        self._ticket(local("2026-11-03 09:00"), product_id=self.product.id)
        groups = self._report(
            [("is_fault", "=", True)],
            ["product_id", "opened_at:month"],
            ["__count"],
        )
        self.assertEqual(
            [(product, month.month, count) for product, month, count in groups],
            [(self.product, 10, 2), (self.product, 11, 1)],
        )

    def test_backlog_by_age(self):
        now = fields.Datetime.now()
        # opened_at cannot be in the future; these are days in the past
        for days, name in ((0.5, "fresh"), (2, "two days"), (40, "old")):
            self._ticket(now - timedelta(days=days), name=name)
        closed = self._ticket(now - timedelta(days=40), name="closed")
        closed.stage_id = self.stage_solved
        groups = dict(
            self._report([("is_closed", "=", False)], ["age_bucket"], ["__count"])
        )
        self.assertEqual(groups, {"0_1": 1, "1_3": 1, "30": 1})

    def test_sla_compliance_by_policy_counts_decided_targets_only(self):
        met = self._ticket(local("2026-11-22 08:30"))
        self._answer(met, local("2026-11-22 09:30"))
        late = self._ticket(local("2026-11-22 08:30"), name="Late")
        self._answer(late, local("2026-11-22 14:30"))  # 6 of 4 working hours
        self._ticket(local("2026-11-22 08:30"), name="Still open")
        self.env.flush_all()
        action = self.env.ref("crm_relationship.crm_service_ticket_sla_action")
        domain = [
            ("policy_id", "=", self.policy.id),
            ("target", "=", "first_response"),
            *safe_eval(action.domain),
        ]
        [(rate,)] = self.env["crm.service.ticket.sla"]._read_group(
            domain, [], ["success_rate:avg"]
        )
        self.assertEqual(rate, 50.0)

    def test_sla_compliance_by_team_assignee_and_customer(self):
        """The rows keep no copy of their ticket: the team, assignee and
        customer the SLA report groups and filters by are the ticket's,
        today's, read through it (as a leader reads them, company rule
        applied)."""
        met = self._ticket(local("2026-11-22 08:30"))
        self._answer(met, local("2026-11-22 09:30"))
        late = self._ticket(local("2026-11-22 08:30"), name="Late", user_id=False)
        self._answer(late, local("2026-11-22 14:30"))
        Sla = self.env["crm.service.ticket.sla"].with_user(self.leader)
        fields_info = Sla.fields_get(
            ["team_id", "user_id", "partner_id", "company_id", "opened_at"],
            ["groupable", "sortable", "searchable"],
        )
        for name, info in fields_info.items():
            with self.subTest(field=name):
                self.assertTrue(all(info.values()), info)
        self.env.flush_all()
        domain = [
            ("target", "=", "first_response"),
            ("team_id", "=", self.team.id),
            ("partner_id", "=", self.contact.commercial_partner_id.id),
        ]
        self.assertEqual(
            Sla._read_group(domain, ["user_id"], ["success_rate:avg"]),
            [(self.agent, 100.0), (self.env["res.users"], 0.0)],
        )
        # the ticket changes hands: its rows' assignee with it
        avi = new_test_user(
            self.env,
            login="rel_avi",
            name="Avi Agent",
            groups="crm_relationship.group_user",
            company_id=self.company_a.id,
        )
        late.user_id = avi
        self.env.flush_all()
        self.assertEqual(
            dict(Sla._read_group(domain, ["user_id"], ["success_rate:avg"])),
            {avi: 0.0, self.agent: 100.0},
        )
        # sorted by assignee's name, not in the order the rows were made
        self.assertEqual(
            Sla.search(domain, order="user_id, id").ticket_id.ids, [late.id, met.id]
        )

    def test_dashboard_counts_of_a_team(self):
        with freeze_time(local("2026-11-22 12:00")):
            self._ticket(local("2026-11-22 11:00"), user_id=False, name="Nobody")
            breached = self._ticket(local("2026-11-19 08:30"), name="Breached")
            self.env["crm.service.ticket.sla"]._cron_refresh()
            self.assertTrue(breached.sla_breached)
            self.team.invalidate_recordset()
            team = self.team
            self.assertEqual(team.open_ticket_count, 2)
            self.assertEqual(team.unassigned_ticket_count, 1)
            self.assertEqual(team.breached_ticket_count, 1)
            self.assertEqual(team.at_risk_ticket_count, 0)
            self.assertEqual(team.sla_decided_count, 1)
            self.assertEqual(team.sla_compliance, 0.0, "the one decided was breached")

    # ------------------------------------------------------------
    # What the ticket shows
    # ------------------------------------------------------------

    def test_breached_ticket_shows_how_late_it_is(self):
        ticket = self._ticket(local("2026-11-22 08:30"))
        with freeze_time(local("2026-11-22 14:30")):
            self.env["crm.service.ticket.sla"]._cron_refresh()
            ticket.invalidate_recordset()
            response = self._sla(ticket, "first_response")
            self.assertEqual(response.status, "breached")
            self.assertEqual(ticket.sla_deadline, local("2026-11-22 12:30"))
            self.assertAlmostEqual(ticket.sla_hours_left, -2.0, places=2)

    def test_unassigned_ticket_at_risk_notifies_whoever_takes_it(self):
        ticket = self._ticket(local("2026-11-22 08:30"), user_id=False)
        with freeze_time(local("2026-11-22 11:45")):
            self.env["crm.service.ticket.sla"]._cron_refresh()
            self.assertTrue(ticket.sla_at_risk)
            self.assertFalse(ticket.activity_ids)
            ticket.user_id = self.agent
        self.assertEqual(ticket.activity_ids.user_id, self.agent)
        self.assertIn("SLA at risk", ticket.activity_ids.summary)

    def test_moving_between_closing_stages_keeps_the_closing_time(self):
        cancelled = self.env["crm.service.ticket.stage"].create(
            {"name": "Cancelled", "is_closing": True, "sequence": 99}
        )
        ticket = self._ticket(local("2026-11-22 08:30"))
        with freeze_time(local("2026-11-22 10:00")):
            ticket.stage_id = self.stage_solved
        with freeze_time(local("2026-11-24 10:00")):
            ticket.stage_id = cancelled
        self.assertEqual(ticket.closed_at, local("2026-11-22 10:00"))
        with freeze_time(local("2026-11-24 11:00")):
            ticket.stage_id = self.stage_progress
        self.assertFalse(ticket.closed_at)
