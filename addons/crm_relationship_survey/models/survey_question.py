from odoo import fields, models

from odoo.addons.crm_relationship.models.crm_customer_preference import (
    PREFERENCE_CATEGORIES,
)


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    crm_preference_category = fields.Selection(
        PREFERENCE_CATEGORIES,
        string="Customer Preference",
        help="A customer's answer to this question is recorded as a preference "
        "of this category (source Survey), topic the question, value the answer.",
    )

    def _is_nps_question(self):
        """A 0–10 scale question: its answer falls in an NPS bucket."""
        self.ensure_one()
        return (
            self.question_type == "scale"
            and self.scale_min == 0
            and self.scale_max == 10
        )
