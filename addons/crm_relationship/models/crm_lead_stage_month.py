from odoo import api, fields, models

THROUGH_PARAM = "crm_relationship.stage_month_through"


class CrmLeadStageMonth(models.Model):
    """The months a stay in a stage overlaps, one row each, stored.

    The funnel's *active in stage* cohort counts stays per month; expanding
    every stay of the history into its months on each read made it slow on
    large pipelines, so the rows are written with the history (same batch,
    set-based, in SQL) and kept by ``crm.lead.stage.history``:

    - a closed stay has a row per month from the one it was entered in to the
      one it was left in; ``moved`` is set on the last when it left for a
      further stage (a stage change forward or won);
    - an open stay has rows from its first month through the later of its
      first month and the month in the ``crm_relationship.stage_month_through``
      parameter; the daily cron adds the months that have begun since and
      moves the parameter, and the funnel adds those not stored yet on the fly.

    Lost rows of the history have no months (a lost opportunity is in no
    stage), nor rows whose stage was deleted.
    """

    _name = "crm.lead.stage.month"
    _description = "Opportunity Stage Month"
    _log_access = False
    _order = "history_id, month"

    history_id = fields.Many2one(
        "crm.lead.stage.history", required=True, readonly=True, ondelete="cascade"
    )
    lead_id = fields.Many2one(
        "crm.lead", required=True, readonly=True, index=True, ondelete="cascade"
    )
    stage_id = fields.Many2one(
        "crm.stage", required=True, readonly=True, ondelete="cascade"
    )
    month = fields.Date(required=True, readonly=True)
    date = fields.Datetime(
        required=True,
        readonly=True,
        help="The first of the month, or when the stay began in its first month.",
    )
    moved = fields.Boolean(
        readonly=True, help="The stay ended this month for a further stage."
    )

    _sql_constraints = [
        (
            "history_month_uniq",
            "UNIQUE(history_id, month)",
            "A stay has one row per month.",
        ),
    ]

    def init(self):
        # the month through which every open stay has its rows (stays opened
        # since have theirs through their own month)
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION crm_lead_stage_month_through()
            RETURNS timestamp LANGUAGE sql STABLE PARALLEL SAFE AS $$
                SELECT value::timestamp FROM ir_config_parameter
                 WHERE key = 'crm_relationship.stage_month_through'
            $$
            """
        )

    @api.model
    def _fill(self, lead_ids=None):
        """Write the months of the stays of ``lead_ids`` from their history,
        in one statement; by default of the leads that have no month yet (all
        of them on a database updated to this version)."""
        self.env["crm.lead.stage.history"].flush_model()
        where = (
            "h.lead_id = ANY(%(ids)s)"
            if lead_ids is not None
            else """h.lead_id IN (
                SELECT lead_id FROM crm_lead_stage_history
                EXCEPT SELECT lead_id FROM crm_lead_stage_month)"""
        )
        self.env.cr.execute(
            f"""
            WITH chained AS (
                SELECT h.id, h.lead_id, h.stage_id, h.kind, h.entered_at,
                       h.left_at,
                       LEAD(h.entered_at) OVER w AS next_at,
                       LEAD(h.kind) OVER w AS next_kind,
                       LEAD(h.is_backwards) OVER w AS next_backwards
                  FROM crm_lead_stage_history h
                 WHERE {where}
                WINDOW w AS (PARTITION BY h.lead_id ORDER BY h.entered_at, h.id)
            )
            INSERT INTO crm_lead_stage_month (
                history_id, lead_id, stage_id, month, date, moved)
            SELECT h.id, h.lead_id, h.stage_id, m.month,
                   GREATEST(m.month, h.entered_at),
                   COALESCE(m.month = date_trunc('month', h.left_at)
                            AND h.next_at = h.left_at
                            AND h.next_kind IN ('stage', 'won')
                            AND NOT h.next_backwards, FALSE)
              FROM chained h
             CROSS JOIN LATERAL generate_series(
                   date_trunc('month', h.entered_at),
                   COALESCE(date_trunc('month', h.left_at),
                            GREATEST(date_trunc('month', h.entered_at),
                                     %(through)s::timestamp)),
                   interval '1 month') AS m(month)
             WHERE h.kind != 'lost' AND h.stage_id IS NOT NULL
            ON CONFLICT (history_id, month) DO NOTHING
            """,
            {"ids": lead_ids, "through": self._through()},
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        return count

    @api.model
    def _through(self):
        self.env["ir.config_parameter"].flush_model()
        self.env.cr.execute("SELECT crm_lead_stage_month_through()")
        return self.env.cr.fetchone()[0]

    @api.model
    def _cron_extend_open_stays(self):
        """Give the open stays their rows through the current month."""
        self.env["crm.lead.stage.history"].flush_model()
        cr = self.env.cr
        cr.execute("SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date")
        [[current]] = cr.fetchall()
        cr.execute(
            """
            INSERT INTO crm_lead_stage_month (
                history_id, lead_id, stage_id, month, date, moved)
            SELECT h.id, h.lead_id, h.stage_id, m.month,
                   GREATEST(m.month, h.entered_at), FALSE
              FROM crm_lead_stage_history h
             CROSS JOIN LATERAL generate_series(
                   GREATEST(date_trunc('month', h.entered_at),
                            %(through)s::timestamp + interval '1 month'),
                   %(current)s::timestamp, interval '1 month') AS m(month)
             WHERE h.left_at IS NULL AND h.kind != 'lost'
               AND h.stage_id IS NOT NULL
            ON CONFLICT (history_id, month) DO NOTHING
            """,
            {"current": current, "through": self._through()},
        )
        count = cr.rowcount
        self.env["ir.config_parameter"].sudo().set_param(
            THROUGH_PARAM, fields.Date.to_string(current)
        )
        self.invalidate_model()
        return count
