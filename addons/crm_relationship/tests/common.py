from datetime import datetime

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.mail.tests.common import MailCommon


class CrmRelationshipCase(MailCommon):
    """Customers, a salesperson, a relationship manager and an opportunity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.salesman = new_test_user(
            cls.env,
            login="rel_salesman",
            name="Dana Salesman",
            email="dana@example.com",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_a.id,
        )
        cls.relationship_manager = new_test_user(
            cls.env,
            login="rel_manager",
            name="Moshe Manager",
            email="moshe@example.com",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_a.id,
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {
                "name": "אלקטרה שירותים בע״מ",
                "is_company": True,
                "email": "office@electra.example.com",
            }
        )
        cls.contact = Partner.create(
            {
                "name": "Yael Levi",
                "parent_id": cls.customer.id,
                "email": "yael@electra.example.com",
            }
        )
        cls.other_customer = Partner.create(
            {"name": "Northwind Traders", "is_company": True, "email": "nw@example.com"}
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Maintenance contract renewal",
                "type": "opportunity",
                "partner_id": cls.contact.id,
                "user_id": cls.salesman.id,
            }
        )

    @classmethod
    def _interaction(cls, **values):
        return (
            cls.env["crm.interaction"]
            .sudo()
            .create({"partner_id": cls.customer.id, "name": "Call", **values})
        )


def local(text, tz="Asia/Jerusalem"):
    """The naive UTC datetime of a wall-clock time in ``tz``."""
    moment = pytz.timezone(tz).localize(datetime.strptime(text, "%Y-%m-%d %H:%M"))
    return moment.astimezone(pytz.utc).replace(tzinfo=None)


class ServiceTicketCase(CrmRelationshipCase):
    """A support team on the Sunday–Thursday calendar, its agent and leader,
    and SLA policies of the tests' own (demo policies are archived)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["crm.sla.policy"].search([]).active = False
        cls.sun_thu = cls.env.ref("crm_relationship.resource_calendar_sun_thu")
        cls.mon_fri = cls.env.ref("crm_relationship.resource_calendar_mon_fri")
        cls.stage_new = cls.env.ref("crm_relationship.crm_service_ticket_stage_new")
        cls.stage_progress = cls.env.ref(
            "crm_relationship.crm_service_ticket_stage_in_progress"
        )
        cls.stage_waiting = cls.env.ref(
            "crm_relationship.crm_service_ticket_stage_waiting"
        )
        cls.stage_solved = cls.env.ref(
            "crm_relationship.crm_service_ticket_stage_solved"
        )
        cls.type_fault = cls.env.ref("crm_relationship.crm_service_ticket_type_fault")
        cls.agent = new_test_user(
            cls.env,
            login="rel_agent",
            name="Rina Agent",
            email="rina@example.com",
            groups="crm_relationship.group_user",
            company_id=cls.company_a.id,
        )
        cls.leader = new_test_user(
            cls.env,
            login="rel_leader",
            name="Lior Leader",
            email="lior@example.com",
            groups="crm_relationship.group_manager",
            company_id=cls.company_a.id,
        )
        cls.team = cls.env["crm.service.team"].create(
            {
                "name": "Test Support",
                "resource_calendar_id": cls.sun_thu.id,
                "leader_id": cls.leader.id,
                "member_ids": [Command.link(cls.agent.id)],
            }
        )
        cls.policy = cls.env["crm.sla.policy"].create(
            {
                "name": "Four hours",
                "team_id": cls.team.id,
                "first_response_hours": 4,
                "resolution_hours": 18,
                "pause_stage_ids": [Command.link(cls.stage_waiting.id)],
            }
        )

    def _ticket(self, opened_at, **values):
        with freeze_time(opened_at):
            return self.env["crm.service.ticket"].create(
                {
                    "name": "Printer prints blank pages",
                    "partner_id": self.contact.id,
                    "team_id": self.team.id,
                    "user_id": self.agent.id,
                    "opened_at": opened_at,
                    **values,
                }
            )

    @staticmethod
    def _sla(ticket, target):
        return ticket.sla_ids.filtered(lambda s: s.target == target)
