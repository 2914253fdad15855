from odoo import fields, models, tools

from .crm_analysis_mixin import distinct_count, distinct_rate, per_lead

OUTCOMES = [("open", "Open"), ("won", "Won"), ("lost", "Lost")]


class CrmLeadOutcomeReport(models.Model):
    """How opportunities end: time to close, lost reasons and close rates.

    One row per opportunity and product of its lines (one row without
    product when it has no lines). The revenue of a row is the product's
    subtotal, or the expected revenue without lines; so sums per product are
    the products' revenue. Counts, rates and times to close count each
    opportunity once in a group, however many products it has. An
    opportunity is won in a won stage, lost when archived with no
    probability, open otherwise; its days to close run from its creation to
    its closing date.
    """

    _name = "crm.lead.outcome.report"
    _inherit = ["crm.analysis.mixin"]
    _description = "Opportunity Outcome Analysis"
    _auto = False
    _rec_name = "lead_id"
    _order = "date_closed desc"
    _sql_aggregates = {
        "count_opportunity": distinct_count("lead_id"),
        "count_won": distinct_count("won_lead_id"),
        "count_lost": distinct_count("lost_lead_id"),
        "count_closed": distinct_count("closed_lead_id"),
        "close_rate": distinct_rate("won_lead_id", "closed_lead_id"),
        "days_to_close": per_lead("avg", "days_to_close"),
        "days_to_close_median": per_lead("median", "days_to_close"),
    }

    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    product_id = fields.Many2one("product.product", "Product", readonly=True)
    product_categ_id = fields.Many2one(
        "product.category", "Product Category", readonly=True
    )
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", "Company", readonly=True)
    company_currency_id = fields.Many2one(
        "res.currency", "Company Currency", readonly=True
    )
    stage_id = fields.Many2one("crm.stage", "Stage", readonly=True)
    lost_reason_id = fields.Many2one("crm.lost.reason", "Lost Reason", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", "Campaign", readonly=True)
    source_id = fields.Many2one("utm.source", "Source", readonly=True)
    medium_id = fields.Many2one("utm.medium", "Medium", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    create_date = fields.Datetime("Created On", readonly=True)
    date_closed = fields.Datetime("Closed On", readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    revenue = fields.Monetary(
        "Expected Revenue", currency_field="company_currency_id", readonly=True
    )
    won_revenue = fields.Monetary(currency_field="company_currency_id", readonly=True)
    lost_revenue = fields.Monetary(currency_field="company_currency_id", readonly=True)
    count_opportunity = fields.Integer("Opportunities", readonly=True)
    count_won = fields.Integer("Won", readonly=True)
    count_lost = fields.Integer("Lost", readonly=True)
    count_closed = fields.Integer("Closed", readonly=True)
    close_rate = fields.Float("Close Rate (%)", readonly=True)
    days_to_close = fields.Float("Average Days to Close", readonly=True)
    days_to_close_median = fields.Float("Median Days to Close", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
            WITH leads AS (
                SELECT l.*,
                       CASE WHEN l.active AND s.is_won THEN 'won'
                            WHEN NOT l.active AND COALESCE(l.probability, 0) = 0
                                THEN 'lost'
                            ELSE 'open' END AS outcome
                  FROM crm_lead l
                  LEFT JOIN crm_stage s ON s.id = l.stage_id
                 WHERE l.type = 'opportunity'
            ), products AS (
                SELECT ln.lead_id, ln.product_id, SUM(ln.price_subtotal) AS revenue
                  FROM crm_lead_line ln
                 GROUP BY ln.lead_id, ln.product_id
            ), rows AS (
                SELECT l.*, p.product_id,
                       COALESCE(p.revenue, l.expected_revenue, 0) AS row_revenue
                  FROM leads l
                  LEFT JOIN products p ON p.lead_id = l.id
            )
            SELECT ROW_NUMBER() OVER (ORDER BY r.id, r.product_id) AS id,
                   r.id AS lead_id,
                   r.product_id,
                   pt.categ_id AS product_categ_id,
                   r.user_id,
                   r.team_id,
                   r.company_id,
                   c.currency_id AS company_currency_id,
                   r.stage_id,
                   CASE WHEN r.outcome = 'lost' THEN r.lost_reason_id END
                       AS lost_reason_id,
                   r.campaign_id,
                   r.source_id,
                   r.medium_id,
                   r.partner_id,
                   r.create_date,
                   CASE WHEN r.outcome != 'open' THEN r.date_closed END
                       AS date_closed,
                   r.outcome,
                   r.row_revenue AS revenue,
                   CASE WHEN r.outcome = 'won' THEN r.row_revenue ELSE 0 END
                       AS won_revenue,
                   CASE WHEN r.outcome = 'lost' THEN r.row_revenue ELSE 0 END
                       AS lost_revenue,
                   r.id AS count_opportunity,
                   CASE WHEN r.outcome = 'won' THEN r.id END AS won_lead_id,
                   CASE WHEN r.outcome = 'lost' THEN r.id END AS lost_lead_id,
                   CASE WHEN r.outcome != 'open' THEN r.id END AS closed_lead_id,
                   (r.outcome = 'won')::int AS count_won,
                   (r.outcome = 'lost')::int AS count_lost,
                   (r.outcome != 'open')::int AS count_closed,
                   CASE WHEN r.outcome != 'open'
                        THEN 100.0 * (r.outcome = 'won')::int END AS close_rate,
                   CASE WHEN r.outcome != 'open' AND r.date_closed IS NOT NULL
                        THEN EXTRACT(EPOCH FROM r.date_closed - r.create_date)
                             / 86400.0 END AS days_to_close,
                   CASE WHEN r.outcome != 'open' AND r.date_closed IS NOT NULL
                        THEN EXTRACT(EPOCH FROM r.date_closed - r.create_date)
                             / 86400.0 END AS days_to_close_median
              FROM rows r
              LEFT JOIN res_company c ON c.id = r.company_id
              LEFT JOIN product_product pp ON pp.id = r.product_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
            )
            """
        )
