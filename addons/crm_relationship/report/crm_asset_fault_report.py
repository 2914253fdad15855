from odoo import api, fields, models, tools


class CrmAssetFaultReport(models.Model):
    """One row per product, company and month: the units installed that month
    and the fault tickets opened on the product.

    Each row is one month of the installed units, so summing
    ``installed_units`` over any grouping gives unit-months, and the fault
    rate of a group is 100 × faults / unit-months: faults per 100 installed
    units per month, whatever the grouping (``read_group`` computes it from
    the sums instead of adding up rates).
    """

    _name = "crm.asset.fault.report"
    _description = "Fault Frequency per Product"
    _auto = False
    _rec_name = "product_id"
    _order = "month desc, product_id"
    _depends = {
        "crm.customer.asset": [
            "product_id",
            "company_id",
            "quantity",
            "returned_quantity",
            "install_date",
            "purchase_date",
            "state",
            "active",
        ],
        "crm.service.ticket": [
            "product_id",
            "company_id",
            "ticket_type_id",
            "opened_at",
            "active",
        ],
        "crm.service.ticket.type": ["is_fault"],
    }

    month = fields.Date(readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", "Product Category", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    installed_units = fields.Float(
        readonly=True,
        help="Units in service during the month; summed over months: unit-months.",
    )
    fault_count = fields.Integer("Faults", readonly=True)
    fault_rate = fields.Float(
        "Faults per 100 Units per Month",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="100 × faults / installed unit-months of the rows grouped.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE OR REPLACE VIEW {self._table} AS (
            WITH asset AS (
                SELECT a.product_id, a.company_id,
                       date_trunc('month', coalesce(a.install_date, a.purchase_date,
                                                    a.create_date::date))::date
                           AS since,
                       a.quantity - coalesce(a.returned_quantity, 0) AS units
                  FROM crm_customer_asset a
                 WHERE a.active AND a.state = 'active'
            ),
            months AS (
                SELECT generate_series(
                           min(since),
                           date_trunc('month', now() AT TIME ZONE 'UTC')::date,
                           interval '1 month')::date AS month
                  FROM asset
            ),
            units AS (
                SELECT m.month, asset.product_id, asset.company_id,
                       sum(asset.units) AS installed_units
                  FROM months m
                  JOIN asset ON asset.since <= m.month
                 GROUP BY m.month, asset.product_id, asset.company_id
            ),
            faults AS (
                SELECT date_trunc('month', t.opened_at)::date AS month,
                       t.product_id, t.company_id, count(*) AS fault_count
                  FROM crm_service_ticket t
                  JOIN crm_service_ticket_type tt ON tt.id = t.ticket_type_id
                 WHERE t.active AND tt.is_fault AND t.product_id IS NOT NULL
                 GROUP BY 1, 2, 3
            )
            SELECT row_number() OVER (ORDER BY r.month, r.product_id, r.company_id)
                       AS id,
                   r.month, r.product_id, pt.categ_id, r.company_id,
                   r.installed_units, r.fault_count,
                   CASE WHEN r.installed_units > 0
                        THEN 100.0 * r.fault_count / r.installed_units
                        END AS fault_rate
              FROM (
                  SELECT month, product_id, company_id,
                         coalesce(units.installed_units, 0) AS installed_units,
                         coalesce(faults.fault_count, 0) AS fault_count
                    FROM units
                    FULL JOIN faults USING (month, product_id, company_id)
              ) r
              JOIN product_product pp ON pp.id = r.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
            )"""
        )

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        """The rate of a group is 100 × its faults / its unit-months."""
        wanted = any(spec.split(":")[0] == "fault_rate" for spec in fields or [])
        if wanted:
            fields = [spec for spec in fields if spec.split(":")[0] != "fault_rate"] + [
                "fault_count:sum",
                "installed_units:sum",
            ]
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
                units = group.get("installed_units") or 0.0
                group["fault_rate"] = (
                    100.0 * (group.get("fault_count") or 0) / units if units else 0.0
                )
        return groups
