from odoo import SUPERUSER_ID, _, fields, models
from odoo.exceptions import UserError

from odoo.addons.crm_relationship.report.crm_customer_timeline import TimelineSource

SURVEY_SLOT = 6
SURVEY_MODEL = "survey.user_input"


class CrmCustomerTimeline(models.Model):
    _inherit = "crm.customer.timeline"
    _depends = {
        "survey.user_input": [
            "state",
            "test_entry",
            "end_datetime",
            "write_date",
            "crm_customer_id",
            "partner_id",
            "survey_id",
            "scoring_percentage",
            "nps_score",
            "nps_bucket",
        ],
        "survey.survey": ["title", "user_id", "scoring_type"],
    }

    kind = fields.Selection(
        selection_add=[
            ("survey", "Survey"),
            ("nps_promoter", "Promoter"),
            ("nps_passive", "Passive"),
            ("nps_detractor", "Detractor"),
        ]
    )
    is_hidden_survey = fields.Boolean(
        compute="_compute_is_hidden_survey",
        search="_search_is_hidden_survey",
        help="A row of a survey answer the user may not read.",
    )

    def _timeline_sources(self):
        """Completed survey answers of the customer's contacts, with the
        score and the NPS answer in the title and its bucket as the kind."""
        sources = super()._timeline_sources()
        if "crm_relationship_survey" in self.env.context.get(
            "crm_timeline_without", ()
        ):
            return sources
        return [
            *sources,
            TimelineSource(
                slot=SURVEY_SLOT,
                table="survey_user_input src "
                "JOIN survey_survey survey ON survey.id = src.survey_id",
                columns={
                    "kind": "COALESCE('nps_' || src.nps_bucket, 'survey')",
                    "date": "COALESCE(src.end_datetime, src.write_date)",
                    "has_time": "TRUE",
                    "partner_id": "src.crm_customer_id",
                    "contact_id": "src.partner_id",
                    "title": """(survey.title->>'en_US')
                        || COALESCE(' – NPS ' || CASE WHEN src.nps_bucket
                            IS NOT NULL THEN src.nps_score END, '')
                        || CASE WHEN survey.scoring_type != 'no_scoring'
                            THEN ' – ' || ROUND(src.scoring_percentage::numeric)
                                || ' %' ELSE '' END""",
                    "user_id": "survey.user_id",
                    "res_model": f"'{SURVEY_MODEL}'",
                    "res_id": "src.id",
                    "is_financial": "FALSE",
                },
                where="""src.state = 'done' AND NOT COALESCE(src.test_entry, FALSE)
                    AND src.crm_customer_id IS NOT NULL""",
            ),
        ]

    def _compute_is_hidden_survey(self):
        readable = self._readable_survey_inputs()
        for row in self:
            row.is_hidden_survey = (
                row.res_model == SURVEY_MODEL
                and readable is not None
                and row.res_id not in readable
            )

    def _search_is_hidden_survey(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operator %s is not supported on this field.", operator))
        readable = self._readable_survey_inputs_query()
        if readable is None:  # the superuser reads every answer
            shown = [(1, "=", 1)]
        elif readable is False:
            shown = [("res_model", "!=", SURVEY_MODEL)]
        else:
            shown = ["|", ("res_model", "!=", SURVEY_MODEL), ("res_id", "in", readable)]
        if (operator == "=") != value:  # is_hidden_survey = False: shown rows
            return shown
        return ["!", *shown]

    def _readable_survey_inputs_query(self):
        """What the current user may read of survey answers by Odoo's own
        access rights and rules: None for all, False for none, else a query.
        (The record rules evaluate this as superuser: read as the user.)"""
        if self.env.su and self.env.uid == SUPERUSER_ID:
            return None
        UserInput = self.env[SURVEY_MODEL].sudo(False)
        if not UserInput.has_access("read"):
            return False
        return UserInput.with_context(active_test=False)._search([])

    def _readable_survey_inputs(self):
        readable = self._readable_survey_inputs_query()
        if readable is None:
            return None
        if readable is False:
            return set()
        rows = self.filtered(lambda row: row.res_model == SURVEY_MODEL)
        return set(
            self.env[SURVEY_MODEL]
            .sudo(False)
            .with_context(active_test=False)
            .search([("id", "in", rows.mapped("res_id"))])
            .ids
        )
