from odoo import api, fields, models

HISTORY_KINDS = [
    ("create", "Created"),
    ("stage", "Stage Change"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("restore", "Restored"),
]


class CrmLeadStageHistory(models.Model):
    """One row per stage change of a lead (Salesforce's OpportunityHistory).

    A row opens when the lead enters a stage (or is created, won, lost or
    restored) and closes when the next row of the same lead opens: its
    duration is the time spent there. Rows are written by ``crm.lead`` in SQL,
    one INSERT per write whatever the number of leads, and are never edited
    by hand.
    """

    _name = "crm.lead.stage.history"
    _description = "Opportunity Stage History"
    _order = "lead_id, entered_at, id"
    _rec_name = "stage_id"

    lead_id = fields.Many2one(
        "crm.lead", "Opportunity", required=True, readonly=True, ondelete="cascade"
    )
    kind = fields.Selection(HISTORY_KINDS, required=True, readonly=True)
    stage_from_id = fields.Many2one(
        "crm.stage", "From Stage", readonly=True, ondelete="set null"
    )
    stage_id = fields.Many2one(
        "crm.stage", "Stage", readonly=True, index=True, ondelete="set null"
    )
    entered_at = fields.Datetime(required=True, readonly=True, index=True)
    left_at = fields.Datetime(readonly=True)
    duration_hours = fields.Float(
        "Duration (Hours)",
        readonly=True,
        aggregator="avg",
        help="Hours spent in this stage; empty while the lead is still there.",
    )
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    expected_revenue = fields.Monetary(
        currency_field="company_currency_id", readonly=True, aggregator=None
    )
    probability = fields.Float(readonly=True, aggregator="avg")
    is_backwards = fields.Boolean(
        "Went Backwards",
        readonly=True,
        help="The lead moved to a stage with a lower sequence than the one it left.",
    )

    def init(self):
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS crm_lead_stage_history_lead_open_idx
                ON crm_lead_stage_history (lead_id) WHERE left_at IS NULL;
            CREATE INDEX IF NOT EXISTS crm_lead_stage_history_lead_entered_idx
                ON crm_lead_stage_history (lead_id, entered_at)
            """
        )

    @api.model
    def _record_changes(self, changes, when=None):
        """Close the open rows of the leads and open new ones, set-based.

        :param changes: list of ``(lead_id, stage_from_id, kind)``; the new
            row's stage, salesperson, team, revenue and probability are read
            from the lead as it is now (flushed).
        """
        if not changes:
            return
        when = when or fields.Datetime.now()
        fnames = ["stage_id", "user_id", "team_id", "company_id", "expected_revenue"]
        if any(kind != "create" for __, __, kind in changes):
            # a new lead's probability is the one its INSERT computed: forcing
            # its recomputation here, inside create, would decide "automated
            # or manual" before Odoo's own create is done with the lead
            fnames.append("probability")
        self.env["crm.lead"].flush_model(fnames)
        lead_ids = [change[0] for change in changes]
        params = {
            "when": when,
            "uid": self.env.uid,
            "ids": lead_ids,
            "froms": [change[1] or None for change in changes],
            "kinds": [change[2] for change in changes],
        }
        changes_sql = """
            SELECT c.lead_id, c.kind, c.stage_from_id, l.stage_id,
                   l.user_id, l.team_id, l.company_id, l.expected_revenue,
                   l.probability,
                   COALESCE(sf.sequence > st.sequence, FALSE) AS is_backwards
              FROM unnest(%(ids)s::int[], %(froms)s::int[], %(kinds)s::varchar[])
                   AS c(lead_id, stage_from_id, kind)
              JOIN crm_lead l ON l.id = c.lead_id
              LEFT JOIN crm_stage sf ON sf.id = c.stage_from_id
              LEFT JOIN crm_stage st ON st.id = l.stage_id
        """
        cr = self.env.cr
        if any(kind != "create" for __, __, kind in changes):
            # close the open stays and give them their months through the one
            # they end in: the last "moved" when they left for a further stage
            cr.execute(
                f"""
                WITH change AS ({changes_sql}
                ), closed AS (
                    UPDATE crm_lead_stage_history h
                       SET left_at = %(when)s,
                           duration_hours = GREATEST(
                               EXTRACT(EPOCH FROM %(when)s - h.entered_at)
                               / 3600.0, 0)
                     WHERE h.lead_id = ANY(%(ids)s) AND h.left_at IS NULL
                    RETURNING h.id, h.lead_id, h.stage_id, h.kind, h.entered_at
                ), trimmed AS (
                    DELETE FROM crm_lead_stage_month m
                     USING closed
                     WHERE m.history_id = closed.id
                       AND m.month > date_trunc('month', %(when)s)
                )
                INSERT INTO crm_lead_stage_month AS m (
                    history_id, lead_id, stage_id, month, date, moved)
                SELECT cl.id, cl.lead_id, cl.stage_id, mo.month,
                       GREATEST(mo.month, cl.entered_at),
                       mo.month = date_trunc('month', %(when)s)
                       AND ch.kind IN ('stage', 'won') AND NOT ch.is_backwards
                  FROM closed cl
                  JOIN change ch ON ch.lead_id = cl.lead_id
                 CROSS JOIN LATERAL generate_series(
                       date_trunc('month', cl.entered_at),
                       date_trunc('month', %(when)s),
                       interval '1 month') AS mo(month)
                 WHERE cl.kind != 'lost' AND cl.stage_id IS NOT NULL
                ON CONFLICT (history_id, month) DO UPDATE SET moved = EXCLUDED.moved
                 WHERE m.moved IS DISTINCT FROM EXCLUDED.moved
                """,
                params,
            )
        # open the new stays, with their months through the later of their
        # first one and the one the open stays are stored through
        cr.execute(
            f"""
            WITH change AS ({changes_sql}
            ), opened AS (
                INSERT INTO crm_lead_stage_history (
                    lead_id, kind, stage_from_id, stage_id, entered_at,
                    user_id, team_id, company_id, expected_revenue, probability,
                    is_backwards, create_uid, create_date, write_uid, write_date)
                SELECT c.lead_id, c.kind, c.stage_from_id, c.stage_id, %(when)s,
                       c.user_id, c.team_id, c.company_id,
                       COALESCE(c.expected_revenue, 0),
                       -- lost is probability 0: Odoo writes it after archiving
                       CASE WHEN c.kind = 'lost' THEN 0
                            ELSE COALESCE(c.probability, 0) END,
                       c.is_backwards, %(uid)s, %(when)s, %(uid)s, %(when)s
                  FROM change c
                RETURNING id, lead_id, stage_id, kind
            )
            INSERT INTO crm_lead_stage_month (
                history_id, lead_id, stage_id, month, date, moved)
            SELECT o.id, o.lead_id, o.stage_id, mo.month,
                   GREATEST(mo.month, %(when)s), FALSE
              FROM opened o
             CROSS JOIN LATERAL generate_series(
                   date_trunc('month', %(when)s),
                   GREATEST(date_trunc('month', %(when)s),
                            crm_lead_stage_month_through()),
                   interval '1 month') AS mo(month)
             WHERE o.kind != 'lost' AND o.stage_id IS NOT NULL
            """,
            params,
        )
        self.env["crm.lead.stage.month"].invalidate_model()
        self.invalidate_model()
        self.env["crm.lead"].browse(lead_ids).invalidate_recordset(
            ["stage_history_ids"]
        )

    @api.model
    def _backfill_from_tracking(self):
        """Rebuild the history of the leads that have none from the tracked
        changes of their stage and active flag, in SQL.

        The creation row takes the stage the first tracked change left (or the
        current stage when none was tracked); salesperson, team, revenue and
        probability are the lead's current ones, the tracking keeping no
        earlier value of them.
        """
        self.env["crm.lead"].flush_model()
        self.env["mail.tracking.value"].flush_model()
        self.env["mail.message"].flush_model()
        cr = self.env.cr
        cr.execute(
            """
            WITH todo AS (
                SELECT l.id FROM crm_lead l
                 WHERE NOT EXISTS (
                     SELECT 1 FROM crm_lead_stage_history h WHERE h.lead_id = l.id)
            ), tracked AS (
                SELECT m.res_id AS lead_id, m.date, t.id AS tracking_id,
                       f.name AS field, t.old_value_integer AS old_value,
                       t.new_value_integer AS new_value
                  FROM mail_tracking_value t
                  JOIN ir_model_fields f ON f.id = t.field_id
                  JOIN mail_message m ON m.id = t.mail_message_id
                  JOIN todo ON todo.id = m.res_id
                 WHERE m.model = 'crm.lead' AND f.model = 'crm.lead'
                   AND f.name IN ('stage_id', 'active')
            ), first_stage AS (
                SELECT DISTINCT ON (lead_id) lead_id, old_value
                  FROM tracked WHERE field = 'stage_id'
                 ORDER BY lead_id, date, tracking_id
            ), changes AS (
                SELECT l.id AS lead_id, l.create_date AS entered_at, 0 AS seq,
                       'create' AS kind, NULL::int AS stage_from_id,
                       COALESCE(NULLIF(fs.old_value, 0), l.stage_id) AS stage_id
                  FROM crm_lead l
                  JOIN todo ON todo.id = l.id
                  LEFT JOIN first_stage fs ON fs.lead_id = l.id
                UNION ALL
                SELECT lead_id, date, tracking_id,
                       CASE WHEN field = 'active' AND new_value = 0 THEN 'lost'
                            WHEN field = 'active' THEN 'restore'
                            ELSE 'stage' END,
                       NULL, CASE WHEN field = 'stage_id' THEN new_value END
                  FROM tracked
                 WHERE field = 'active' OR COALESCE(old_value, 0) != 0
            ), ordered AS (
                -- an active change keeps the stage the lead was in
                SELECT c.*,
                       COUNT(c.stage_id) OVER w_cum AS stage_grp
                  FROM changes c
                WINDOW w_cum AS (PARTITION BY lead_id ORDER BY entered_at, seq)
            ), filled AS (
                SELECT o.*,
                       FIRST_VALUE(o.stage_id) OVER (
                           PARTITION BY o.lead_id, o.stage_grp
                           ORDER BY o.entered_at, o.seq) AS stage_now
                  FROM ordered o
            ), chained AS (
                SELECT f.*,
                       LAG(f.stage_now) OVER w AS prev_stage,
                       LEAD(f.entered_at) OVER w AS next_at
                  FROM filled f
                WINDOW w AS (PARTITION BY lead_id ORDER BY entered_at, seq)
            )
            INSERT INTO crm_lead_stage_history (
                lead_id, kind, stage_from_id, stage_id, entered_at, left_at,
                duration_hours, user_id, team_id, company_id, expected_revenue,
                probability, is_backwards, create_uid, create_date, write_uid,
                write_date)
            SELECT ch.lead_id,
                   CASE WHEN ch.kind = 'stage' AND st.is_won THEN 'won'
                        ELSE ch.kind END,
                   ch.prev_stage, ch.stage_now, ch.entered_at, ch.next_at,
                   CASE WHEN ch.next_at IS NOT NULL THEN GREATEST(
                       EXTRACT(EPOCH FROM ch.next_at - ch.entered_at) / 3600.0, 0)
                   END,
                   l.user_id, l.team_id, l.company_id,
                   COALESCE(l.expected_revenue, 0), COALESCE(l.probability, 0),
                   ch.kind = 'stage' AND COALESCE(sf.sequence > st.sequence, FALSE),
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                   now() AT TIME ZONE 'UTC'
              FROM chained ch
              JOIN crm_lead l ON l.id = ch.lead_id
              LEFT JOIN crm_stage st ON st.id = ch.stage_now
              LEFT JOIN crm_stage sf ON sf.id = ch.prev_stage
            """,
            {"uid": self.env.uid},
        )
        count = cr.rowcount
        self.invalidate_model()
        self.env["crm.lead.stage.month"]._fill()
        return count
