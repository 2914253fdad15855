from odoo import SUPERUSER_ID, api, fields


def migrate(cr, version):
    """The SLA cron is kept by updates from now on; SLA targets are decided on
    the working hours consumed, not on a deadline planned before a pause."""
    cr.execute(
        """
        UPDATE ir_model_data
           SET noupdate = TRUE
         WHERE module = 'crm_relationship'
           AND name = 'ir_cron_crm_service_ticket_sla'
        """
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    Sla = env["crm.service.ticket.sla"]
    # a stopped clock below its target has no deadline until it restarts
    Sla.search(
        [("reached_at", "=", False), ("clock_running", "=", False)]
    )._plan_deadlines()
    # targets reached after a pause were judged on the deadline planned
    # before it: decide them again on the hours consumed
    Sla.search([("reached_at", "!=", False)])._refresh_status(fields.Datetime.now())
