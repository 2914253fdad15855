from odoo import SUPERUSER_ID, _, fields, models
from odoo.exceptions import UserError

from odoo.addons.crm_relationship.report.crm_customer_timeline import TimelineSource

from ..models.mailing_trace import TRACE_EVENTS, trace_events_sql

MAILING_SLOT = 7
MAILING_KINDS = tuple(kind for _code, kind, _at in TRACE_EVENTS)


class CrmCustomerTimeline(models.Model):
    _inherit = "crm.customer.timeline"
    _depends = {
        "mailing.trace": [
            "model",
            "res_id",
            "mass_mailing_id",
            "trace_status",
            "sent_datetime",
            "open_datetime",
            "links_click_datetime",
            "reply_datetime",
            "write_date",
        ],
        "mailing.mailing": ["subject", "user_id"],
        "crm.lead": ["partner_id"],
        "res.partner": ["commercial_partner_id"],
    }

    kind = fields.Selection(
        selection_add=[
            ("mailing_sent", "Mailing Sent"),
            ("mailing_opened", "Opened"),
            ("mailing_clicked", "Clicked"),
            ("mailing_replied", "Replied"),
            ("mailing_bounced", "Bounced"),
        ]
    )
    is_hidden_mailing = fields.Boolean(
        compute="_compute_is_hidden_mailing",
        search="_search_is_hidden_mailing",
        help="A reaction to a mailing, for users who may not read mailing "
        "statistics.",
    )

    def _timeline_sources(self):
        """Each mailing a customer's contact got (or a lead of theirs), and
        each reaction to it: opened, clicked, replied, bounced."""
        sources = super()._timeline_sources()
        if "crm_relationship_mass_mailing" in self.env.context.get(
            "crm_timeline_without", ()
        ):
            return sources
        return [
            *sources,
            TimelineSource(
                slot=MAILING_SLOT,
                table=f"({trace_events_sql()}) src "
                "JOIN mailing_mailing mailing ON mailing.id = src.mailing_id",
                columns={
                    "kind": "src.kind",
                    "date": "src.at",
                    "has_time": "TRUE",
                    "partner_id": "src.customer_id",
                    "contact_id": "src.contact_id",
                    "title": "mailing.subject",
                    "user_id": "mailing.user_id",
                    "res_model": "'mailing.mailing'",
                    "res_id": "mailing.id",
                    "is_financial": "FALSE",
                },
                where="TRUE",
            ),
        ]

    def _compute_is_hidden_mailing(self):
        hidden = not self._may_read_mailing_traces()
        for row in self:
            row.is_hidden_mailing = hidden and row.kind in MAILING_KINDS

    def _search_is_hidden_mailing(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operator %s is not supported on this field.", operator))
        shown = (
            [(1, "=", 1)]
            if self._may_read_mailing_traces()
            else [("kind", "not in", MAILING_KINDS)]
        )
        if (operator == "=") != value:  # is_hidden_mailing = False: shown rows
            return shown
        return ["!", *shown]

    def _may_read_mailing_traces(self):
        """Whether Odoo's own access rights let the current user read mailing
        statistics (Email Marketing users). The record rules evaluate this as
        superuser: ask as the user."""
        if self.env.su and self.env.uid == SUPERUSER_ID:
            return True
        return self.env["mailing.trace"].sudo(False).has_access("read")
