from odoo import _, api, fields, models

from .survey_user_input import NPS_BUCKETS


class ResPartner(models.Model):
    _inherit = "res.partner"

    survey_customer_input_ids = fields.One2many(
        "survey.user_input",
        "crm_customer_id",
        string="Customer's Survey Answers",
        help="Surveys answered by the customer's contacts.",
    )
    latest_nps_score = fields.Integer(
        "Latest NPS Answer",
        compute="_compute_latest_nps",
        store=True,
        aggregator="avg",
        help="The 0–10 answer of the customer's latest completed survey "
        "with an NPS question.",
    )
    latest_nps_bucket = fields.Selection(
        NPS_BUCKETS,
        "Latest NPS",
        compute="_compute_latest_nps",
        store=True,
    )
    latest_nps_date = fields.Datetime(
        "NPS Answered On", compute="_compute_latest_nps", store=True
    )

    @api.depends(
        "survey_customer_input_ids.state",
        "survey_customer_input_ids.test_entry",
        "survey_customer_input_ids.end_datetime",
        "survey_customer_input_ids.nps_bucket",
        "survey_customer_input_ids.nps_score",
    )
    def _compute_latest_nps(self):
        """One query for the whole batch: the latest NPS answer per customer."""
        customer_ids = [partner._origin.id for partner in self if partner._origin.id]
        latest = {}
        if customer_ids:
            UserInput = self.env["survey.user_input"]
            UserInput.flush_model(
                ["crm_customer_id", "state", "test_entry", "end_datetime"]
                + ["nps_bucket", "nps_score"]
            )
            self.env.cr.execute(
                """SELECT DISTINCT ON (crm_customer_id)
                          crm_customer_id, nps_score, nps_bucket,
                          COALESCE(end_datetime, write_date)
                     FROM survey_user_input
                    WHERE crm_customer_id = ANY(%s)
                      AND state = 'done'
                      AND NOT COALESCE(test_entry, FALSE)
                      AND nps_bucket IS NOT NULL
                    ORDER BY crm_customer_id,
                             COALESCE(end_datetime, write_date) DESC, id DESC""",
                [customer_ids],
            )
            latest = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for partner in self:
            score, bucket, answered_on = latest.get(
                partner._origin.id, (0, False, False)
            )
            partner.latest_nps_score = score
            partner.latest_nps_bucket = bucket
            partner.latest_nps_date = answered_on

    def action_view_survey_history(self):
        """The customer's history with only its survey answers."""
        action = self.action_view_history()
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("res_model", "=", "survey.user_input"),
        ]
        action["display_name"] = _(
            "Surveys of %s", self.commercial_partner_id.display_name
        )
        return action
