from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    interaction_ids = fields.One2many(
        "crm.interaction", "lead_id", string="Interactions"
    )
    interaction_count = fields.Integer(compute="_compute_interaction_count")
    renewal_document_id = fields.Many2one(
        "crm.customer.document",
        string="Renewal Of",
        index="btree_not_null",
        copy=False,
        help="The customer document whose expiry opened this opportunity.",
    )

    def _compute_interaction_count(self):
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.interaction_count = counts.get(lead, 0)

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        for lead in self:
            customer = lead.partner_id or message.author_id.filtered(
                lambda author: not author.user_ids
                or all(author.user_ids.mapped("share"))
            )
            self.env["crm.interaction"]._log_email_message(lead, message, customer)
        return result

    def action_log_interaction(self):
        self.ensure_one()
        customer = self.partner_id.commercial_partner_id
        return self.env["crm.interaction"]._action_quick_log(
            {
                "default_partner_id": customer.id,
                "default_contact_id": self.partner_id.id
                if self.partner_id.parent_id
                else False,
                "default_lead_id": self.id,
            }
        )

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_interaction_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {
            "default_lead_id": self.id,
            "default_partner_id": self.partner_id.commercial_partner_id.id,
        }
        return action

    # ------------------------------------------------------------
    # Service plan renewals
    # ------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        # action_set_lost archives first, then writes the lost reason
        if {"stage_id", "active", "lost_reason_id"} & set(vals):
            self._update_renewed_service_plans()
        return result

    def _update_renewed_service_plans(self):
        """A won renewal starts the plan's next term; a lost one lets it expire."""
        plans = (
            self.env["crm.service.plan"]
            .sudo()
            .search(
                [
                    ("renewal_lead_id", "in", self.ids),
                    ("state", "in", ("expiring", "expired")),
                ]
            )
        )
        if not plans:
            return
        won = plans.filtered(
            lambda plan: plan.state == "expiring"
            and plan.renewal_lead_id.active
            and plan.renewal_lead_id.stage_id.is_won
        )
        won._create_next_terms()
        for plan in plans.filtered(lambda plan: not plan.renewal_lead_id.active):
            plan.write(
                {
                    "state": "expired",
                    "lost_reason_id": plan.renewal_lead_id.lost_reason_id.id,
                }
            )
