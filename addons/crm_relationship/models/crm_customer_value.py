import logging

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

CHURN_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
# an inbound interaction is a contact only when someone answered it
ANSWERED_OUTCOMES = ("reached", "interested", "not_interested", "follow_up", "resolved")
# SQL condition on crm_interaction (alias i): the interaction is a contact
CONTACT_CONDITION = f"""(i.direction = 'outbound' OR i.channel = 'meeting'
    OR i.outcome IN ({", ".join(f"'{o}'" for o in ANSWERED_OUTCOMES)}))"""
# reason code: (points, SQL condition on crm_customer_value v)
CHURN_RULES = {
    "trend_down": (
        25,
        "v.revenue_prev_12m > 0 AND v.revenue_12m < 0.8 * v.revenue_prev_12m",
    ),
    "purchase_gap": (
        25,
        "v.usual_interval_days > 0 "
        "AND v.days_since_purchase > 1.5 * v.usual_interval_days",
    ),
    "no_contact": (15, "v.is_overdue"),
    "sla_breaches": (15, "v.sla_breach_count > 0"),
    "low_rating": (
        15,
        "v.latest_rating > 0 AND v.latest_rating < 3 "
        "AND v.latest_rating_date > %(today)s::date - 365",
    ),
    "expiring": (20, "v.expiring_agreement_count > 0"),
}
# the activity type that says how to get in touch, by interaction channel,
# in the order a cadence activity falls back on when a channel is forbidden
CHANNEL_ACTIVITY_TYPES = {
    "call": "mail.mail_activity_data_call",
    "email": "mail.mail_activity_data_email",
    "meeting": "mail.mail_activity_data_meeting",
}
HIGH_SCORE = 50
MEDIUM_SCORE = 25
DOCS_TABLE = "crm_customer_value_docs"


