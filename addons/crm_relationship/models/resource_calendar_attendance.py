from odoo import api, models

# what an attendance line gives the working intervals
WORKING_TIME_FIELDS = {
    "calendar_id",
    "dayofweek",
    "hour_from",
    "hour_to",
    "date_from",
    "date_to",
    "week_type",
    "day_period",
    "display_type",
    "resource_id",
}


class ResourceCalendarAttendance(models.Model):
    """A working hours line added, changed or removed moves the SLA deadlines
    counted in its calendar."""

    _inherit = "resource.calendar.attendance"

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        attendances.calendar_id._replan_sla_deadlines()
        return attendances

    def write(self, vals):
        if not WORKING_TIME_FIELDS & set(vals):
            return super().write(vals)
        calendars = self.calendar_id
        result = super().write(vals)
        (calendars | self.calendar_id)._replan_sla_deadlines()
        return result

    def unlink(self):
        calendars = self.calendar_id
        result = super().unlink()
        calendars.exists()._replan_sla_deadlines()
        return result
