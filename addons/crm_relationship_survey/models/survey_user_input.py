from odoo import api, fields, models

NPS_BUCKETS = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]


def nps_bucket(score):
    """The NPS bucket of a 0–10 answer: promoters 9–10, passives 7–8,
    detractors 0–6."""
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    crm_customer_id = fields.Many2one(
        "res.partner",
        string="Customer",
        related="partner_id.commercial_partner_id",
        store=True,
        index="btree_not_null",
    )
    nps_score = fields.Integer(
        "NPS Answer",
        compute="_compute_nps",
        store=True,
        aggregator="avg",
        help="The answer to the survey's first 0–10 scale question.",
    )
    nps_bucket = fields.Selection(
        NPS_BUCKETS,
        "NPS",
        compute="_compute_nps",
        store=True,
        help="Promoter 9–10, passive 7–8, detractor 0–6; empty when the "
        "survey has no 0–10 question or it was skipped.",
    )

    @api.depends(
        "user_input_line_ids.value_scale",
        "user_input_line_ids.skipped",
        "user_input_line_ids.question_id.question_type",
        "user_input_line_ids.question_id.scale_min",
        "user_input_line_ids.question_id.scale_max",
    )
    def _compute_nps(self):
        for user_input in self:
            answers = user_input.user_input_line_ids.filtered(
                lambda line: not line.skipped
                and line.answer_type == "scale"
                and line.question_id._is_nps_question()
            ).sorted(lambda line: (line.question_sequence, line.question_id.id))
            score = answers[:1].value_scale if answers else False
            user_input.nps_score = score
            user_input.nps_bucket = nps_bucket(score) if answers else False

    def _mark_done(self):
        result = super()._mark_done()
        self._record_customer_preferences()
        return result

    def _record_customer_preferences(self):
        """Answers to questions marked *Customer Preference* become the
        customer's preferences (source Survey); a new answer closes the
        preference it replaces."""
        values = []
        for user_input in self.filtered(lambda ui: ui.crm_customer_id):
            if user_input.test_entry:
                continue
            by_question = {}
            for line in user_input.user_input_line_ids:
                if line.skipped or not line.question_id.crm_preference_category:
                    continue
                by_question.setdefault(line.question_id, []).append(
                    str(line.display_name)
                )
            for question, answers in by_question.items():
                values.append(
                    {
                        "partner_id": user_input.crm_customer_id.id,
                        "category": question.crm_preference_category,
                        "topic": question.title,
                        "value": ", ".join(answers),
                        "source": "survey",
                        "valid_from": fields.Date.context_today(user_input),
                    }
                )
        if values:
            self.env["crm.customer.preference"].sudo().create(values)
