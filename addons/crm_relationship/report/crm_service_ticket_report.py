from odoo import fields, models, tools

from ..models.crm_service_ticket import PRIORITIES

AGE_BUCKETS = [
    ("0_1", "Under 1 day"),
    ("1_3", "1 to 3 days"),
    ("3_7", "3 to 7 days"),
    ("7_30", "1 to 4 weeks"),
    ("30", "Over 4 weeks"),
]


class CrmServiceTicketReport(models.Model):
    """One row per ticket for the service reports.

    Response and resolution times are empty (NULL) until reached and the
    satisfaction until rated, so averages count only the tickets that have
    them; the ticket itself stores 0.0 there, which would drag averages down.
    The age is computed when the report is read: the backlog by age is always
    current.
    """

    _name = "crm.service.ticket.report"
    _description = "Service Ticket Analysis"
    _auto = False
    _rec_name = "ticket_id"
    _order = "opened_at desc"
    _depends = {
        "crm.service.ticket": [
            "number",
            "team_id",
            "user_id",
            "commercial_partner_id",
            "ticket_type_id",
            "product_id",
            "priority",
            "stage_id",
            "is_closed",
            "company_id",
            "opened_at",
            "closed_at",
            "first_response_at",
            "first_response_hours",
            "resolution_hours",
            "rating_last_value",
            "sla_breached",
            "active",
        ],
        "crm.service.ticket.type": ["is_fault"],
    }

    ticket_id = fields.Many2one("crm.service.ticket", "Ticket", readonly=True)
    team_id = fields.Many2one("crm.service.team", "Team", readonly=True)
    user_id = fields.Many2one("res.users", "Assigned To", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    ticket_type_id = fields.Many2one("crm.service.ticket.type", "Type", readonly=True)
    is_fault = fields.Boolean("Fault", readonly=True)
    product_id = fields.Many2one("product.product", "Product", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    stage_id = fields.Many2one("crm.service.ticket.stage", "Stage", readonly=True)
    is_closed = fields.Boolean("Closed", readonly=True)
    company_id = fields.Many2one("res.company", "Company", readonly=True)
    opened_at = fields.Datetime("Opened On", readonly=True)
    closed_at = fields.Datetime("Closed On", readonly=True)
    ticket_count = fields.Integer("Tickets", readonly=True)
    first_response_hours = fields.Float(
        "First Response (working hours)", readonly=True, aggregator="avg"
    )
    resolution_hours = fields.Float(
        "Resolution (working hours)", readonly=True, aggregator="avg"
    )
    rating = fields.Float("Satisfaction (1-5)", readonly=True, aggregator="avg")
    sla_breached = fields.Boolean("SLA Breached", readonly=True)
    age_days = fields.Float(
        "Age (days)",
        readonly=True,
        aggregator="avg",
        help="Days since the opening, for open tickets.",
    )
    age_bucket = fields.Selection(AGE_BUCKETS, "Age", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
            SELECT t.id, t.id AS ticket_id, t.team_id, t.user_id,
                   t.commercial_partner_id AS partner_id, t.ticket_type_id,
                   coalesce(tt.is_fault, false) AS is_fault, t.product_id,
                   t.priority, t.stage_id, coalesce(t.is_closed, false) AS is_closed,
                   t.company_id, t.opened_at, t.closed_at, 1 AS ticket_count,
                   CASE WHEN t.first_response_at IS NOT NULL
                        THEN t.first_response_hours END AS first_response_hours,
                   CASE WHEN t.closed_at IS NOT NULL
                        THEN t.resolution_hours END AS resolution_hours,
                   NULLIF(t.rating_last_value, 0) AS rating,
                   coalesce(t.sla_breached, false) AS sla_breached,
                   age.days AS age_days,
                   CASE WHEN age.days IS NULL THEN NULL
                        WHEN age.days < 1 THEN '0_1'
                        WHEN age.days < 3 THEN '1_3'
                        WHEN age.days < 7 THEN '3_7'
                        WHEN age.days < 30 THEN '7_30'
                        ELSE '30' END AS age_bucket
              FROM crm_service_ticket t
              LEFT JOIN crm_service_ticket_type tt ON tt.id = t.ticket_type_id
              CROSS JOIN LATERAL (
                  SELECT CASE WHEN coalesce(t.is_closed, false) THEN NULL
                         ELSE extract(epoch FROM
                              (now() AT TIME ZONE 'UTC') - t.opened_at) / 86400.0
                         END AS days
              ) age
             WHERE t.active
            )"""
        )
