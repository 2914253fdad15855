from contextlib import contextmanager

from freezegun import freeze_time

from odoo.tests import tagged

from .sales_analytics_common import SalesAnalyticsCase


@tagged("post_install", "-at_install")
class TestSalesAnalyticsHistory(SalesAnalyticsCase):
    def _assert_rows(self, rows, expected):
        self.assertEqual(len(rows), len(expected))
        for row, values in zip(rows, expected, strict=False):
            self.assertRecordValues(row, [values])

    def _rows(self, lead):
        return self.env["crm.lead.stage.history"].search(
            [("lead_id", "=", lead.id)], order="entered_at, id"
        )

    def test_create_opens_one_row(self):
        lead = self._opportunity(
            "Creation", "2026-01-05 09:00:00", expected_revenue=500
        )
        rows = self._rows(lead)
        self.assertEqual(len(rows), 1)
        self.assertRecordValues(
            rows,
            [
                {
                    "kind": "create",
                    "stage_from_id": False,
                    "stage_id": self.stage_new.id,
                    "entered_at": self._at("2026-01-05 09:00:00"),
                    "left_at": False,
                    "user_id": self.salesman.id,
                    "team_id": self.team.id,
                    "expected_revenue": 500.0,
                    "is_backwards": False,
                }
            ],
        )
        self.assertEqual(lead.stage_history_ids, rows)

    def test_stage_moves_forward_and_backwards(self):
        lead = self._opportunity("Moves", "2026-01-05 09:00:00")
        self._move(lead, self.stage_qualified, "2026-01-05 19:00:00")
        self._move(lead, self.stage_proposal, "2026-01-07 19:00:00")
        self._move(lead, self.stage_qualified, "2026-01-08 07:00:00")
        # writing the same stage again is no change
        self._move(lead, self.stage_qualified, "2026-01-09 07:00:00")
        self._assert_rows(
            self._rows(lead),
            [
                {
                    "kind": "create",
                    "stage_id": self.stage_new.id,
                    "left_at": self._at("2026-01-05 19:00:00"),
                    "duration_hours": 10.0,
                    "is_backwards": False,
                },
                {
                    "kind": "stage",
                    "stage_from_id": self.stage_new.id,
                    "stage_id": self.stage_qualified.id,
                    "duration_hours": 48.0,
                    "is_backwards": False,
                },
                {
                    "kind": "stage",
                    "stage_from_id": self.stage_qualified.id,
                    "stage_id": self.stage_proposal.id,
                    "duration_hours": 12.0,
                    "is_backwards": False,
                },
                {
                    "kind": "stage",
                    "stage_from_id": self.stage_proposal.id,
                    "stage_id": self.stage_qualified.id,
                    "left_at": False,
                    "duration_hours": 0.0,
                    "is_backwards": True,
                },
            ],
        )

    def test_won_lost_restore(self):
        lead = self._opportunity("Outcome", "2026-02-01 08:00:00", expected_revenue=900)
        self._lose(
            lead, "2026-02-02 08:00:00", feedback="<p>Too expensive for them</p>"
        )
        self.assertFalse(lead.active)
        self.assertEqual(lead.lost_reason_id, self.reason_price)
        self.assertIn("Too expensive", lead.lost_feedback)
        with freeze_time("2026-02-03 08:00:00"):
            lead.action_unarchive()
        self.assertFalse(lead.lost_feedback)
        self.assertFalse(lead.lost_reason_id)
        self._win(lead, "2026-02-04 20:00:00")
        self._assert_rows(
            self._rows(lead),
            [
                {
                    "kind": "create",
                    "stage_id": self.stage_new.id,
                    "duration_hours": 24.0,
                },
                {
                    "kind": "lost",
                    "stage_from_id": self.stage_new.id,
                    "stage_id": self.stage_new.id,
                    "duration_hours": 24.0,
                    "probability": 0.0,
                },
                {
                    "kind": "restore",
                    "stage_id": self.stage_new.id,
                    "duration_hours": 36.0,
                },
                {
                    "kind": "won",
                    "stage_from_id": self.stage_new.id,
                    "stage_id": self.stage_won.id,
                    "left_at": False,
                    "probability": 100.0,
                    "expected_revenue": 900.0,
                },
            ],
        )

    def test_lost_without_feedback_keeps_none(self):
        lead = self._opportunity("Quiet loss", "2026-02-01 08:00:00")
        self._lose(lead, "2026-02-02 08:00:00", feedback="<p><br></p>")
        self.assertFalse(lead.lost_feedback)

    @contextmanager
    def _queries(self):
        queries = []
        yield from self._patchExecute(queries)

    def test_multi_record_write_is_one_insert(self):
        leads = self.env["crm.lead"]
        for index in range(12):
            leads |= self._opportunity(f"Batch {index}", "2026-03-01 08:00:00")
        self.env.flush_all()
        queries = []
        with freeze_time("2026-03-02 08:00:00"):
            with contextmanager(self._patchExecute)(queries):
                leads.write({"stage_id": self.stage_qualified.id})
        history_inserts = [
            query
            for query in queries
            if "insert into crm_lead_stage_history" in " ".join(query.lower().split())
        ]
        history_updates = [
            query
            for query in queries
            if "update crm_lead_stage_history" in " ".join(query.lower().split())
        ]
        self.assertEqual(len(history_inserts), 1)
        self.assertEqual(len(history_updates), 1)
        rows = self.env["crm.lead.stage.history"].search(
            [("lead_id", "in", leads.ids), ("kind", "=", "stage")]
        )
        self.assertEqual(len(rows), 12)
        self.assertEqual(set(rows.mapped("stage_id")), {self.stage_qualified})
        # one creation batch too: one INSERT for a create of several leads
        queries = []
        with contextmanager(self._patchExecute)(queries):
            self.env["crm.lead"].create(
                [
                    {"name": f"Batch create {index}", "team_id": self.team.id}
                    for index in range(5)
                ]
            )
        self.assertEqual(
            len(
                [
                    q
                    for q in queries
                    if "crm_lead_stage_history" in q.lower() and "insert" in q.lower()
                ]
            ),
            1,
        )

    def test_backfill_from_tracking_values(self):
        lead = self._opportunity("Old lead", "2025-06-01 08:00:00")
        self._move(lead, self.stage_qualified, "2025-06-03 08:00:00")
        self._move(lead, self.stage_proposal, "2025-06-04 08:00:00")
        self._move(lead, self.stage_qualified, "2025-06-05 20:00:00")
        self._lose(lead, "2025-06-06 08:00:00")
        self.env.flush_all()
        expected = [
            {
                "kind": "create",
                "stage_from_id": False,
                "stage_id": self.stage_new.id,
                "entered_at": self._at("2025-06-01 08:00:00"),
                "duration_hours": 48.0,
                "is_backwards": False,
            },
            {
                "kind": "stage",
                "stage_from_id": self.stage_new.id,
                "stage_id": self.stage_qualified.id,
                "entered_at": self._at("2025-06-03 08:00:00"),
                "duration_hours": 24.0,
                "is_backwards": False,
            },
            {
                "kind": "stage",
                "stage_from_id": self.stage_qualified.id,
                "stage_id": self.stage_proposal.id,
                "entered_at": self._at("2025-06-04 08:00:00"),
                "duration_hours": 36.0,
                "is_backwards": False,
            },
            {
                "kind": "stage",
                "stage_from_id": self.stage_proposal.id,
                "stage_id": self.stage_qualified.id,
                "entered_at": self._at("2025-06-05 20:00:00"),
                "duration_hours": 12.0,
                "is_backwards": True,
            },
            {
                "kind": "lost",
                "stage_from_id": self.stage_qualified.id,
                "stage_id": self.stage_qualified.id,
                "entered_at": self._at("2025-06-06 08:00:00"),
                "left_at": False,
                "is_backwards": False,
            },
        ]
        self._assert_rows(self._rows(lead), expected)
        # as on a database where the addon was just installed
        self.env.cr.execute(
            "DELETE FROM crm_lead_stage_history WHERE lead_id = %s", [lead.id]
        )
        self.env["crm.lead.stage.history"].invalidate_model()
        History = self.env["crm.lead.stage.history"]
        self.assertEqual(History._backfill_from_tracking(), 5)
        self._assert_rows(self._rows(lead), expected)
        # leads that have a history are left alone
        self.assertEqual(History._backfill_from_tracking(), 0)
