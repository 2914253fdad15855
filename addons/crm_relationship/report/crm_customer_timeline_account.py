from odoo import fields, models

from .crm_customer_timeline import TimelineSource

TIER_CHANGE_SLOT = 9


class CrmCustomerTimeline(models.Model):
    _inherit = "crm.customer.timeline"
    _depends = {
        "crm.customer.tier.history": [
            "changed_at",
            "partner_id",
            "company_id",
            "old_tier_id",
            "new_tier_id",
            "user_id",
        ],
        "crm.customer.tier": ["name"],
    }

    kind = fields.Selection(selection_add=[("tier_change", "Tier")])

    def _timeline_sources(self):
        """Tier changes, computed or set by hand, dated in the history."""
        return [
            *super()._timeline_sources(),
            TimelineSource(
                slot=TIER_CHANGE_SLOT,
                table="crm_customer_tier_history src "
                "LEFT JOIN crm_customer_tier old_tier ON old_tier.id = src.old_tier_id "
                "LEFT JOIN crm_customer_tier new_tier ON new_tier.id = src.new_tier_id",
                columns={
                    "kind": "'tier_change'",
                    "date": "src.changed_at",
                    "has_time": "TRUE",
                    "partner_id": "src.partner_id",
                    "title": "COALESCE(old_tier.name, '–') || ' → ' "
                    "|| COALESCE(new_tier.name, '–')",
                    "user_id": "src.user_id",
                    "company_id": "src.company_id",
                    "res_model": "'crm.customer.tier.history'",
                    "res_id": "src.id",
                    "is_financial": "FALSE",
                },
                where="TRUE",
            ),
        ]
