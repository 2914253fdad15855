from datetime import datetime

from freezegun import freeze_time

from odoo.tests import Form, TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSurveyHistory(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Galil Medical Ltd", "is_company": True})
        cls.contact = Partner.create(
            {"name": "Noa", "parent_id": cls.customer.id, "email": "noa@example.com"}
        )
        cls.other = Partner.create({"name": "Northwind Traders", "is_company": True})
        cls.survey = cls.env["survey.survey"].create(
            {"title": "Customer Satisfaction", "access_mode": "public"}
        )
        Question = cls.env["survey.question"]
        cls.nps_question = Question.create(
            {
                "survey_id": cls.survey.id,
                "sequence": 1,
                "title": "Would you recommend us?",
                "question_type": "scale",
                "scale_min": 0,
                "scale_max": 10,
            }
        )
        cls.channel_question = Question.create(
            {
                "survey_id": cls.survey.id,
                "sequence": 2,
                "title": "How should we keep in touch?",
                "question_type": "simple_choice",
                "crm_preference_category": "channel",
                "suggested_answer_ids": [
                    (0, 0, {"value": "Email"}),
                    (0, 0, {"value": "WhatsApp"}),
                ],
            }
        )
        cls.salesman = new_test_user(
            cls.env,
            login="survey_salesman",
            groups="sales_team.group_sale_salesman",
        )
        cls.survey_officer = new_test_user(
            cls.env,
            login="survey_officer",
            groups="sales_team.group_sale_salesman,survey.group_survey_user",
        )

    def _answer(self, score, when, contact=None, survey=None, **options):
        """A contact's answer given through the survey's own flow, done at
        ``when`` unless ``done=False``."""
        survey = survey or self.survey
        with freeze_time(when):
            user_input = survey._create_answer(
                partner=contact or self.contact,
                check_attempts=False,
                test_entry=options.get("test_entry", False),
            )
            question = survey.question_ids.filtered(
                lambda q: q.question_type == "scale"
            )[:1]
            if score is not None and question:
                # answers come from the form as text, "0" included
                user_input._save_lines(question, str(score))
            if options.get("channel"):
                answer = self.channel_question.suggested_answer_ids.filtered(
                    lambda a: a.value == options["channel"]
                )
                user_input._save_lines(self.channel_question, answer.id)
            if options.get("done", True):
                user_input._mark_done()
        return user_input

    def _history(self, user=None):
        Timeline = self.env["crm.customer.timeline"]
        if user:
            Timeline = Timeline.with_user(user)
        return Timeline.search(
            [
                ("partner_id", "=", self.customer.id),
                ("res_model", "=", "survey.user_input"),
            ]
        )

    def test_completed_answer_is_a_history_row_of_the_customer(self):
        answer = self._answer(9, "2026-03-01 10:00:00")
        self._answer(3, "2026-03-02 10:00:00", done=False)
        self._answer(2, "2026-03-03 10:00:00", test_entry=True)
        self._answer(1, "2026-03-04 10:00:00", contact=self.other)
        row = self._history()
        self.assertEqual(
            row.mapped("res_id"),
            [answer.id],
            "answers in progress, test entries and other customers' are left out",
        )
        self.assertEqual(row.kind, "nps_promoter")
        self.assertEqual(row.contact_id, self.contact)
        self.assertEqual(row.date, datetime(2026, 3, 1, 10))
        self.assertEqual(row.title, "Customer Satisfaction – NPS 9")
        self.assertEqual(row.action_open_source()["res_id"], answer.id)

    def test_nps_bucket_at_its_boundaries(self):
        expected = {
            0: "detractor",
            6: "detractor",
            7: "passive",
            8: "passive",
            9: "promoter",
            10: "promoter",
        }
        for score, bucket in expected.items():
            with self.subTest(score=score):
                answer = self._answer(score, "2026-03-01 10:00:00")
                self.assertEqual((answer.nps_score, answer.nps_bucket), (score, bucket))
                row = self._history().filtered(lambda r, a=answer: r.res_id == a.id)
                self.assertEqual(row.kind, f"nps_{bucket}")

    def test_survey_without_nps_question_is_a_plain_survey_row(self):
        quiz = self.env["survey.survey"].create(
            {
                "title": "Product Quiz",
                "scoring_type": "scoring_without_answers",
                "question_ids": [
                    (
                        0,
                        0,
                        {
                            "title": "Rate 1 to 5",
                            "question_type": "scale",
                            "scale_min": 1,
                            "scale_max": 5,
                        },
                    )
                ],
            }
        )
        answer = self._answer(4, "2026-03-01 10:00:00", survey=quiz)
        self.assertFalse(answer.nps_bucket, "a 1–5 scale is no NPS question")
        row = self._history()
        self.assertEqual(row.kind, "survey")
        self.assertEqual(row.title, "Product Quiz – 0 %")
        self.assertFalse(self.customer.latest_nps_bucket)

    def test_latest_nps_on_the_customer(self):
        self._answer(9, "2026-01-10 10:00:00")
        self._answer(4, "2026-02-10 10:00:00")
        self._answer(10, "2026-01-20 10:00:00", contact=self.customer)
        self.assertEqual(
            (
                self.customer.latest_nps_score,
                self.customer.latest_nps_bucket,
                self.customer.latest_nps_date,
            ),
            (4, "detractor", datetime(2026, 2, 10, 10)),
            "the latest completed answer of any of the customer's contacts",
        )
        self._answer(8, "2026-03-10 10:00:00", done=False)
        self.assertEqual(self.customer.latest_nps_score, 4, "not done yet")
        self.assertFalse(self.other.latest_nps_bucket)
        action = self.contact.action_view_survey_history()
        self.assertEqual(
            len(self.env["crm.customer.timeline"].search(action["domain"])), 3
        )

    def test_customer_list_filters_detractors(self):
        self._answer(5, "2026-03-01 10:00:00")
        detractors = self.env["res.partner"].search(
            [("latest_nps_bucket", "=", "detractor")]
        )
        self.assertIn(self.customer, detractors)
        self.assertNotIn(self.contact, detractors, "the customer carries it")

    def test_answer_to_a_preference_question_becomes_a_preference(self):
        Preference = self.env["crm.customer.preference"]
        with freeze_time("2026-03-01"):
            self._answer(9, "2026-03-01 10:00:00", channel="Email")
        with freeze_time("2026-04-01"):
            self._answer(9, "2026-04-01 10:00:00", channel="WhatsApp")
        preferences = Preference.search(
            [("partner_id", "=", self.customer.id), ("category", "=", "channel")],
            order="valid_from",
        )
        self.assertEqual(
            [(p.value, p.source, str(p.valid_to)) for p in preferences],
            [("Email", "survey", "2026-04-01"), ("WhatsApp", "survey", "False")],
            "the newer answer closes the preference it replaces",
        )
        self.assertEqual(preferences[1].topic, "How should we keep in touch?")

    def test_salesperson_sees_survey_rows_only_with_survey_rights(self):
        answer = self._answer(7, "2026-03-01 10:00:00")
        self.env["crm.interaction"].create(
            {"partner_id": self.customer.id, "name": "Call"}
        )
        self.assertFalse(self._history(self.salesman))
        self.assertTrue(
            self.env["crm.customer.timeline"]
            .with_user(self.salesman)
            .search([("partner_id", "=", self.customer.id)]),
            "the rest of the history stays",
        )
        self.assertEqual(self._history(self.survey_officer).res_id, answer.id)
        self.assertEqual(
            self.customer.with_user(self.salesman).latest_nps_bucket, "passive"
        )
        self.survey.restrict_user_ids = self.env.ref("base.user_admin")
        self.assertFalse(
            self._history(self.survey_officer),
            "a restricted survey's answers are for its users only",
        )

    def test_partner_form_shows_latest_nps(self):
        self._answer(10, "2026-03-01 10:00:00")
        with Form(self.customer.with_user(self.salesman)) as form:
            self.assertEqual(form.latest_nps_bucket, "promoter")
            self.assertEqual(form.latest_nps_score, 10)

    def test_history_rule_adds_no_query(self):
        """The rule is evaluated at every search of the history (the
        customer form counts it): deciding it reads no table, the answers a
        survey user may read are a subquery of the history's."""
        for user in (self.salesman, self.survey_officer):
            # as the rules are evaluated: superuser mode, the user's id
            Timeline = self.env["crm.customer.timeline"].with_user(user).sudo()
            Timeline._search_is_hidden_survey("=", False)
            with self.assertQueryCount(0):
                Timeline._search_is_hidden_survey("=", False)

    def test_history_rebuilt_without_surveys_when_uninstalling(self):
        """What the uninstall hook does, so that dropping the survey columns
        leaves the rest of the history in place."""
        self._answer(9, "2026-03-01 10:00:00")
        Timeline = self.env["crm.customer.timeline"]
        Timeline.with_context(crm_timeline_without=["crm_relationship_survey"]).init()
        self.assertFalse(self._history())
        Timeline.init()
        self.assertTrue(self._history())

    def test_latest_nps_is_the_latest_satisfaction_of_the_customer_value(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Electra Ltd",
                "is_company": True,
                "customer_rank": 1,
                "company_id": self.env.company.id,
            }
        )
        contact = self.env["res.partner"].create(
            {"name": "Dan", "parent_id": customer.id, "email": "dan@example.com"}
        )
        Value = self.env["crm.customer.value"]

        def latest():
            Value._run_computation(today=datetime(2026, 3, 1).date())
            return Value.search(
                [
                    ("partner_id", "=", customer.id),
                    ("company_id", "=", self.env.company.id),
                    ("computed_on", "=", "2026-03-01"),
                ]
            )

        self._answer(4, "2026-02-10 10:00:00", contact=contact)
        with freeze_time("2026-03-01 06:00:00"):
            value = latest()
            self.assertEqual(value.latest_rating, 1, "a detractor rates 1")
            self.assertEqual(value.latest_rating_date, datetime(2026, 2, 10, 10))
            self.assertIn("low_rating", value.churn_reason_codes or "")
        self._answer(9, "2026-02-20 10:00:00", contact=contact)
        with freeze_time("2026-03-01 06:00:00"):
            value = latest()
            self.assertEqual(value.latest_rating, 5, "a promoter rates 5")
            self.assertNotIn("low_rating", value.churn_reason_codes or "")
