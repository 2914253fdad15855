from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The funnel reads the months of each stay from ``crm.lead.stage.month``
    since this version: write them for the history already there, then those
    of the open stays through the current month."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    Month = env["crm.lead.stage.month"]
    Month._fill()
    Month._cron_extend_open_stays()
