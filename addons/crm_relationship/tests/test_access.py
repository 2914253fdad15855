from xmlrpc.client import Fault

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CrmRelationshipCase, ServiceTicketCase


@tagged("post_install", "-at_install")
class TestAccess(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.interaction = cls._interaction(user_id=cls.salesman.id)
        cls.salesman_b = new_test_user(
            cls.env,
            login="rel_salesman_b",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_2.id,
            company_ids=[cls.company_2.id],
        )
        cls._create_portal_user()

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_other_company_cannot_read(self):
        Interaction = self.env["crm.interaction"].with_user(self.salesman_b)
        self.assertFalse(Interaction.search([]))
        with self.assertRaises(AccessError):
            Interaction.browse(self.interaction.id).read(["name"])
        history = self.env["crm.customer.timeline"].with_user(self.salesman_b)
        self.assertFalse(history.search([("partner_id", "=", self.customer.id)]))
        self.assertEqual(
            self.env["crm.customer.timeline"]
            .with_user(self.salesman)
            .search_count([("partner_id", "=", self.customer.id)]),
            1,
        )

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_portal_user_is_refused(self):
        for model in ("crm.interaction", "crm.customer.timeline"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.user_portal).search([])
        with self.assertRaises(AccessError):
            self.env["crm.interaction"].with_user(self.user_portal).create(
                {"partner_id": self.user_portal.partner_id.id}
            )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.addons.base.models.ir_model")
    def test_users_edit_their_own_managers_all(self):
        colleague = self._interaction(user_id=self.relationship_manager.id)
        as_salesman = self.env["crm.interaction"].with_user(self.salesman)
        as_salesman.browse(self.interaction.id).write({"outcome": "reached"})
        self.assertEqual(
            as_salesman.browse(colleague.id).name, "Call", "everyone reads everything"
        )
        with self.assertRaises(AccessError):
            as_salesman.browse(colleague.id).write({"outcome": "reached"})
        with self.assertRaises(AccessError):
            as_salesman.browse(self.interaction.id).unlink()
        as_manager = self.env["crm.interaction"].with_user(self.relationship_manager)
        as_manager.browse(self.interaction.id).write({"outcome": "resolved"})
        as_manager.browse(self.interaction.id).unlink()

    def test_invoicing_users_read_the_history(self):
        accountant = new_test_user(
            self.env, login="rel_accountant", groups="account.group_account_invoice"
        )
        self.assertTrue(accountant.has_group("crm_relationship.group_user"))
        self.assertEqual(
            self.env["crm.customer.timeline"]
            .with_user(accountant)
            .search_count([("partner_id", "=", self.customer.id)]),
            1,
        )


@tagged("post_install", "-at_install")
class TestRpcBadInput(HttpCase):
    """Over XML-RPC, bad input comes back as an error naming the field."""

    def test_invalid_values_over_rpc(self):
        customer = self.env["res.partner"].create({"name": "RPC Customer"})
        password = "rel-rpc-secret-42"
        new_test_user(
            self.env,
            login="rel_rpc",
            password=password,
            groups="sales_team.group_sale_salesman",
        )
        db = self.env.cr.dbname
        uid = self.xmlrpc_common.authenticate(db, "rel_rpc", password, {})
        self.assertTrue(uid)

        def create(values):
            return self.xmlrpc_object.execute_kw(
                db, uid, password, "crm.interaction", "create", [values]
            )

        cases = [
            (
                {"partner_id": customer.id, "channel": "carrier pigeon"},
                "not a valid Channel",
            ),
            ({"partner_id": customer.id, "direction": "up"}, "not a valid Direction"),
            (
                {"partner_id": customer.id, "duration": -2},
                "Duration cannot be negative",
            ),
            ({"name": "Nobody"}, "field Customer is required"),
        ]
        for values, message in cases:
            with self.subTest(values=values), mute_logger("odoo.http"):
                with self.assertRaises(Fault) as raised:
                    create(values)
                self.assertIn(message, raised.exception.faultString)
        self.assertFalse(
            self.env["crm.interaction"].search([("partner_id", "=", customer.id)])
        )
        created = create({"partner_id": customer.id, "name": "Fine"})
        self.assertTrue(self.env["crm.interaction"].browse(created).exists())


@tagged("post_install", "-at_install")
class TestTicketAccess(ServiceTicketCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_b = new_test_user(
            cls.env,
            login="rel_agent_b",
            groups="crm_relationship.group_user",
            company_id=cls.company_2.id,
            company_ids=[cls.company_2.id],
        )
        cls.ticket = cls.env["crm.service.ticket"].create(
            {"name": "Company A ticket", "partner_id": cls.customer.id}
        )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_other_company_cannot_read_tickets(self):
        Ticket = self.env["crm.service.ticket"].with_user(self.agent_b)
        self.assertFalse(Ticket.search([("id", "=", self.ticket.id)]))
        with self.assertRaises(AccessError):
            Ticket.browse(self.ticket.id).read(["name"])
        self.assertFalse(
            self.env["crm.service.ticket.sla"]
            .with_user(self.agent_b)
            .search([("ticket_id", "=", self.ticket.id)])
        )

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_portal_cannot_touch_policies_or_sla(self):
        portal = new_test_user(
            self.env, login="rel_portal_sla", groups="base.group_portal"
        )
        for model in ("crm.sla.policy", "crm.service.ticket.sla", "crm.service.team"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.env["crm.service.ticket"].with_user(portal).create({"name": "x"})

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_agent_cannot_edit_policies(self):
        with self.assertRaises(AccessError):
            self.policy.with_user(self.agent).write({"first_response_hours": 100})
        self.policy.with_user(self.leader).write({"first_response_hours": 5})
