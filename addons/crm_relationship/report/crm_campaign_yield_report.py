from odoo import fields, models, tools

from .crm_analysis_mixin import distinct_count


class CrmCampaignYieldReport(models.Model):
    """What each UTM campaign, source and medium brought, and at what cost.

    One row per lead (lost ones included) and one per campaign with a cost.
    Won revenue is the expected revenue of the won opportunities. Invoiced
    revenue is what the won customers were invoiced after the win: posted
    customer invoices and credit notes (signed, in the company currency) and
    the external invoices and credit notes (signed, in the company currency
    at their date), each counted once, for the latest win of the same
    customer and company on or before its date. The return is the invoiced
    revenue less the cost, over the cost. Amounts are in the company's
    currency: group by company when there are several.
    """

    _name = "crm.campaign.yield.report"
    _inherit = ["crm.analysis.mixin"]
    _description = "Campaign Yield Analysis"
    _auto = False
    _rec_name = "campaign_id"
    _order = "date desc"
    _sql_aggregates = {
        "count_lead": distinct_count("lead_key"),
        "count_opportunity": distinct_count("opportunity_key"),
        "count_won": distinct_count("won_key"),
        "cost_return": (
            "100.0 * (SUM({t}.invoiced_revenue) - SUM({t}.cost))"
            " / NULLIF(SUM({t}.cost), 0)"
        ),
    }

    campaign_id = fields.Many2one("utm.campaign", "Campaign", readonly=True)
    source_id = fields.Many2one("utm.source", "Source", readonly=True)
    medium_id = fields.Many2one("utm.medium", "Medium", readonly=True)
    lead_id = fields.Many2one("crm.lead", "Lead", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", "Company", readonly=True)
    company_currency_id = fields.Many2one(
        "res.currency", "Company Currency", readonly=True
    )
    date = fields.Datetime("Created On", readonly=True)
    count_lead = fields.Integer("Leads", readonly=True)
    count_opportunity = fields.Integer("Opportunities", readonly=True)
    count_won = fields.Integer("Won", readonly=True)
    won_revenue = fields.Monetary(currency_field="company_currency_id", readonly=True)
    invoiced_revenue = fields.Monetary(
        "Invoiced After Win", currency_field="company_currency_id", readonly=True
    )
    cost = fields.Monetary(
        "Campaign Cost", currency_field="company_currency_id", readonly=True
    )
    cost_return = fields.Float("Return on Cost (%)", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
            WITH won AS (
                SELECT l.id, l.company_id, l.date_closed::date AS won_on,
                       p.commercial_partner_id
                  FROM crm_lead l
                  JOIN crm_stage s ON s.id = l.stage_id AND s.is_won
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE l.active AND l.date_closed IS NOT NULL
            ), documents AS (
                SELECT m.company_id, m.commercial_partner_id,
                       m.invoice_date AS doc_date,
                       m.amount_total_signed AS amount
                  FROM account_move m
                 WHERE m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                UNION ALL
                SELECT e.company_id, p.commercial_partner_id, e.issued_on,
                       e.amount_company_signed
                  FROM crm_external_invoice e
                  JOIN res_partner p ON p.id = e.partner_id
                 WHERE e.kind IN ('invoice', 'credit_note')
                   AND e.status != 'cancelled'
            ), attributed AS (
                SELECT w.id AS lead_id, SUM(d.amount) AS amount
                  FROM documents d
                  JOIN LATERAL (
                      SELECT won.id FROM won
                       WHERE won.commercial_partner_id = d.commercial_partner_id
                         AND won.company_id = d.company_id
                         AND won.won_on <= d.doc_date
                       ORDER BY won.won_on DESC, won.id DESC
                       LIMIT 1
                  ) w ON TRUE
                 GROUP BY w.id
            )
            -- ids follow the rows' own keys, so they stay the same between reads
            SELECT ROW_NUMBER() OVER (
                       ORDER BY u.lead_id NULLS LAST, u.campaign_id) AS id, u.*
              FROM (
                SELECT l.campaign_id, l.source_id, l.medium_id,
                       l.id AS lead_id, l.user_id, l.team_id, l.company_id,
                       c.currency_id AS company_currency_id,
                       l.create_date AS date,
                       l.id AS lead_key,
                       CASE WHEN l.type = 'opportunity'
                                 OR l.date_conversion IS NOT NULL
                            THEN l.id END AS opportunity_key,
                       CASE WHEN won.id IS NOT NULL THEN l.id END AS won_key,
                       1 AS count_lead,
                       (l.type = 'opportunity'
                        OR l.date_conversion IS NOT NULL)::int AS count_opportunity,
                       (won.id IS NOT NULL)::int AS count_won,
                       CASE WHEN won.id IS NOT NULL
                            THEN COALESCE(l.expected_revenue, 0) ELSE 0 END
                           AS won_revenue,
                       COALESCE(a.amount, 0) AS invoiced_revenue,
                       0 AS cost,
                       NULL::float AS cost_return
                  FROM crm_lead l
                  LEFT JOIN res_company c ON c.id = l.company_id
                  LEFT JOIN won ON won.id = l.id
                  LEFT JOIN attributed a ON a.lead_id = l.id
                UNION ALL
                SELECT uc.id, NULL, NULL, NULL, NULL, NULL, uc.cost_company_id,
                       c.currency_id, uc.create_date, NULL, NULL, NULL,
                       0, 0, 0, 0, 0, uc.cost, NULL
                  FROM utm_campaign uc
                  LEFT JOIN res_company c ON c.id = uc.cost_company_id
                 WHERE COALESCE(uc.cost, 0) != 0
              ) u
            )
            """
        )
