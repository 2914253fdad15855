from odoo import api, models


class ResourceCalendarLeaves(models.Model):
    """A holiday added, moved or removed moves the SLA deadlines counted on
    its calendar (all calendars of the company for a leave without one)."""

    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._replan_sla_deadlines()
        return leaves

    def write(self, vals):
        before = self._sla_calendar_scope()
        result = super().write(vals)
        self._replan_sla_deadlines(before)
        return result

    def unlink(self):
        scope = self._sla_calendar_scope()
        result = super().unlink()
        self.env["crm.service.ticket.sla"]._replan_deadlines(*scope)
        return result

    def _sla_calendar_scope(self):
        """(calendars, companies of leaves that hold for every calendar)."""
        global_leaves = self.filtered(lambda leave: not leave.calendar_id)
        return self.calendar_id, global_leaves.company_id

    def _replan_sla_deadlines(self, before=None):
        calendars, companies = self._sla_calendar_scope()
        if before:
            calendars |= before[0]
            companies |= before[1]
        self.env["crm.service.ticket.sla"]._replan_deadlines(calendars, companies)
