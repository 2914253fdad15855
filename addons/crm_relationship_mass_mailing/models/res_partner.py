from collections import defaultdict
from datetime import timedelta

from odoo import _, fields, models
from odoo.tools import SQL

from .mailing_trace import trace_events_sql

ENGAGEMENT_DAYS = 90


class ResPartner(models.Model):
    _inherit = "res.partner"

    mailing_sent_count = fields.Integer(
        "Mailings Sent",
        compute="_compute_mailing_engagement",
        help="Mailings sent to the customer's contacts (and to its leads) "
        "in the last 90 days.",
    )
    mailing_opened_count = fields.Integer(
        "Opened",
        compute="_compute_mailing_engagement",
        help="Of the mailings sent in the last 90 days, those opened.",
    )
    mailing_clicked_count = fields.Integer(
        "Clicked", compute="_compute_mailing_engagement"
    )
    mailing_replied_count = fields.Integer(
        "Replied", compute="_compute_mailing_engagement"
    )
    mailing_bounced_count = fields.Integer(
        "Bounced", compute="_compute_mailing_engagement"
    )
    mailing_open_rate = fields.Float(
        "Open Rate (%)",
        compute="_compute_mailing_engagement",
        digits=(16, 0),
        help="Of the mailings sent in the last 90 days, the share opened.",
    )

    def _compute_mailing_engagement(self):
        """What the customer did with the mailings sent to it in the last 90
        days: one grouped query for every customer of the batch."""
        customer_ids = list(
            {
                partner._origin.commercial_partner_id.id
                for partner in self
                if partner._origin.commercial_partner_id
            }
        )
        counts = defaultdict(dict)
        if customer_ids:
            self.env["mailing.trace"].flush_model()
            self.env["crm.lead"].flush_model(["partner_id"])
            self.flush_model(["commercial_partner_id"])
            since = fields.Datetime.now() - timedelta(days=ENGAGEMENT_DAYS)
            rows = self.env.execute_query(
                SQL(
                    """SELECT customer_id, kind, COUNT(*)
                         FROM (%s) events
                        WHERE customer_id = ANY(%s) AND sent_at >= %s
                        GROUP BY customer_id, kind""",
                    SQL(trace_events_sql()),
                    customer_ids,
                    since,
                )
            )
            for customer_id, kind, count in rows:
                counts[customer_id][kind] = count
        for partner in self:
            customer = counts[partner._origin.commercial_partner_id.id]
            sent = customer.get("mailing_sent", 0)
            partner.mailing_sent_count = sent
            partner.mailing_opened_count = customer.get("mailing_opened", 0)
            partner.mailing_clicked_count = customer.get("mailing_clicked", 0)
            partner.mailing_replied_count = customer.get("mailing_replied", 0)
            partner.mailing_bounced_count = customer.get("mailing_bounced", 0)
            partner.mailing_open_rate = (
                100.0 * partner.mailing_opened_count / sent if sent else 0.0
            )

    def action_view_mailing_history(self):
        """The customer's history with only mailings and reactions to them."""
        action = self.action_view_history()
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("res_model", "=", "mailing.mailing"),
        ]
        action["display_name"] = _(
            "Mailings of %s", self.commercial_partner_id.display_name
        )
        return action
