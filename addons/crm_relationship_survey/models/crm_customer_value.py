from odoo import models

# an NPS bucket as a rating of Odoo's scale (5 satisfied, 3 okay, 1 not)
NPS_AS_RATING = (
    "CASE p.latest_nps_bucket WHEN 'promoter' THEN 5 WHEN 'passive' THEN 3 ELSE 1 END"
)


class CrmCustomerValue(models.Model):
    _inherit = "crm.customer.value"

    def _measure_rating(self, params):
        """The latest satisfaction: the latest ticket rating or, when the
        customer answered an NPS question since, that answer as a rating
        (promoter 5, passive 3, detractor 1), so a detractor counts as a low
        rating in the churn risk."""
        res = super()._measure_rating(params)
        self.env.cr.execute(
            f"""UPDATE crm_customer_value v
                   SET latest_rating = {NPS_AS_RATING},
                       latest_rating_date = p.latest_nps_date
                  FROM res_partner p
                 WHERE p.id = v.partner_id
                   AND p.latest_nps_bucket IS NOT NULL
                   AND (v.latest_rating_date IS NULL
                        OR p.latest_nps_date > v.latest_rating_date)
                   AND {self._today_rows()}""",
            params,
        )
        return res
