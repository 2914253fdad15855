from odoo import api, models
from odoo.osv import expression


class ResourceCalendarLeaves(models.Model):
    """A holiday added, moved or removed moves the SLA deadlines counted on
    its calendar (all calendars of its company for a leave without one).
    An employee's time off (a leave with a resource) moves none: the SLA
    counts the calendar's working time, not a person's."""

    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._replan_sla_deadlines()
        return leaves

    def write(self, vals):
        before = self._sla_scope()
        result = super().write(vals)
        self._replan_sla_deadlines(before)
        return result

    def unlink(self):
        scope = self._sla_scope()
        result = super().unlink()
        if scope:
            self.env["crm.service.ticket.sla"]._replan_deadlines(scope)
        return result

    def _sla_scope(self):
        """Domain of the SLA rows whose working time these leaves change, or
        None: a leave counts for the rows of its calendar (any calendar when
        it has none) and of its company (any company when it has none)."""
        domains = []
        holidays = self.filtered(
            lambda leave: not leave.resource_id and leave.time_type == "leave"
        )
        for calendar, company in holidays.grouped(
            lambda leave: (leave.calendar_id, leave.company_id)
        ):
            domain = []
            if calendar:
                domain.append(("calendar_id", "=", calendar.id))
            if company:
                domain.append(("company_id", "=", company.id))
            domains.append(domain or expression.TRUE_DOMAIN)
        return expression.OR(domains) if domains else None

    def _replan_sla_deadlines(self, before=None):
        scopes = [scope for scope in (before, self._sla_scope()) if scope]
        if scopes:
            self.env["crm.service.ticket.sla"]._replan_deadlines(expression.OR(scopes))
