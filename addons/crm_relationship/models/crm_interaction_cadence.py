from odoo import api, models

from .crm_customer_value import ANSWERED_OUTCOMES


class CrmInteraction(models.Model):
    _inherit = "crm.interaction"

    def _counts_as_contact(self):
        """Outbound interactions and meetings keep in touch; an inbound one
        only when it was answered."""
        self.ensure_one()
        return (
            self.direction == "outbound"
            or self.channel == "meeting"
            or self.outcome in ANSWERED_OUTCOMES
        )

    @api.model_create_multi
    def create(self, vals_list):
        interactions = super().create(vals_list)
        self.env["crm.customer.value"]._register_contacts(interactions)
        return interactions
