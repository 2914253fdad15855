from odoo import models

# what the working intervals of a calendar are made of, besides its leaves
WORKING_TIME_FIELDS = {
    "attendance_ids",
    "tz",
    "two_weeks_calendar",
    "flexible_hours",
    "leave_ids",
    "global_leave_ids",
}


class ResourceCalendar(models.Model):
    """Working hours changed move the SLA deadlines counted in them: once per
    save of the calendar, however many lines and leaves it changes."""

    _inherit = "resource.calendar"

    def write(self, vals):
        if not WORKING_TIME_FIELDS & set(vals):
            return super().write(vals)
        result = super(
            ResourceCalendar, self.with_context(crm_sla_replan_later=True)
        ).write(vals)
        self.with_context(crm_sla_replan_later=False)._replan_sla_deadlines()
        return result

    def _replan_sla_deadlines(self):
        if self:
            self.env["crm.service.ticket.sla"]._replan_deadlines(
                [("calendar_id", "in", self.ids)]
            )
