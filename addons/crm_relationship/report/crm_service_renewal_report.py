from odoo import api, fields, models, tools

DUE_BUCKETS = [
    ("overdue", "Ended"),
    ("30", "Within 30 Days"),
    ("60", "In 31 to 60 Days"),
    ("90", "In 61 to 90 Days"),
    ("later", "Later"),
]
OUTCOMES = [("open", "Open"), ("renewed", "Renewed"), ("lost", "Not Renewed")]


class CrmServiceRenewalReport(models.Model):
    """One row per term of a service plan (drafts and cancelled ones left out).

    An open term (active or awaiting its renewal) puts its price at risk, in
    the company's currency at today's rate, in the bucket of its end: ended,
    within 30, 60 or 90 days, later. A term renewed (a next term follows) or
    expired (the renewal lost) is decided; the renewal rate of a group is
    100 × renewed / decided (``read_group`` computes it from the counts).
    """

    _name = "crm.service.renewal.report"
    _description = "Service Plan Renewals"
    _auto = False
    _rec_name = "plan_id"
    _order = "end_date"
    _depends = {
        "crm.service.plan": [
            "partner_id",
            "user_id",
            "product_id",
            "company_id",
            "end_date",
            "price",
            "currency_id",
            "state",
            "next_plan_id",
        ],
    }

    plan_id = fields.Many2one("crm.service.plan", "Service Plan", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    product_id = fields.Many2one("product.product", "Plan", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency",
        "Company Currency",
        readonly=True,
        help="The amounts are in the company's currency at today's rate.",
    )
    end_date = fields.Date("Ends On", readonly=True)
    due_bucket = fields.Selection(DUE_BUCKETS, "Due", readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    plan_count = fields.Integer("Terms", readonly=True)
    renewed_count = fields.Integer("Renewed", readonly=True)
    decided_count = fields.Integer(
        "Decided", readonly=True, help="Terms renewed or not renewed."
    )
    revenue_at_risk = fields.Monetary(
        readonly=True,
        currency_field="currency_id",
        help="Price of the open terms, not renewed yet.",
    )
    renewal_rate = fields.Float(
        "Renewal Rate (%)",
        readonly=True,
        aggregator="avg",
        help="100 × renewed / decided terms of the rows grouped.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
            SELECT p.id, p.id AS plan_id, p.partner_id, p.user_id, p.product_id,
                   p.company_id, c.currency_id, p.end_date, 1 AS plan_count,
                   o.outcome,
                   CASE WHEN o.outcome = 'renewed' THEN 1 ELSE 0 END
                       AS renewed_count,
                   CASE WHEN o.outcome = 'open' THEN 0 ELSE 1 END AS decided_count,
                   CASE WHEN o.outcome <> 'open' THEN NULL
                        WHEN p.end_date < current_date THEN 'overdue'
                        WHEN p.end_date <= current_date + 30 THEN '30'
                        WHEN p.end_date <= current_date + 60 THEN '60'
                        WHEN p.end_date <= current_date + 90 THEN '90'
                        ELSE 'later' END AS due_bucket,
                   CASE WHEN o.outcome = 'open'
                        THEN coalesce(p.price, 0) / coalesce(
                            CASE WHEN p.currency_id = c.currency_id THEN 1.0
                                 ELSE rate.rate END, 1.0)
                        ELSE 0 END AS revenue_at_risk,
                   CASE WHEN o.outcome = 'open' THEN NULL
                        WHEN o.outcome = 'renewed' THEN 100.0
                        ELSE 0.0 END AS renewal_rate
              FROM crm_service_plan p
              JOIN res_company c ON c.id = p.company_id
              CROSS JOIN LATERAL (
                  SELECT CASE WHEN p.state = 'renewed'
                                   OR p.next_plan_id IS NOT NULL THEN 'renewed'
                              WHEN p.state = 'expired' THEN 'lost'
                              ELSE 'open' END AS outcome
              ) o
              LEFT JOIN LATERAL (
                  SELECT r.rate
                    FROM res_currency_rate r
                   WHERE r.currency_id = p.currency_id
                     AND (r.company_id = p.company_id OR r.company_id IS NULL)
                     AND r.name <= current_date
                   ORDER BY r.company_id NULLS LAST, r.name DESC
                   LIMIT 1
              ) rate ON TRUE
             WHERE p.state NOT IN ('draft', 'cancelled')
            )"""
        )

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        """The rate of a group is 100 × its renewed / its decided terms."""
        wanted = any(spec.split(":")[0] == "renewal_rate" for spec in fields or [])
        if wanted:
            fields = [spec for spec in fields if spec.split(":")[0] != "renewal_rate"]
            fields += ["renewed_count:sum", "decided_count:sum"]
        groups = super().read_group(
            domain,
            fields,
            groupby,
            offset=offset,
            limit=limit,
            orderby=orderby,
            lazy=lazy,
        )
        if wanted:
            for group in groups:
                decided = group.get("decided_count") or 0
                group["renewal_rate"] = (
                    100.0 * (group.get("renewed_count") or 0) / decided
                    if decided
                    else 0.0
                )
        return groups
