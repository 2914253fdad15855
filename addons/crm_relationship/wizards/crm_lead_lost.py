from odoo import models
from odoo.tools.mail import is_html_empty


class CrmLeadLost(models.TransientModel):
    _inherit = "crm.lead.lost"

    def action_lost_reason_apply(self):
        """Keep the closing note on the leads, not only in their chatter."""
        # read before: archived leads drop out of the many2many
        leads = self.lead_ids
        result = super().action_lost_reason_apply()
        feedback = False if is_html_empty(self.lost_feedback) else self.lost_feedback
        leads.write({"lost_feedback": feedback})
        return result
