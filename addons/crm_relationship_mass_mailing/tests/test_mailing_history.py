from datetime import datetime

from freezegun import freeze_time

from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMailingHistory(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Galil Medical Ltd", "is_company": True})
        cls.contact = Partner.create(
            {"name": "Noa", "parent_id": cls.customer.id, "email": "noa@example.com"}
        )
        cls.colleague = Partner.create(
            {"name": "Avi", "parent_id": cls.customer.id, "email": "avi@example.com"}
        )
        cls.other = Partner.create(
            {"name": "Northwind Traders", "is_company": True, "email": "nw@ex.com"}
        )
        cls.lead = cls.env["crm.lead"].create(
            {"name": "Galil expansion", "partner_id": cls.colleague.id}
        )
        cls.mailing = cls.env["mailing.mailing"].create(
            {
                "subject": "Service plans for 2027",
                "mailing_model_id": cls.env["ir.model"]._get_id("res.partner"),
                "body_html": "<p>Plans</p>",
            }
        )
        cls.salesman = new_test_user(
            cls.env, login="mailing_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.marketer = new_test_user(
            cls.env,
            login="mailing_marketer",
            groups="sales_team.group_sale_salesman,mass_mailing.group_mass_mailing_user",
        )

    def _trace(self, recipient, sent_at, model="res.partner"):
        trace = self.env["mailing.trace"].create(
            {
                "mass_mailing_id": self.mailing.id,
                "model": model,
                "res_id": recipient.id,
                "email": recipient.email_from
                if model == "crm.lead"
                else recipient.email,
            }
        )
        with freeze_time(sent_at):
            trace.set_sent()
        return trace

    def _history(self, user=None, customer=None):
        Timeline = self.env["crm.customer.timeline"]
        if user:
            Timeline = Timeline.with_user(user)
        return Timeline.search(
            [
                ("partner_id", "=", (customer or self.customer).id),
                ("res_model", "=", "mailing.mailing"),
            ],
            order="date, id",
        )

    def test_each_reaction_is_a_history_row(self):
        trace = self._trace(self.contact, "2026-03-01 09:00:00")
        with freeze_time("2026-03-01 12:00:00"):
            trace.set_opened()
        with freeze_time("2026-03-02 08:30:00"):
            trace.set_clicked()
        with freeze_time("2026-03-03 10:00:00"):
            trace.set_replied()
        self._trace(self.other, "2026-03-01 09:00:00")
        self.assertEqual(
            [(row.kind, row.date, row.contact_id) for row in self._history()],
            [
                ("mailing_sent", datetime(2026, 3, 1, 9), self.contact),
                ("mailing_opened", datetime(2026, 3, 1, 12), self.contact),
                ("mailing_clicked", datetime(2026, 3, 2, 8, 30), self.contact),
                ("mailing_replied", datetime(2026, 3, 3, 10), self.contact),
            ],
        )
        row = self._history()[0]
        self.assertEqual(row.title, "Service plans for 2027")
        self.assertEqual(row.action_open_source()["res_id"], self.mailing.id)
        self.assertEqual(len(set(self._history().ids)), 4, "every row its own id")

    def test_bounce_and_mailing_to_a_lead(self):
        bounced = self._trace(self.contact, "2026-03-01 09:00:00")
        with freeze_time("2026-03-01 09:05:00"):
            bounced.set_bounced(bounce_message="550 no such user")
        self._trace(self.lead, "2026-03-04 09:00:00", model="crm.lead")
        self.assertEqual(
            [(row.kind, row.date, row.contact_id) for row in self._history()],
            [
                ("mailing_sent", datetime(2026, 3, 1, 9), self.contact),
                ("mailing_bounced", datetime(2026, 3, 1, 9), self.contact),
                ("mailing_sent", datetime(2026, 3, 4, 9), self.colleague),
            ],
            "a bounce shows when the mail was sent (Odoo keeps no bounce "
            "time); a mailing to a lead counts for the lead's customer",
        )

    def test_not_yet_sent_is_no_row(self):
        self.env["mailing.trace"].create(
            {
                "mass_mailing_id": self.mailing.id,
                "model": "res.partner",
                "res_id": self.contact.id,
                "trace_status": "outgoing",
            }
        )
        self.assertFalse(self._history())

    def test_engagement_over_the_last_90_days(self):
        old = self._trace(self.contact, "2026-01-01 09:00:00")
        with freeze_time("2026-01-02 09:00:00"):
            old.set_opened()
        recent = self._trace(self.contact, "2026-03-01 09:00:00")
        with freeze_time("2026-03-01 10:00:00"):
            recent.set_opened()
            recent.set_clicked()
        replied = self._trace(self.colleague, "2026-03-05 09:00:00")
        with freeze_time("2026-03-06 10:00:00"):
            replied.set_replied()
        bounced = self._trace(self.lead, "2026-03-06 09:00:00", model="crm.lead")
        with freeze_time("2026-03-06 09:01:00"):
            bounced.set_bounced()
        self._trace(self.other, "2026-03-06 09:00:00")

        def engagement(partner):
            partner.invalidate_recordset()
            return (
                partner.mailing_sent_count,
                partner.mailing_opened_count,
                partner.mailing_clicked_count,
                partner.mailing_replied_count,
                partner.mailing_bounced_count,
                partner.mailing_open_rate,
            )

        with freeze_time("2026-03-31 12:00:00"):
            # sent 1 January: 89 days and 3 hours back, still in
            self.assertEqual(engagement(self.customer), (4, 2, 1, 1, 1, 50.0))
            self.assertEqual(
                engagement(self.contact),
                engagement(self.customer),
                "a contact shows its company's engagement",
            )
        with freeze_time("2026-04-01 12:00:00"):
            # sent more than 90 days back: neither it nor its opening count
            self.assertEqual(engagement(self.customer), (3, 1, 1, 1, 1, 33.0))
        with freeze_time("2026-09-01"):
            self.assertEqual(engagement(self.customer), (0, 0, 0, 0, 0, 0.0))
        action = self.customer.action_view_mailing_history()
        self.assertEqual(
            len(self.env["crm.customer.timeline"].search(action["domain"])), 9
        )

    def test_engagement_of_many_customers_in_one_query(self):
        customers = self.env["res.partner"].create(
            [{"name": f"Customer {n}", "is_company": True} for n in range(10)]
        )
        contacts = self.env["res.partner"].create(
            [
                {"name": f"Contact {n}", "parent_id": c.id, "email": f"c{n}@ex.com"}
                for n, c in enumerate(customers)
            ]
        )
        for contact in contacts:
            self._trace(contact, "2026-03-01 09:00:00")
        self.env.flush_all()
        with freeze_time("2026-03-10"):
            # the partners' own fields, then the engagement of all at once
            customers[:1].invalidate_recordset()
            with self.assertQueryCount(2):
                customers[:1].mapped("mailing_sent_count")
            customers.invalidate_recordset()
            with self.assertQueryCount(2):
                self.assertEqual(customers.mapped("mailing_sent_count"), [1] * 10)

    def test_mailing_rows_follow_odoo_rights(self):
        self._trace(self.contact, "2026-03-01 09:00:00")
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
        self.assertEqual(len(self._history(self.marketer)), 1)

    def test_history_rule_adds_no_query(self):
        """The rule is evaluated at every search of the history (the
        customer form counts it): deciding it reads no table."""
        for user in (self.salesman, self.marketer):
            # as the rules are evaluated: superuser mode, the user's id
            Timeline = self.env["crm.customer.timeline"].with_user(user).sudo()
            Timeline._search_is_hidden_mailing("=", False)
            with self.assertQueryCount(0):
                Timeline._search_is_hidden_mailing("=", False)

    def test_history_rebuilt_without_mailings_when_uninstalling(self):
        """What the uninstall hook does, so that dropping the mailing tables
        leaves the rest of the history in place."""
        self._trace(self.contact, "2026-03-01 09:00:00")
        Timeline = self.env["crm.customer.timeline"]
        Timeline.with_context(
            crm_timeline_without=["crm_relationship_mass_mailing", "mass_mailing"]
        ).init()
        self.assertFalse(self._history())
        Timeline.init()
        self.assertTrue(self._history())
