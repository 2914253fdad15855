from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL


class CrmLead(models.Model):
    """Sales analytics on the lead: its stage history, its product lines, the
    lost feedback kept as a field and the stale-deal check."""

    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    stage_history_ids = fields.One2many(
        "crm.lead.stage.history", "lead_id", string="Stage Timeline", readonly=True
    )
    lost_feedback = fields.Html(
        sanitize=True,
        copy=False,
        tracking=False,
        help="The closing note given when the opportunity was marked lost.",
    )
    line_ids = fields.One2many("crm.lead.line", "lead_id", string="Products", copy=True)
    revenue_from_lines = fields.Boolean(
        "Revenue from Products",
        help="The expected revenue is the total of the product lines.",
    )
    is_stale = fields.Boolean(
        "Stale",
        compute="_compute_is_stale",
        search="_search_is_stale",
        help="In its stage longer than the stage's maximum days.",
    )
    stale_notified_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="When the stale-deal activity was created for the current stage.",
    )

    # ------------------------------------------------------------
    # Stage history
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        self.env["crm.lead.stage.history"]._record_changes(
            [(lead.id, False, "create") for lead in leads]
        )
        return leads

    def write(self, vals):
        if vals.get("active") and "lost_feedback" not in vals:
            vals = dict(vals, lost_feedback=False)
        tracked = {"stage_id", "active"} & set(vals)
        before = (
            {lead.id: (lead.stage_id.id, lead.active) for lead in self}
            if tracked
            else {}
        )
        result = super().write(vals)
        if tracked:
            changes = []
            for lead in self:
                stage_from, was_active = before[lead.id]
                if lead.active != was_active:
                    kind = "restore" if lead.active else "lost"
                elif lead.stage_id.id != stage_from:
                    kind = "won" if lead.stage_id.is_won else "stage"
                else:
                    continue
                changes.append((lead.id, stage_from, kind))
            self.env["crm.lead.stage.history"]._record_changes(changes)
        if "revenue_from_lines" in vals:
            self._update_revenue_from_lines()
        return result

    # ------------------------------------------------------------
    # Product lines
    # ------------------------------------------------------------

    def _update_revenue_from_lines(self):
        for lead in self.filtered("revenue_from_lines"):
            total = sum(lead.line_ids.mapped("price_subtotal"))
            if lead.expected_revenue != total:
                lead.expected_revenue = total

    # ------------------------------------------------------------
    # Stale deals
    # ------------------------------------------------------------

    @api.depends("stage_id.max_days", "date_last_stage_update", "active")
    def _compute_is_stale(self):
        now = fields.Datetime.now()
        for lead in self:
            max_days = lead.stage_id.max_days
            lead.is_stale = bool(
                lead.active
                and max_days
                and not lead.stage_id.is_won
                and lead.date_last_stage_update
                and lead.date_last_stage_update < now - timedelta(days=max_days)
            )

    def _search_is_stale(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(_("Unsupported search on Stale."))
        self.env["crm.stage"].flush_model(["max_days", "is_won"])
        self.flush_model(["active", "stage_id", "date_last_stage_update"])
        stale_ids = SQL(
            """(
            SELECT l.id FROM crm_lead l
              JOIN crm_stage s ON s.id = l.stage_id
             WHERE l.active AND s.max_days > 0 AND NOT COALESCE(s.is_won, FALSE)
               AND l.date_last_stage_update
                   < %s - make_interval(days => s.max_days)
            )""",
            fields.Datetime.now(),
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", stale_ids)]

    @api.model
    def _cron_stale_deal_activities(self):
        """One activity per stale deal and stage stay for its salesperson."""
        activity_type = self.env.ref(
            "crm_relationship.mail_activity_type_stale_deal", raise_if_not_found=False
        )
        leads = self.search([("is_stale", "=", True), ("user_id", "!=", False)])
        leads = leads.filtered(
            lambda lead: not lead.stale_notified_at
            or lead.stale_notified_at < lead.date_last_stage_update
        )
        if not leads:
            return
        today = fields.Date.context_today(self)
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "res_id": lead.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "user_id": lead.user_id.id,
                    "date_deadline": today,
                    "summary": _(
                        "Stale in %(stage)s for more than %(days)s days",
                        stage=lead.stage_id.name,
                        days=lead.stage_id.max_days,
                    ),
                }
                for lead in leads
            ]
        )
        leads.write({"stale_notified_at": fields.Datetime.now()})
