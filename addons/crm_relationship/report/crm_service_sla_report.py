from odoo import fields, models, tools


class CrmServiceSlaReport(models.Model):
    """Monthly service figures per team, medians included.

    Medians cannot be re-aggregated, so each row is one team and month; the
    pivot of tickets and of SLA statuses covers the other cuts.
    """

    _name = "crm.service.sla.report"
    _description = "Service Level by Team and Month"
    _auto = False
    _order = "month desc, team_id"
    _depends = {
        "crm.service.ticket": [
            "team_id",
            "company_id",
            "first_response_at",
            "closed_at",
            "first_response_hours",
            "resolution_hours",
            "rating_last_value",
            "opened_at",
            "active",
        ],
        "crm.service.ticket.sla": ["ticket_id", "status"],
    }

    month = fields.Date(readonly=True)
    team_id = fields.Many2one("crm.service.team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    ticket_count = fields.Integer("Tickets", readonly=True)
    closed_count = fields.Integer("Closed", readonly=True)
    compliance = fields.Float("SLA Compliance (%)", readonly=True, aggregator=None)
    first_response_avg = fields.Float(
        "First Response, Average (h)", readonly=True, aggregator=None
    )
    first_response_median = fields.Float(
        "First Response, Median (h)", readonly=True, aggregator=None
    )
    resolution_avg = fields.Float(
        "Resolution, Average (h)", readonly=True, aggregator=None
    )
    resolution_median = fields.Float(
        "Resolution, Median (h)", readonly=True, aggregator=None
    )
    rating_avg = fields.Float("Satisfaction (1-5)", readonly=True, aggregator=None)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
            WITH tickets AS (
                SELECT t.id, t.team_id, t.company_id, t.first_response_at,
                       t.closed_at, t.first_response_hours, t.resolution_hours,
                       t.rating_last_value,
                       date_trunc('month', t.opened_at)::date AS month
                  FROM crm_service_ticket t
                 WHERE t.active
            ), slas AS (
                SELECT s.ticket_id,
                       count(*) FILTER (WHERE s.status IN ('met', 'breached'))
                           AS decided,
                       count(*) FILTER (WHERE s.status = 'met') AS met
                  FROM crm_service_ticket_sla s
                 GROUP BY s.ticket_id
            )
            SELECT row_number() OVER (ORDER BY t.month, t.team_id, t.company_id)
                       AS id,
                   t.month, t.team_id, t.company_id,
                   count(*) AS ticket_count,
                   count(t.closed_at) AS closed_count,
                   round(100.0 * sum(s.met) / NULLIF(sum(s.decided), 0), 1)
                       AS compliance,
                   avg(t.first_response_hours)
                       FILTER (WHERE t.first_response_at IS NOT NULL)
                       AS first_response_avg,
                   percentile_cont(0.5) WITHIN GROUP
                       (ORDER BY t.first_response_hours)
                       FILTER (WHERE t.first_response_at IS NOT NULL)
                       AS first_response_median,
                   avg(t.resolution_hours) FILTER (WHERE t.closed_at IS NOT NULL)
                       AS resolution_avg,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY t.resolution_hours)
                       FILTER (WHERE t.closed_at IS NOT NULL)
                       AS resolution_median,
                   avg(NULLIF(t.rating_last_value, 0)) AS rating_avg
              FROM tickets t
              LEFT JOIN slas s ON s.ticket_id = t.id
             GROUP BY t.month, t.team_id, t.company_id
            )"""
        )
