from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Leads created before the stage history existed get theirs from the
    tracked changes of their stage (only leads without history rows)."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.lead.stage.history"]._backfill_from_tracking()
