from odoo import api, fields, models, tools
from odoo.models import parse_read_group_spec
from odoo.tools import SQL

from .crm_analysis_mixin import distinct_count, distinct_rate

COHORTS = [
    ("created", "Created in Period"),
    ("active", "Active in Stage in Period"),
]


class CrmLeadFunnelReport(models.Model):
    """Conversion from stage to stage, in two cohorts.

    *Created in period*: one row per opportunity and stage of its pipeline,
    dated at the opportunity's creation; it reached the stage when its
    history shows it in this stage or one further down the pipeline. The
    conversion is the share of the cohort that reached the stage; the step
    conversion the share of those that reached the stage before.

    *Active in stage in period*: one row per stay in a stage and month the
    stay overlaps; it moved on in that month when it left for a further
    stage then. Counts are of distinct stays, so a stay over several months
    counts once in a quarter or a year.
    """

    _name = "crm.lead.funnel.report"
    _inherit = ["crm.analysis.mixin"]
    _description = "Funnel Conversion Analysis"
    _auto = False
    _rec_name = "stage_id"
    _order = "date desc"
    _sql_aggregates = {
        "count_in": distinct_count("in_key"),
        "count_reached": distinct_count("reached_key"),
        "count_previous": distinct_count("previous_key"),
        "conversion_rate": distinct_rate("reached_key", "in_key"),
        "step_rate": distinct_rate("reached_key", "previous_key"),
    }

    # the same measures where each key has one row a group at most
    _sql_aggregates_unique = {
        "count_in": "COUNT({t}.in_key)",
        "count_reached": "COUNT({t}.reached_key)",
        "count_previous": "COUNT({t}.previous_key)",
        "conversion_rate": (
            "100.0 * COUNT({t}.reached_key) / NULLIF(COUNT({t}.in_key), 0)"
        ),
        "step_rate": (
            "100.0 * COUNT({t}.reached_key) / NULLIF(COUNT({t}.previous_key), 0)"
        ),
    }

    cohort = fields.Selection(COHORTS, readonly=True)
    date = fields.Datetime(readonly=True)
    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    stage_id = fields.Many2one("crm.stage", "Stage", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", "Company", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", "Campaign", readonly=True)
    count_in = fields.Integer("In Cohort", readonly=True, aggregator="sum")
    count_reached = fields.Integer(
        "Reached / Moved On", readonly=True, aggregator="sum"
    )
    count_previous = fields.Integer(
        "Reached Previous Stage", readonly=True, aggregator="sum"
    )
    conversion_rate = fields.Float("Conversion (%)", readonly=True, aggregator="sum")
    step_rate = fields.Float("Step Conversion (%)", readonly=True, aggregator="sum")

    @api.model
    def _read_group(
        self,
        domain,
        groupby=(),
        aggregates=(),
        having=(),
        offset=0,
        limit=None,
        order=None,
    ):
        report = self
        if self._keys_unique_in_groups(domain, groupby):
            report = self.with_context(crm_funnel_keys_unique=True)
        return super(CrmLeadFunnelReport, report)._read_group(
            domain, groupby, aggregates, having, offset, limit, order
        )

    @api.model
    def _keys_unique_in_groups(self, domain, groupby):
        """Whether no key has two rows in a group, so that counting rows
        counts keys: a lead has one created row a stage, a stay one active
        row a month (not a week: its first two rows may share one)."""
        by_stage = "stage_id" in groupby
        by_month = bool({"date:month", "date:day"} & set(groupby))
        cohorts = {"created", "active"}
        domain = list(domain or ())
        # a cohort the domain keeps alone (a plain conjunction only)
        if "cohort" not in groupby and not any(
            term in ("|", "!") for term in domain if isinstance(term, str)
        ):
            for term in domain:
                if isinstance(term, list | tuple) and tuple(term[:2]) == (
                    "cohort",
                    "=",
                ):
                    cohorts &= {term[2]}
        unique = {"created": by_stage, "active": by_month}
        return all(unique.get(cohort, False) for cohort in cohorts)

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec != "__count" and self.env.context.get(
            "crm_funnel_keys_unique"
        ):
            fname, __, __ = parse_read_group_spec(aggregate_spec)
            if fname in self._sql_aggregates_unique:
                self._field_to_sql(self._table, fname, query)
                return SQL(
                    self._sql_aggregates_unique[fname].replace("{t}", "%(t)s"),
                    t=SQL.identifier(self._table),
                )
        return super()._read_group_select(aggregate_spec, query)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # the months an open stay has gone on since those stored (until the
        # daily cron stores them); declared at 3 rows a stay (generate_series
        # counts 1,000, which makes large funnels cross jit_above_cost), and
        # kept from inlining by its SET clause
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION crm_lead_funnel_months(
                started timestamp, ended timestamp)
            RETURNS SETOF timestamp LANGUAGE sql STABLE PARALLEL SAFE ROWS 3
            SET search_path FROM CURRENT AS $$
                SELECT generate_series(date_trunc('month', started),
                                       date_trunc('month', ended),
                                       interval '1 month')
            $$
            """
        )
        # Keys of the distinct counts: a lead (negative) in the created cohort,
        # a stay (its history row) in the active one. Ids follow the rows' own
        # keys, so they stay the same between reads and a read by id or by
        # cohort reads only its rows: 2 × (lead × 2^20 + stage) for a created
        # row, 2 × (stay × 2^12 + month number) + 1 for an active one.
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
            WITH reached AS (
                SELECT h.lead_id, MAX(s.sequence) AS max_sequence
                  FROM crm_lead_stage_history h
                  JOIN crm_stage s ON s.id = h.stage_id
                 WHERE h.kind != 'lost'
                 GROUP BY h.lead_id
            ), created AS (
                SELECT l.id AS lead_id, s.id AS stage_id, l.create_date AS date,
                       l.user_id, l.team_id, l.company_id, l.campaign_id,
                       COALESCE(r.max_sequence >= s.sequence, FALSE) AS is_reached,
                       COALESCE(LAG(r.max_sequence >= s.sequence, 1, TRUE) OVER (
                           PARTITION BY l.id ORDER BY s.sequence, s.id), FALSE)
                           AS is_previous
                  FROM crm_lead l
                  JOIN crm_stage s
                    ON s.team_id IS NULL OR s.team_id = l.team_id
                  LEFT JOIN reached r ON r.lead_id = l.id
                 WHERE l.type = 'opportunity'
            ), months AS (
                SELECT m.history_id, m.lead_id, m.stage_id, m.month, m.date,
                       m.moved
                  FROM crm_lead_stage_month m
                UNION ALL
                SELECT h.id, h.lead_id, h.stage_id, g.month, g.month, FALSE
                  FROM crm_lead_stage_history h
                 CROSS JOIN LATERAL crm_lead_funnel_months(
                       GREATEST(date_trunc('month', h.entered_at),
                                crm_lead_stage_month_through()) + interval '1 month',
                       now() AT TIME ZONE 'UTC') AS g(month)
                 WHERE h.left_at IS NULL AND h.kind != 'lost'
                   AND h.stage_id IS NOT NULL
                   AND COALESCE(crm_lead_stage_month_through(), '-infinity')
                       < date_trunc('month', now() AT TIME ZONE 'UTC')
            )
            SELECT 2 * (c.lead_id::bigint * 1048576 + c.stage_id) AS id,
                   'created' AS cohort, c.date, c.lead_id, c.stage_id,
                   c.user_id, c.team_id, c.company_id, c.campaign_id,
                   -c.lead_id AS in_key,
                   CASE WHEN c.is_reached THEN -c.lead_id END AS reached_key,
                   CASE WHEN c.is_previous THEN -c.lead_id END AS previous_key,
                   1 AS count_in,
                   c.is_reached::int AS count_reached,
                   c.is_previous::int AS count_previous,
                   100.0 * c.is_reached::int AS conversion_rate,
                   CASE WHEN c.is_previous THEN 100.0 * c.is_reached::int
                   END AS step_rate
              FROM created c
            UNION ALL
            SELECT 2 * (m.history_id::bigint * 4096
                        + (12 * EXTRACT(YEAR FROM m.month)
                           + EXTRACT(MONTH FROM m.month))::int % 4096) + 1,
                   'active', m.date, m.lead_id, m.stage_id,
                   l.user_id, l.team_id, l.company_id, l.campaign_id,
                   m.history_id,
                   CASE WHEN m.moved THEN m.history_id END,
                   m.history_id,
                   1, m.moved::int, 1, 100.0 * m.moved::int, 100.0 * m.moved::int
              FROM months m
              JOIN crm_lead l ON l.id = m.lead_id
             WHERE l.type = 'opportunity'
            )
            """
        )
