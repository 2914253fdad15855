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
