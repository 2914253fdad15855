from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression


class ResPartner(models.Model):
    _inherit = "res.partner"

    interaction_ids = fields.One2many(
        "crm.interaction", "commercial_partner_id", string="Interactions"
    )
    interaction_count = fields.Integer(compute="_compute_interaction_count")
    last_contact_date = fields.Datetime(
        compute="_compute_last_contact_date",
        store=True,
        help="Date of the latest interaction with this customer or any of its "
        "contacts.",
    )
    days_since_last_contact = fields.Integer(
        compute="_compute_days_since_last_contact",
        search="_search_days_since_last_contact",
        help="Days since the latest interaction; empty when never contacted.",
    )
    history_count = fields.Integer(compute="_compute_history_count")
    service_ticket_count = fields.Integer(
        "Tickets", compute="_compute_service_ticket_count"
    )

    def _compute_interaction_count(self):
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.interaction_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends("commercial_partner_id.interaction_ids.date")
    def _compute_last_contact_date(self):
        latest = dict(
            self.env["crm.interaction"]
            .sudo()
            ._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["date:max"],
            )
        )
        for partner in self:
            partner.last_contact_date = latest.get(partner.commercial_partner_id, False)

    @api.depends("last_contact_date")
    @api.depends_context("tz")
    def _compute_days_since_last_contact(self):
        today = fields.Date.context_today(self)
        for partner in self:
            if partner.last_contact_date:
                contacted_on = fields.Date.context_today(
                    partner, partner.last_contact_date
                )
                partner.days_since_last_contact = (today - contacted_on).days
            else:
                partner.days_since_last_contact = 0

    def _search_days_since_last_contact(self, operator, value):
        """``days_since_last_contact >= 30`` means "not contacted for 30 days";
        customers never contacted count as not contacted for ever."""
        if operator not in (">", ">=", "<", "<=", "="):
            raise UserError(
                _("Operator %s is not supported on Days Since Last Contact.", operator)
            )
        today = fields.Datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        days = int(value or 0)
        start_of_day = today - relativedelta(days=days)
        end_of_day = start_of_day + relativedelta(days=1)
        never = [("last_contact_date", "=", False)]
        if operator == ">=":
            return expression.OR([never, [("last_contact_date", "<", end_of_day)]])
        if operator == ">":
            return expression.OR([never, [("last_contact_date", "<", start_of_day)]])
        if operator == "<=":
            return [("last_contact_date", ">=", start_of_day)]
        if operator == "<":
            return [("last_contact_date", ">=", end_of_day)]
        return [
            ("last_contact_date", ">=", start_of_day),
            ("last_contact_date", "<", end_of_day),
        ]

    def _compute_history_count(self):
        counts = dict(
            self.env["crm.customer.timeline"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.history_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_service_ticket_count(self):
        counts = dict(
            self.env["crm.service.ticket"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.service_ticket_count = counts.get(partner.commercial_partner_id, 0)

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        for partner in self:
            self.env["crm.interaction"]._log_email_message(partner, message, partner)
        return result

    def action_log_interaction(self):
        self.ensure_one()
        return self.env["crm.interaction"]._action_quick_log(
            {
                "default_partner_id": self.commercial_partner_id.id,
                "default_contact_id": self.id if self.parent_id else False,
            }
        )

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_interaction_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_group_by_channel": False,
        }
        return action

    def action_view_service_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_service_ticket_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_timeline_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["display_name"] = _(
            "History of %s", self.commercial_partner_id.display_name
        )
        return action
