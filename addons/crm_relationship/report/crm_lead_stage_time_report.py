from odoo import fields, models, tools

from .crm_analysis_mixin import median


class CrmLeadStageTimeReport(models.Model):
    """One row per finished stay of an opportunity in a stage.

    A stay is a stage history row that was closed by the next change; the
    time spent lost (from lost to restored) is no stay, and the stays still
    going on are left out until they end. The average and the median hours
    are computed over the rows of each group.
    """

    _name = "crm.lead.stage.time.report"
    _inherit = ["crm.analysis.mixin"]
    _description = "Time in Stage Analysis"
    _auto = False
    _rec_name = "stage_id"
    _order = "entered_at desc"
    _sql_aggregates = {
        "duration_median_hours": median("duration_hours"),
        "duration_median_days": median("duration_days"),
    }

    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    stage_id = fields.Many2one("crm.stage", "Stage", readonly=True)
    next_stage_id = fields.Many2one("crm.stage", "Next Stage", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    lead_user_id = fields.Many2one("res.users", "Current Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", "Company", readonly=True)
    entered_at = fields.Datetime("Entered", readonly=True)
    left_at = fields.Datetime("Left", readonly=True)
    duration_hours = fields.Float("Average Hours", readonly=True, aggregator="avg")
    duration_median_hours = fields.Float(
        "Median Hours", readonly=True, aggregator="sum"
    )
    duration_days = fields.Float("Average Days", readonly=True, aggregator="avg")
    duration_median_days = fields.Float("Median Days", readonly=True, aggregator="sum")
    is_backwards = fields.Boolean("Came Back", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                SELECT h.id,
                       h.lead_id,
                       h.stage_id,
                       nxt.stage_id AS next_stage_id,
                       h.user_id,
                       l.user_id AS lead_user_id,
                       h.team_id,
                       h.company_id,
                       h.entered_at,
                       h.left_at,
                       h.duration_hours,
                       h.duration_hours AS duration_median_hours,
                       h.duration_hours / 24.0 AS duration_days,
                       h.duration_hours / 24.0 AS duration_median_days,
                       h.is_backwards
                  FROM crm_lead_stage_history h
                  JOIN crm_lead l ON l.id = h.lead_id
                  LEFT JOIN LATERAL (
                      SELECT n.stage_id FROM crm_lead_stage_history n
                       WHERE n.lead_id = h.lead_id AND n.entered_at = h.left_at
                         AND n.id != h.id
                       ORDER BY n.id LIMIT 1
                  ) nxt ON TRUE
                 WHERE h.kind != 'lost' AND h.left_at IS NOT NULL
                   AND h.stage_id IS NOT NULL
            )
            """
        )
