from freezegun import freeze_time

from odoo.tests import tagged

from .sales_analytics_common import SalesAnalyticsCase

MODEL = "crm.lead.funnel.report"


@tagged("post_install", "-at_install")
class TestSalesAnalyticsFunnel(SalesAnalyticsCase):
    """The funnel follows the stage history as it is written: stage moves,
    backwards moves, won, lost and restored, deleted leads, the backfill."""

    def _active(self, leads, groupby, start="2026-01-01", end="2026-04-01"):
        domain = [
            ("lead_id", "in", leads.ids),
            ("cohort", "=", "active"),
            ("date", ">=", start),
            ("date", "<", end),
        ]
        return {
            tuple(keys): (count_in, moved)
            for *keys, count_in, moved in self.env[MODEL]._read_group(
                domain, groupby, ["count_in:sum", "count_reached:sum"]
            )
        }

    def _created(self, leads):
        return {
            stage: (count_in, reached, previous)
            for stage, count_in, reached, previous in self.env[MODEL]._read_group(
                [
                    ("lead_id", "in", leads.ids),
                    ("cohort", "=", "created"),
                    ("stage_id", "in", self.stages.ids),
                ],
                ["stage_id"],
                ["count_in:sum", "count_reached:sum", "count_previous:sum"],
            )
        }

    def _months(self, leads):
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT h.kind, m.stage_id, m.month::text, m.date, m.moved
              FROM crm_lead_stage_month m
              JOIN crm_lead_stage_history h ON h.id = m.history_id
             WHERE m.lead_id = ANY(%s)
             ORDER BY m.lead_id, h.entered_at, h.id, m.month
            """,
            [leads.ids],
        )
        return self.env.cr.fetchall()

    def _assert_months_rebuilt_alike(self, leads):
        """The months written along with the history are those a rebuild
        from the whole history gives."""
        stored = self._months(leads)
        self.env.cr.execute(
            "DELETE FROM crm_lead_stage_month WHERE lead_id = ANY(%s)", [leads.ids]
        )
        self.env["crm.lead.stage.month"]._fill(leads.ids)
        self.assertEqual(self._months(leads), stored)
        return stored

    def _travel(self):
        """New 5 Jan, Qualified 20 Jan, Proposal 10 Feb, back to Qualified
        15 Feb, won 3 Mar."""
        lead = self._opportunity("Traveller", "2026-01-05 08:00:00")
        self._move(lead, self.stage_qualified, "2026-01-20 08:00:00")
        self._move(lead, self.stage_proposal, "2026-02-10 08:00:00")
        self._move(lead, self.stage_qualified, "2026-02-15 08:00:00")
        self._win(lead, "2026-03-03 08:00:00")
        return lead

    def test_stage_writes_and_backwards_moves(self):
        lead = self._travel()
        per_stage = self._active(lead, ["stage_id"])
        self.assertEqual(
            per_stage,
            {
                (self.stage_new,): (1, 1),
                # two stays, both moved on (the second to won)
                (self.stage_qualified,): (2, 2),
                # left backwards: did not move on
                (self.stage_proposal,): (1, 0),
                (self.stage_won,): (1, 0),
            },
        )
        per_month = self._active(
            lead, ["stage_id", "date:month"], start="2026-01-01", end="2026-04-01"
        )
        qualified = {
            month: values
            for (stage, month), values in per_month.items()
            if stage == self.stage_qualified
        }
        self.assertEqual(
            list(qualified.values()),
            [(1, 0), (2, 1), (1, 1)],
            "January: entered; February: left forward, came back; March: won",
        )
        # the won stay goes on until today: one row a month, one stay a year
        won = self._active(lead, ["date:month"], start="2026-03-01", end="2026-06-01")
        self.assertEqual(list(won.values()), [(2, 1), (1, 0), (1, 0)])
        self.assertEqual(
            self._active(lead, [], start="2026-03-01", end="2026-06-01"),
            {(): (2, 1)},
        )
        self.assertEqual(
            self._created(lead),
            {stage: (1, 1, 1) for stage in self.stages},
        )
        self._assert_months_rebuilt_alike(lead)

    def test_won_lost_restore(self):
        lead = self._opportunity("Comeback", "2026-01-05 08:00:00")
        self._lose(lead, "2026-01-10 08:00:00")
        # a lost opportunity left its stage but did not move on
        self.assertEqual(self._active(lead, ["stage_id"]), {(self.stage_new,): (1, 0)})
        with freeze_time("2026-02-02 08:00:00"):
            lead.action_unarchive()
            self._flush_tracking(self.env)
        self._move(lead, self.stage_qualified, "2026-02-03 08:00:00")
        self.assertEqual(
            self._active(lead, ["stage_id", "date:month"]),
            {
                (self.stage_new, self._at("2026-01-01")): (1, 0),
                # the stay opened by the restore moved on
                (self.stage_new, self._at("2026-02-01")): (1, 1),
                (self.stage_qualified, self._at("2026-02-01")): (1, 0),
                (self.stage_qualified, self._at("2026-03-01")): (1, 0),
            },
        )
        self.assertEqual(
            self._created(lead),
            {
                self.stage_new: (1, 1, 1),
                self.stage_qualified: (1, 1, 1),
                self.stage_proposal: (1, 0, 1),
                self.stage_won: (1, 0, 0),
            },
        )
        self._win(lead, "2026-02-04 08:00:00")
        self.assertEqual(
            self._active(lead, ["stage_id"]),
            {
                (self.stage_new,): (2, 1),
                (self.stage_qualified,): (1, 1),
                (self.stage_won,): (1, 0),
            },
        )
        # lost from won: the won stay ends there, reached stays reached
        self._lose(lead, "2026-02-20 08:00:00")
        self.assertEqual(
            self._active(lead, ["stage_id"], end="2026-12-01")[(self.stage_won,)],
            (1, 0),
        )
        self.assertEqual(
            self._active(lead, ["date:month"], start="2026-03-01", end="2026-04-01"),
            {},
            "no stay goes on after the loss",
        )
        self.assertEqual(self._created(lead)[self.stage_won], (1, 1, 1))
        self._assert_months_rebuilt_alike(lead)

    def test_deleted_leads_leave_the_funnel(self):
        kept = self._travel()
        gone = self._opportunity("Gone", "2026-01-06 08:00:00")
        self._move(gone, self.stage_qualified, "2026-01-07 08:00:00")
        leads = kept | gone
        self.assertEqual(self._created(leads)[self.stage_qualified], (2, 2, 2))
        self.assertEqual(self._active(leads, ["stage_id"])[(self.stage_new,)], (2, 2))
        gone_id = gone.id
        gone.unlink()
        self.assertFalse(
            self.env["crm.lead.stage.month"].search([("lead_id", "=", gone_id)])
        )
        self.assertEqual(self._created(leads)[self.stage_qualified], (1, 1, 1))
        self.assertEqual(self._active(leads, ["stage_id"])[(self.stage_new,)], (1, 1))

    def test_backfill_gives_the_same_funnel(self):
        lead = self._travel()
        active = self._active(lead, ["stage_id", "date:month"], end="2026-12-01")
        created = self._created(lead)
        months = self._months(lead)
        self.env.cr.execute(
            "DELETE FROM crm_lead_stage_history WHERE lead_id = %s", [lead.id]
        )
        self.assertFalse(self._months(lead))
        self.env["crm.lead.stage.history"].invalidate_model()
        self.assertEqual(self._active(lead, ["stage_id"]), {})
        self.assertEqual(
            self.env["crm.lead.stage.history"]._backfill_from_tracking(), 5
        )
        self.assertEqual(
            self._active(lead, ["stage_id", "date:month"], end="2026-12-01"), active
        )
        self.assertEqual(self._created(lead), created)
        self.assertEqual(self._months(lead), months)

    def test_rows_keep_their_ids(self):
        """The list view reads rows by id: ids are unique and the same from
        one read to the next."""
        lead = self._travel()
        Report = self.env[MODEL]
        domain = [("lead_id", "=", lead.id)]
        rows = Report.search(domain)
        self.assertEqual(len(rows), len(set(rows.ids)))
        self.assertEqual(set(Report.search(domain).ids), set(rows.ids))
        first = rows[0]
        self.assertEqual(
            Report.search([("id", "=", first.id)]).read(["cohort", "stage_id"]),
            first.read(["cohort", "stage_id"]),
        )

    def test_months_of_the_stays(self):
        self._set_through(False)
        lead = self._travel()
        new, qualified = self.stage_new.id, self.stage_qualified.id
        proposal, won = self.stage_proposal.id, self.stage_won.id
        at = self._at
        self.assertEqual(
            self._months(lead),
            [
                ("create", new, "2026-01-01", at("2026-01-05 08:00:00"), True),
                ("stage", qualified, "2026-01-01", at("2026-01-20 08:00:00"), False),
                ("stage", qualified, "2026-02-01", at("2026-02-01"), True),
                # left backwards: not moved on
                ("stage", proposal, "2026-02-01", at("2026-02-10 08:00:00"), False),
                ("stage", qualified, "2026-02-01", at("2026-02-15 08:00:00"), False),
                ("stage", qualified, "2026-03-01", at("2026-03-01"), True),
                # open: its first month only until the cron stores the others
                ("won", won, "2026-03-01", at("2026-03-03 08:00:00"), False),
            ],
        )
        self._assert_months_rebuilt_alike(lead)

    def _set_through(self, value):
        self.env["ir.config_parameter"].set_param(
            "crm_relationship.stage_month_through", value
        )
        self.env.flush_all()

    def test_open_stays_get_their_months_from_the_cron(self):
        self._set_through(False)
        lead = self._travel()
        figures = self._active(lead, ["stage_id", "date:month"], end="2027-01-01")
        Month = self.env["crm.lead.stage.month"]
        self.assertTrue(Month._cron_extend_open_stays())
        self.env.cr.execute(
            "SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date::text"
        )
        [[current]] = self.env.cr.fetchall()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param(
                "crm_relationship.stage_month_through"
            ),
            current,
        )
        won_months = [row[2] for row in self._months(lead) if row[0] == "won"]
        self.assertEqual(won_months[0], "2026-03-01")
        self.assertEqual(won_months[-1], current)
        self.assertEqual(
            self._active(lead, ["stage_id", "date:month"], end="2027-01-01"),
            figures,
            "the same figures, stored or added on the fly",
        )
        self.assertFalse(Month._cron_extend_open_stays(), "once a month")
        self._assert_months_rebuilt_alike(lead)
        # stays opened later start at their own month and go on to the
        # current one; closed, they end at theirs
        other = self._opportunity("Later", "2026-04-02 08:00:00")
        self.assertEqual(self._months(other)[-1][2], current)
        self._move(other, self.stage_qualified, "2026-05-06 08:00:00")
        months = self._months(other)
        self.assertEqual(
            [row[1:3] + row[4:] for row in months if row[0] == "create"],
            [
                (self.stage_new.id, "2026-04-01", False),
                (self.stage_new.id, "2026-05-01", True),
            ],
        )
        self._assert_months_rebuilt_alike(other)

    def test_counts_keys_once_whatever_the_grouping(self):
        """Grouped by month a stay has one row a group and rows are counted;
        by week its first two rows may share a group and keys are counted."""
        # Monday 30 March to Friday 3 April: one week, Sunday or Monday first
        lead = self._opportunity("Month end", "2026-03-30 08:00:00")
        self._move(lead, self.stage_qualified, "2026-04-03 08:00:00")
        Report = self.env[MODEL]
        active = [("cohort", "=", "active")]
        self.assertTrue(Report._keys_unique_in_groups(active, ["date:month"]))
        self.assertFalse(Report._keys_unique_in_groups(active, ["date:week"]))
        self.assertFalse(Report._keys_unique_in_groups(active, ["stage_id"]))
        self.assertFalse(
            Report._keys_unique_in_groups(["|", *active, *active], ["date:month"])
        )
        created = [("cohort", "=", "created")]
        self.assertTrue(Report._keys_unique_in_groups(created, ["stage_id"]))
        self.assertFalse(Report._keys_unique_in_groups(created, ["date:month"]))
        self.assertFalse(Report._keys_unique_in_groups([], ["date:month"]))
        self.assertTrue(Report._keys_unique_in_groups([], ["stage_id", "date:month"]))
        # the stay in New has a March and an April row, in one week
        per_week = self._active(lead, ["stage_id", "date:week"], end="2026-05-01")
        self.assertEqual(
            [
                values
                for (stage, __), values in per_week.items()
                if stage == self.stage_new
            ],
            [(1, 1)],
        )
        per_month = self._active(lead, ["stage_id", "date:month"], end="2026-05-01")
        self.assertEqual(
            [
                values
                for (stage, __), values in per_month.items()
                if stage == self.stage_new
            ],
            [(1, 0), (1, 1)],
        )
