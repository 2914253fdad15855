from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    def test_log_call_and_see_it_in_history(self):
        new_test_user(
            self.env,
            login="rel_tour",
            name="Tour Salesman",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Customer Ltd", "is_company": True}
        )
        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_relationship_log_call_tour",
            login="rel_tour",
        )
        interaction = self.env["crm.interaction"].search(
            [("partner_id", "=", customer.id)]
        )
        self.assertEqual(interaction.name, "Called about the renewal")
        self.assertEqual(interaction.user_id.login, "rel_tour")
