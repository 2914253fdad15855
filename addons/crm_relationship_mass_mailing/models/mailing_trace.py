from odoo import models, tools

# One row per reaction to a mailing: (code, history kind, when). The code
# numbers a trace's rows, so that each has an id of its own: trace id × 5 + code.
TRACE_EVENTS = [
    (0, "mailing_sent", "trace.sent_datetime"),
    (1, "mailing_opened", "trace.open_datetime"),
    (2, "mailing_clicked", "trace.links_click_datetime"),
    (3, "mailing_replied", "trace.reply_datetime"),
    # Odoo keeps no bounce time: a bounce shows when the mail was sent
    (
        4,
        "mailing_bounced",
        "CASE WHEN trace.trace_status = 'bounce' THEN "
        "COALESCE(trace.sent_datetime, trace.write_date) END",
    ),
]
EVENT_COUNT = len(TRACE_EVENTS)
# The customer a trace reached: its recipient when the mailing went to
# contacts, the lead's contact when it went to leads and opportunities.
TRACE_RECIPIENTS = {
    "res.partner": "res_partner contact ON contact.id = trace.res_id",
    "crm.lead": "crm_lead lead ON lead.id = trace.res_id "
    "JOIN res_partner contact ON contact.id = lead.partner_id",
}


def trace_events_sql():
    """The FROM-able SQL of every reaction to a mailing by a customer:
    id, trace_id, kind, at, sent_at (when the mailing went out),
    contact_id, customer_id, mailing_id.

    A filter on customer_id reaches the partners' index on their
    commercial partner, then the traces' index on (model, res_id)."""
    values = ", ".join(f"({code}, '{kind}', {at})" for code, kind, at in TRACE_EVENTS)
    return "\nUNION ALL\n".join(
        f"""SELECT trace.id * {EVENT_COUNT} + event.code AS id,
       trace.id AS trace_id, event.kind, event.at,
       COALESCE(trace.sent_datetime, trace.write_date) AS sent_at,
       contact.id AS contact_id, contact.commercial_partner_id AS customer_id,
       trace.mass_mailing_id AS mailing_id
  FROM mailing_trace trace
  JOIN {recipient}
 CROSS JOIN LATERAL (VALUES {values}) AS event(code, kind, at)
 WHERE trace.model = '{model}' AND event.at IS NOT NULL"""
        for model, recipient in TRACE_RECIPIENTS.items()
    )


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    def init(self):
        result = super().init()
        # the customer history and engagement look traces up by recipient
        tools.create_index(
            self.env.cr,
            "mailing_trace_model_res_id_index",
            self._table,
            ["model", "res_id"],
        )
        return result