class CrmCustomerValue(models.Model):
    _name = "crm.customer.value"
    _description = "Customer Value Snapshot"
    _order = "computed_on desc, revenue_12m desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    computed_on = fields.Date(required=True, index=True, readonly=True)
    is_latest = fields.Boolean(
        "Latest", index=True, readonly=True, help="The customer's latest snapshot."
    )
    is_month_last = fields.Boolean(
        "Month's Last",
        readonly=True,
        help="The customer's last snapshot of its month: the one a report by "
        "month adds up, never the same customer once per day.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        readonly=True,
        help="The customer's salesperson when the snapshot was taken.",
    )
    revenue_12m = fields.Monetary(
        "Revenue (12 Months)",
        readonly=True,
        help="Posted invoices less credit notes of Odoo and of the finance "
        "software over the last 12 months, tax included as the customer "
        "history totals them: in the company currency, each document at the "
        "rate of its date.",
    )
    revenue_prev_12m = fields.Monetary("Revenue (12 Months Before)", readonly=True)
    revenue_share = fields.Float(
        "Revenue Share (%)",
        readonly=True,
        aggregator="sum",
        help="The customer's part of the company's revenue of the last 12 months.",
    )
    trend_percent = fields.Float(
        "Trend (%)",
        readonly=True,
        aggregator="avg",
        help="Revenue of the last 12 months against the 12 months before; "
        "empty when there was none before.",
    )
    has_trend = fields.Boolean(readonly=True)
    margin_revenue = fields.Monetary(
        "Revenue with Known Cost",
        readonly=True,
        help="Untaxed revenue of the last 12 months' Odoo invoice lines whose "
        "product has a cost.",
    )
    gross_margin = fields.Monetary(
        readonly=True,
        help="Untaxed revenue less product cost on the Odoo invoice lines of "
        "the last 12 months whose product has a cost.",
    )
    margin_percent = fields.Float("Margin (%)", readonly=True, aggregator="avg")
    first_purchase_date = fields.Date("Customer Since", readonly=True)
    last_purchase_date = fields.Date("Last Purchase", readonly=True)
    tenure_days = fields.Integer("Tenure (Days)", readonly=True, aggregator="avg")
    purchase_count = fields.Integer(
        "Purchases",
        readonly=True,
        help="Days with an invoice, Odoo or external, since the first purchase.",
    )
    usual_interval_days = fields.Float(
        "Usual Interval (Days)",
        readonly=True,
        aggregator="avg",
        help="The median number of days between two purchases.",
    )
    days_since_purchase = fields.Integer(readonly=True, aggregator="avg")
    open_ticket_count = fields.Integer("Open Tickets", readonly=True)
    sla_breach_count = fields.Integer(
        "SLA Breaches (90 Days)",
        readonly=True,
        help="Service level targets of the customer's tickets breached in the "
        "last 90 days.",
    )
    latest_rating = fields.Float(
        readonly=True,
        aggregator="avg",
        help="The customer's latest ticket rating: 5 satisfied, 3 okay, "
        "1 dissatisfied; 0 when never rated.",
    )
    latest_rating_date = fields.Datetime("Rated On", readonly=True)
    expiring_agreement_count = fields.Integer(
        "Agreements Ending",
        readonly=True,
        help="Service plans and contracts due for renewal, or ended in the "
        "last 90 days, without a renewal.",
    )
    computed_tier_id = fields.Many2one(
        "crm.customer.tier", string="Computed Tier", readonly=True
    )
    tier_id = fields.Many2one(
        "crm.customer.tier",
        string="Tier",
        readonly=True,
        help="The manual override of the customer if any, else the computed tier.",
    )
    tier_differs = fields.Boolean(
        "Override Differs",
        readonly=True,
        help="The tier was set by hand and is not the computed one.",
    )
    last_contact_date = fields.Datetime(
        "Last Contact",
        readonly=True,
        help="The latest outbound interaction or meeting, or inbound one that "
        "was answered.",
    )
    contact_interval_days = fields.Integer("Contact Every (Days)", readonly=True)
    next_contact_date = fields.Date("Next Contact Due", readonly=True)
    is_overdue = fields.Boolean(
        "Contact Overdue",
        readonly=True,
        index=True,
        help="The last contact is older than the tier's interval, or there "
        "was none.",
    )
    overdue_days = fields.Integer("Days Overdue", readonly=True, aggregator="avg")
    churn_score = fields.Integer(
        "Churn Risk", readonly=True, aggregator="avg", help="From 0 to 100."
    )
    churn_level = fields.Selection(
        CHURN_LEVELS, string="Churn Risk Level", readonly=True, index=True
    )
    churn_reason_codes = fields.Char(readonly=True)
    churn_reasons = fields.Text("Churn Risk Reasons", compute="_compute_churn_reasons")
    color = fields.Integer(compute="_compute_color")

    _sql_constraints = [
        (
            "partner_company_day_uniq",
            "unique(partner_id, company_id, computed_on)",
            "A customer has one snapshot per company and day.",
        )
    ]

    def init(self):
        self.env.cr.execute(
            f"""CREATE INDEX IF NOT EXISTS {self._table}_latest_idx
                ON {self._table} (company_id, partner_id) WHERE is_latest"""
        )

    @api.model
    def _churn_reason_labels(self):
        return {
            "trend_down": _("Revenue down on the year before"),
            "purchase_gap": _("No purchase for over 1.5 times the usual interval"),
            "no_contact": _("No contact beyond the tier's cadence"),
            "sla_breaches": _("Service levels breached in the last 90 days"),
            "low_rating": _("Low satisfaction rating"),
            "expiring": _("Service plan or contract ending without renewal"),
        }

    @api.depends("churn_reason_codes")
    def _compute_churn_reasons(self):
        labels = self._churn_reason_labels()
        for value in self:
            codes = (value.churn_reason_codes or "").split(",")
            value.churn_reasons = "\n".join(
                labels[code] for code in codes if code in labels
            )

    @api.depends("churn_level")
    def _compute_color(self):
        colors = {"high": 1, "medium": 2, "low": 10}
        for value in self:
            value.color = colors.get(value.churn_level, 0)

    # ------------------------------------------------------------
    # Nightly computation
    # ------------------------------------------------------------

    @api.model
    def _cron_compute(self):
        """The nightly run: every company, then the activities; tiers that
        do not add up are logged and the run skipped."""
        try:
            self.env["crm.customer.tier"]._check_setup()
        except ValidationError as error:
            _logger.warning("Customer value computation skipped: %s", error)
            return False
        self._run_computation()
        return True

    @api.model
    def _run_computation(self, companies=None, today=None):
        """Snapshot every commercial customer of ``companies`` (all by
        default) as of ``today``, set-based: one SQL statement per measure.
        A second run on the same day replaces the day's snapshots."""
        self = self.sudo()
        tiers = self.env["crm.customer.tier"]._check_setup()
        companies = companies or self.env["res.company"].search([])
        today = today or fields.Date.context_today(self)
        now = fields.Datetime.now()
        self.env.flush_all()
        params = {
            "companies": companies.ids,
            "today": today,
            "year_ago": today - relativedelta(years=1),
            "two_years_ago": today - relativedelta(years=2),
            "days_90_ago": today - relativedelta(days=90),
            "now": now,
            "uid": self.env.uid,
            "tier_ids": tiers.ids,
            "last_tier": tiers[-1].id,
        }
        cr = self.env.cr
        self._prepare_documents(params)
        self._insert_snapshots(params)
        # the measures join today's rows, just inserted: without statistics
        # on them the planner may loop over them once per row
        cr.execute("ANALYZE crm_customer_value")
        for measure in (
            self._measure_share,
            self._measure_trend,
            self._measure_margin,
            self._measure_interval,
            self._measure_tickets,
            self._measure_sla_breaches,
            self._measure_rating,
            self._measure_agreements,
            self._measure_tier,
            self._measure_contact,
            self._measure_churn,
        ):
            measure(params)
        rising = self._rising_to_high(params)
        cr.execute(
            """UPDATE crm_customer_value SET is_latest = (computed_on = %(today)s)
                WHERE company_id = ANY(%(companies)s)
                  AND (is_latest OR computed_on = %(today)s)""",
            params,
        )
        self._mark_month_last(
            [("company_id", "in", companies.ids)], month_of=params["today"]
        )
        self._record_tier_changes(params)
        cr.execute("DROP TABLE IF EXISTS crm_customer_value_docs")
        self.invalidate_model()
        self.env["crm.customer.tier.history"].invalidate_model()
        self._schedule_cadence_activities(companies)
        self._schedule_churn_activities(rising)
        return True

    @api.model
    def _mark_month_last(self, domain, month_of=None):
        """Flag each customer's last snapshot of the month (of ``month_of``
        only, or of every month) among the snapshots of ``domain``; only
        the rows whose flag changes are written."""
        self.flush_model(["partner_id", "company_id", "computed_on", "is_month_last"])
        query = self._search(domain)
        if month_of:
            first = month_of.replace(day=1)
            period = SQL(
                "computed_on >= %s AND computed_on < %s",
                first,
                first + relativedelta(months=1),
            )
        else:
            period = SQL("TRUE")
        self.env.cr.execute(
            SQL(
                """UPDATE crm_customer_value v
                      SET is_month_last = (v.computed_on = m.last_day)
                     FROM (SELECT partner_id, company_id,
                                  date_trunc('month', computed_on) AS month,
                                  MAX(computed_on) AS last_day
                             FROM crm_customer_value
                            WHERE id IN (%(ids)s) AND %(period)s
                            GROUP BY 1, 2, 3) m
                    WHERE v.partner_id = m.partner_id
                      AND v.company_id = m.company_id
                      AND date_trunc('month', v.computed_on) = m.month
                      AND v.id IN (%(ids)s) AND %(period)s
                      AND v.is_month_last IS DISTINCT FROM
                          (v.computed_on = m.last_day)""",
                ids=query.subselect(),
                period=period,
            )
        )
        self.invalidate_model(["is_month_last"])

    def _prepare_documents(self, params):
        """A temporary table of the revenue documents: posted Odoo invoices
        and credit notes, external ones not cancelled, signed in the company
        currency at the document date (``amount_total_signed`` and
        ``amount_company_signed``, as the customer history sums them)."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS crm_customer_value_docs")
        cr.execute(
            f"""CREATE TEMP TABLE {DOCS_TABLE} AS
            SELECT m.commercial_partner_id AS partner_id, m.company_id,
                   m.invoice_date AS day, m.amount_total_signed AS amount,
                   m.move_type = 'out_invoice' AS is_purchase
              FROM account_move m
             WHERE m.state = 'posted'
               AND m.move_type IN ('out_invoice', 'out_refund')
               AND m.company_id = ANY(%(companies)s)
               AND m.invoice_date <= %(today)s
               AND m.commercial_partner_id IS NOT NULL
            UNION ALL
            SELECT p.commercial_partner_id, e.company_id, e.issued_on,
                   e.amount_company_signed, e.kind = 'invoice'
              FROM crm_external_invoice e
              JOIN res_partner p ON p.id = e.partner_id
             WHERE e.status != 'cancelled'
               AND e.kind IN ('invoice', 'credit_note')
               AND e.company_id = ANY(%(companies)s)
               AND e.issued_on <= %(today)s""",
            params,
        )
        cr.execute(
            "CREATE INDEX ON crm_customer_value_docs (partner_id, company_id, day)"
        )
        cr.execute("ANALYZE crm_customer_value_docs")

    def _insert_snapshots(self, params):
        """One row per commercial customer and company: those with revenue
        documents, interactions or tickets in the company, and the customers
        of the company itself; with the revenue, purchase dates and count."""
        cr = self.env.cr
        cr.execute(
            """DELETE FROM crm_customer_value
                WHERE computed_on = %(today)s AND company_id = ANY(%(companies)s)""",
            params,
        )
        cr.execute(
            f"""
            WITH population AS (
                SELECT partner_id, company_id FROM {DOCS_TABLE}
                UNION
                SELECT i.commercial_partner_id, i.company_id
                  FROM crm_interaction i
                 WHERE i.company_id = ANY(%(companies)s)
                UNION
                SELECT t.commercial_partner_id, t.company_id
                  FROM crm_service_ticket t
                 WHERE t.company_id = ANY(%(companies)s)
                   AND t.commercial_partner_id IS NOT NULL
                UNION
                SELECT p.id, p.company_id
                  FROM res_partner p
                 WHERE p.customer_rank > 0 AND p.company_id = ANY(%(companies)s)
            )
            INSERT INTO crm_customer_value (
                partner_id, company_id, computed_on, is_latest, user_id,
                revenue_12m, revenue_prev_12m, first_purchase_date,
                last_purchase_date, purchase_count, tenure_days,
                days_since_purchase, create_uid, write_uid, create_date, write_date)
            SELECT pop.partner_id, pop.company_id, %(today)s, FALSE, p.user_id,
                   COALESCE(SUM(d.amount) FILTER (WHERE d.day > %(year_ago)s), 0),
                   COALESCE(SUM(d.amount) FILTER (
                       WHERE d.day > %(two_years_ago)s AND d.day <= %(year_ago)s), 0),
                   MIN(d.day) FILTER (WHERE d.is_purchase),
                   MAX(d.day) FILTER (WHERE d.is_purchase),
                   COUNT(DISTINCT d.day) FILTER (WHERE d.is_purchase),
                   %(today)s::date - MIN(d.day) FILTER (WHERE d.is_purchase),
                   %(today)s::date - MAX(d.day) FILTER (WHERE d.is_purchase),
                   %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM population pop
              JOIN res_partner p ON p.id = pop.partner_id
               AND p.active AND p.id = p.commercial_partner_id
               AND (p.company_id IS NULL OR p.company_id = pop.company_id)
               AND NOT EXISTS (SELECT 1 FROM res_company c WHERE c.partner_id = p.id)
              LEFT JOIN {DOCS_TABLE} d
                ON d.partner_id = pop.partner_id AND d.company_id = pop.company_id
             GROUP BY pop.partner_id, pop.company_id, p.user_id
            """,
            params,
        )

    def _today_rows(self):
        return """v.computed_on = %(today)s AND v.company_id = ANY(%(companies)s)"""

    def _measure_share(self, params):
        self.env.cr.execute(
            f"""WITH t AS MATERIALIZED (
                    SELECT company_id, SUM(GREATEST(revenue_12m, 0)) AS total
                      FROM crm_customer_value
                     WHERE computed_on = %(today)s
                       AND company_id = ANY(%(companies)s)
                     GROUP BY company_id)
                UPDATE crm_customer_value v
                   SET revenue_share = CASE WHEN t.total > 0
                       THEN 100.0 * GREATEST(v.revenue_12m, 0) / t.total ELSE 0 END
                  FROM t
                 WHERE t.company_id = v.company_id AND {self._today_rows()}""",
            params,
        )

    def _measure_trend(self, params):
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET has_trend = v.revenue_prev_12m > 0,
                       trend_percent = CASE WHEN v.revenue_prev_12m > 0
                           THEN 100.0 * (v.revenue_12m - v.revenue_prev_12m)
                                / v.revenue_prev_12m
                           ELSE 0 END
                 WHERE {self._today_rows()}""",
            params,
        )

    def _measure_margin(self, params):
        """Untaxed revenue less cost of the invoice lines whose product has
        a cost in the company (the cost is per company, in its currency; the
        line's quantity is taken to the product's unit)."""
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET margin_revenue = m.revenue, gross_margin = m.margin,
                       margin_percent = CASE WHEN m.revenue != 0
                           THEN 100.0 * m.margin / m.revenue ELSE 0 END
                  FROM (SELECT am.commercial_partner_id AS partner_id, am.company_id,
                               SUM(-aml.balance) AS revenue,
                               SUM(-aml.balance
                                   - CASE am.move_type
                                         WHEN 'out_refund' THEN -1 ELSE 1 END
                                   * aml.quantity / COALESCE(NULLIF(lu.factor, 0), 1)
                                   * COALESCE(pu.factor, 1)
                                   * (pp.standard_price->>am.company_id::text)::numeric
                               ) AS margin
                          FROM account_move_line aml
                          JOIN account_move am ON am.id = aml.move_id
                          JOIN product_product pp ON pp.id = aml.product_id
                          JOIN product_template pt ON pt.id = pp.product_tmpl_id
                          LEFT JOIN uom_uom lu ON lu.id = aml.product_uom_id
                          LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
                         WHERE am.state = 'posted'
                           AND am.move_type IN ('out_invoice', 'out_refund')
                           AND am.company_id = ANY(%(companies)s)
                           AND am.invoice_date > %(year_ago)s
                           AND am.invoice_date <= %(today)s
                           AND aml.display_type = 'product'
                           AND (pp.standard_price->>am.company_id::text)::numeric > 0
                         GROUP BY am.commercial_partner_id, am.company_id) m
                 WHERE m.partner_id = v.partner_id AND m.company_id = v.company_id
                   AND {self._today_rows()}""",
            params,
        )

    def _measure_interval(self, params):
        """The median gap in days between two consecutive purchase days."""
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET usual_interval_days = g.median
                  FROM (SELECT partner_id, company_id,
                               percentile_cont(0.5) WITHIN GROUP (ORDER BY gap)
                                   AS median
                          FROM (SELECT partner_id, company_id,
                                       day - LAG(day) OVER (
                                           PARTITION BY partner_id, company_id
                                           ORDER BY day) AS gap
                                  FROM (SELECT DISTINCT partner_id, company_id, day
                                          FROM {DOCS_TABLE} WHERE is_purchase) days
                               ) gaps
                         WHERE gap IS NOT NULL
                         GROUP BY partner_id, company_id) g
                 WHERE g.partner_id = v.partner_id AND g.company_id = v.company_id
                   AND {self._today_rows()}""",
            params,
        )

    def _measure_tickets(self, params):
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v SET open_ticket_count = t.count
                  FROM (SELECT commercial_partner_id, company_id, COUNT(*) AS count
                          FROM crm_service_ticket
                         WHERE active AND NOT COALESCE(is_closed, FALSE)
                           AND company_id = ANY(%(companies)s)
                         GROUP BY commercial_partner_id, company_id) t
                 WHERE t.commercial_partner_id = v.partner_id
                   AND t.company_id = v.company_id AND {self._today_rows()}""",
            params,
        )

    def _measure_sla_breaches(self, params):
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v SET sla_breach_count = s.count
                  FROM (SELECT t.commercial_partner_id, t.company_id, COUNT(*) AS count
                          FROM crm_service_ticket_sla sla
                          JOIN crm_service_ticket t ON t.id = sla.ticket_id
                         WHERE sla.status = 'breached'
                           AND sla.deadline > %(days_90_ago)s
                           AND sla.deadline <= %(now)s
                           AND t.company_id = ANY(%(companies)s)
                         GROUP BY t.commercial_partner_id, t.company_id) s
                 WHERE s.commercial_partner_id = v.partner_id
                   AND s.company_id = v.company_id AND {self._today_rows()}""",
            params,
        )

    def _measure_rating(self, params):
        """The latest rating the customer gave a ticket (rating.mixin)."""
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET latest_rating = r.rating, latest_rating_date = r.rated_at
                  FROM (SELECT DISTINCT ON (t.commercial_partner_id, t.company_id)
                               t.commercial_partner_id, t.company_id, r.rating,
                               r.write_date AS rated_at
                          FROM rating_rating r
                          JOIN crm_service_ticket t
                            ON r.res_model = 'crm.service.ticket' AND r.res_id = t.id
                         WHERE r.consumed AND r.rating > 0
                           AND t.company_id = ANY(%(companies)s)
                         ORDER BY t.commercial_partner_id, t.company_id,
                                  r.write_date DESC, r.id DESC) r
                 WHERE r.commercial_partner_id = v.partner_id
                   AND r.company_id = v.company_id AND {self._today_rows()}""",
            params,
        )

    def _measure_agreements(self, params):
        """Service plans due for renewal or ended in the last 90 days with no
        next term, and contracts (types that open renewals) expiring or
        expired in the last 90 days and not superseded."""
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v SET expiring_agreement_count = a.count
                  FROM (SELECT partner_id, company_id, COUNT(*) AS count FROM (
                          SELECT p.partner_id, p.company_id
                            FROM crm_service_plan p
                           WHERE p.next_plan_id IS NULL
                             AND p.company_id = ANY(%(companies)s)
                             AND (p.state = 'expiring'
                                  OR (p.state = 'expired'
                                      AND p.end_date > %(days_90_ago)s))
                          UNION ALL
                          SELECT d.commercial_partner_id, d.company_id
                            FROM crm_customer_document d
                            JOIN crm_customer_document_type dt ON dt.id = d.type_id
                           WHERE dt.opens_renewal
                             AND d.company_id = ANY(%(companies)s)
                             AND d.commercial_partner_id IS NOT NULL
                             AND (d.state = 'expiring'
                                  OR (d.state = 'expired'
                                      AND d.valid_until > %(days_90_ago)s))
                        ) agreements GROUP BY partner_id, company_id) a
                 WHERE a.partner_id = v.partner_id AND a.company_id = v.company_id
                   AND {self._today_rows()}""",
            params,
        )

    def _measure_tier(self, params):
        """The computed tier (by cumulative share of the company's revenue, or
        by thresholds), then the tier in force: the partner's override for
        the company (a company-dependent field) or the computed one."""
        cr = self.env.cr
        if self.env["crm.customer.tier"]._get_mode() == "share":
            cr.execute(
                f"""WITH bounds AS (
                        SELECT id, SUM(revenue_share) OVER (ORDER BY sequence, id)
                               AS upper_share
                          FROM crm_customer_tier WHERE id = ANY(%(tier_ids)s)),
                    ranked AS MATERIALIZED (
                        SELECT v.id, v.revenue_12m,
                               COALESCE(100.0 * COALESCE(SUM(GREATEST(v.revenue_12m, 0))
                                   OVER (PARTITION BY v.company_id
                                         ORDER BY v.revenue_12m DESC, v.partner_id
                                         ROWS BETWEEN UNBOUNDED PRECEDING
                                         AND 1 PRECEDING), 0)
                                / NULLIF(SUM(GREATEST(v.revenue_12m, 0)) OVER (
                                   PARTITION BY v.company_id), 0), 100) AS share_before
                          FROM crm_customer_value v WHERE {self._today_rows()})
                    UPDATE crm_customer_value v
                       SET computed_tier_id = CASE WHEN r.revenue_12m <= 0
                           THEN %(last_tier)s
                           ELSE COALESCE((SELECT b.id FROM bounds b
                                           WHERE b.upper_share > r.share_before + 1e-9
                                           ORDER BY b.upper_share, b.id LIMIT 1),
                                         %(last_tier)s) END
                      FROM ranked r WHERE r.id = v.id""",
                params,
            )
        else:
            cr.execute(
                f"""UPDATE crm_customer_value v
                       SET computed_tier_id = COALESCE(
                           (SELECT t.id FROM crm_customer_tier t
                             WHERE t.id = ANY(%(tier_ids)s)
                               AND t.min_revenue <= v.revenue_12m
                             ORDER BY t.sequence, t.id LIMIT 1), %(last_tier)s)
                     WHERE {self._today_rows()}""",
                params,
            )
        cr.execute(
            f"""UPDATE crm_customer_value v
                   SET tier_id = COALESCE(o.tier_id, v.computed_tier_id),
                       tier_differs = o.tier_id IS NOT NULL
                                      AND o.tier_id != v.computed_tier_id
                  FROM (SELECT v.id, t.id AS tier_id
                          FROM crm_customer_value v
                          JOIN res_partner p ON p.id = v.partner_id
                          LEFT JOIN crm_customer_tier t ON t.active AND t.id = (
                              p.customer_tier_override_id->>v.company_id::text)::int
                         WHERE {self._today_rows()}) o
                 WHERE o.id = v.id""",
            params,
        )

    def _measure_contact(self, params):
        """The last contact, the tier's interval and whether it is overdue
        (never contacted counts as overdue)."""
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET last_contact_date = c.last_contact,
                       contact_interval_days = t.contact_interval_days,
                       next_contact_date = COALESCE(
                           (c.last_contact AT TIME ZONE 'UTC')::date
                               + t.contact_interval_days, %(today)s),
                       is_overdue = c.last_contact IS NULL
                           OR (c.last_contact AT TIME ZONE 'UTC')::date
                               + t.contact_interval_days < %(today)s,
                       overdue_days = GREATEST(%(today)s::date - COALESCE(
                           (c.last_contact AT TIME ZONE 'UTC')::date
                               + t.contact_interval_days, %(today)s), 0)
                  FROM crm_customer_value v2
                  JOIN crm_customer_tier t ON t.id = v2.tier_id
                  LEFT JOIN (
                      SELECT i.commercial_partner_id, i.company_id,
                             MAX(i.date) AS last_contact
                        FROM crm_interaction i
                       WHERE {CONTACT_CONDITION}
                         AND i.company_id = ANY(%(companies)s)
                         AND i.date <= %(now)s
                       GROUP BY i.commercial_partner_id, i.company_id
                  ) c ON c.commercial_partner_id = v2.partner_id
                     AND c.company_id = v2.company_id
                 WHERE v2.id = v.id AND {self._today_rows()}""",
            params,
        )

    def _measure_churn(self, params):
        points = " + ".join(
            f"CASE WHEN {condition} THEN {score} ELSE 0 END"
            for score, condition in CHURN_RULES.values()
        )
        codes = ", ".join(
            f"CASE WHEN {condition} THEN '{code}' END"
            for code, (_score, condition) in CHURN_RULES.items()
        )
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET churn_score = LEAST(100, {points}),
                       churn_reason_codes = NULLIF(concat_ws(',', {codes}), '')
                 WHERE {self._today_rows()}""",
            params,
        )
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET churn_level = CASE
                       WHEN v.churn_score >= {HIGH_SCORE} THEN 'high'
                       WHEN v.churn_score >= {MEDIUM_SCORE} THEN 'medium'
                       ELSE 'low' END
                 WHERE {self._today_rows()}""",
            params,
        )

    def _rising_to_high(self, params):
        """Today's snapshots at high risk whose customer's previous snapshot
        was not (read before today's become the latest), of customers with an
        active account manager and no churn activity open."""
        self.env.cr.execute(
            f"""SELECT v.id FROM crm_customer_value v
                  JOIN res_partner p ON p.id = v.partner_id
                  JOIN res_users u ON u.id = p.user_id AND u.active
                 WHERE {self._today_rows()} AND v.churn_level = 'high'
                   AND NOT EXISTS (
                       SELECT 1 FROM mail_activity a
                        WHERE a.res_model = 'res.partner' AND a.res_id = v.partner_id
                          AND a.account_reason = 'churn' AND a.active)
                   AND NOT EXISTS (
                       SELECT 1 FROM crm_customer_value prev
                        WHERE prev.partner_id = v.partner_id
                          AND prev.company_id = v.company_id
                          AND prev.is_latest AND prev.computed_on < %(today)s
                          AND prev.churn_level = 'high')""",
            params,
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    def _record_tier_changes(self, params):
        """A dated history row where the tier in force differs from the
        customer's last recorded tier: a rerun records nothing more."""
        self.env.cr.execute(
            f"""INSERT INTO crm_customer_tier_history (
                    partner_id, company_id, changed_at, old_tier_id, new_tier_id,
                    source, user_id, create_uid, write_uid, create_date, write_date)
                SELECT v.partner_id, v.company_id, %(now)s, last.new_tier_id,
                       v.tier_id, 'computed', %(uid)s, %(uid)s, %(uid)s,
                       %(now)s, %(now)s
                  FROM crm_customer_value v
                  LEFT JOIN LATERAL (
                      SELECT h.new_tier_id FROM crm_customer_tier_history h
                       WHERE h.partner_id = v.partner_id
                         AND h.company_id = v.company_id
                       ORDER BY h.changed_at DESC, h.id DESC LIMIT 1
                  ) last ON TRUE
                 WHERE {self._today_rows()} AND v.tier_id IS NOT NULL
                   AND last.new_tier_id IS DISTINCT FROM v.tier_id""",
            params,
        )

    # ------------------------------------------------------------
    # Activities
    # ------------------------------------------------------------

    @api.model
    def _schedule_cadence_activities(self, companies):
        """One activity for the account manager of each overdue customer
        that has none open yet (whatever company it is overdue in)."""
        self.env.cr.execute(
            """SELECT DISTINCT ON (v.partner_id) v.partner_id, p.user_id, v.tier_id,
                      v.last_contact_date
                 FROM crm_customer_value v
                 JOIN res_partner p ON p.id = v.partner_id
                 JOIN res_users u ON u.id = p.user_id AND u.active
                WHERE v.is_latest AND v.is_overdue
                  AND v.company_id = ANY(%s)
                  AND NOT EXISTS (
                      SELECT 1 FROM mail_activity a
                       WHERE a.res_model = 'res.partner' AND a.res_id = v.partner_id
                         AND a.account_reason = 'cadence' AND a.active)
                ORDER BY v.partner_id, v.overdue_days DESC""",
            [companies.ids],
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return self.env["mail.activity"]
        tiers = self.env["crm.customer.tier"].browse({row[2] for row in rows})
        partners = self.env["res.partner"].browse(row[0] for row in rows)
        channel_rules = self.env["crm.customer.preference"]._get_channel_rules(partners)
        default_type = self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        )
        channel_labels = dict(
            self.env["crm.interaction"]
            ._fields["channel"]
            ._description_selection(self.env)
        )
        model_id = self.env["ir.model"]._get_id("res.partner")
        today = fields.Date.context_today(self)
        values = []
        for partner_id, user_id, tier_id, last_contact in rows:
            preferred, forbidden = channel_rules.get(partner_id, (False, set()))
            activity_type, channel = self._cadence_activity_type(
                tiers.browse(tier_id).activity_type_id or default_type,
                preferred,
                forbidden,
            )
            summary = (
                _("Keep in touch: last contact on %s", last_contact.date())
                if last_contact
                else _("Keep in touch: no contact yet")
            )
            if channel:
                summary = _(
                    "%(summary)s (by %(channel)s)",
                    summary=summary,
                    channel=channel_labels[channel],
                )
            note = False
            if forbidden:
                note = _(
                    "Do not contact by: %s",
                    ", ".join(channel_labels[code] for code in sorted(forbidden)),
                )
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner_id,
                    "user_id": user_id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": summary,
                    "note": note,
                    "date_deadline": today,
                    "account_reason": "cadence",
                }
            )
        return self._create_activities(values)

    @api.model
    def _cadence_activity_type(self, tier_type, preferred, forbidden):
        """The activity type and channel of a cadence activity: the customer's
        preferred channel first, else the tier's type, else any channel the
        customer did not forbid (in the order of the channels)."""
        type_channels = {}
        for channel, xmlid in CHANNEL_ACTIVITY_TYPES.items():
            activity_type = self.env.ref(xmlid, raise_if_not_found=False)
            if activity_type:
                type_channels.setdefault(activity_type, channel)
        channel_types = {channel: type_ for type_, channel in type_channels.items()}
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        if preferred:
            return channel_types.get(preferred, todo), preferred
        tier_channel = type_channels.get(tier_type, False)
        if tier_channel not in forbidden:
            return tier_type, (tier_channel if forbidden else False)
        for channel in CHANNEL_ACTIVITY_TYPES:
            if channel not in forbidden and channel in channel_types:
                return channel_types[channel], channel
        return todo, False

    @api.model
    def _schedule_churn_activities(self, values):
        """One activity per customer rising to high risk, when it has no
        churn activity open."""
        values = values.filtered(lambda v: v.partner_id.user_id.active)
        if not values:
            return self.env["mail.activity"]
        open_activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", values.partner_id.ids),
                ("account_reason", "=", "churn"),
            ]
        )
        done = set(open_activities.mapped("res_id"))
        model_id = self.env["ir.model"]._get_id("res.partner")
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        create = []
        for value in values:
            if value.partner_id.id in done:
                continue
            done.add(value.partner_id.id)
            create.append(
                {
                    "res_model_id": model_id,
                    "res_id": value.partner_id.id,
                    "user_id": value.partner_id.user_id.id,
                    "activity_type_id": todo.id if todo else False,
                    "summary": _("High churn risk"),
                    "note": value.churn_reasons,
                    "date_deadline": fields.Date.context_today(self),
                    "account_reason": "churn",
                }
            )
        return self._create_activities(create)

    @api.model
    def _create_activities(self, values):
        """The night's activities, without one "assigned to you" email each:
        the account managers find them in their activities, not thousands of
        messages in their inbox the first night."""
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(values)
        )

    @api.model
    def _register_contacts(self, interactions):
        """Interactions that are contacts: their customers' latest snapshots
        take the new last contact and its next due date, and the cadence
        activities of those customers are marked done."""
        contacts = interactions.filtered(lambda i: i._counts_as_contact())
        if not contacts:
            return
        partners = contacts.commercial_partner_id
        latest = self.sudo().search(
            [("partner_id", "in", partners.ids), ("is_latest", "=", True)]
        )
        today = fields.Date.context_today(self)
        for value in latest:
            dates = contacts.filtered(
                lambda i, v=value: i.commercial_partner_id == v.partner_id
                and i.company_id == v.company_id
            ).mapped("date")
            if not dates:
                continue
            last = max([*dates, value.last_contact_date or min(dates)])
            due = last.date() + relativedelta(days=value.contact_interval_days)
            value.write(
                {
                    "last_contact_date": last,
                    "next_contact_date": due,
                    "is_overdue": due < today,
                    "overdue_days": max((today - due).days, 0),
                }
            )
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", partners.ids),
                    ("account_reason", "=", "cadence"),
                ]
            )
        )
        if activities:
            activities.action_feedback(feedback=_("Contact logged."))

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "views": [(False, "form")],
        }
