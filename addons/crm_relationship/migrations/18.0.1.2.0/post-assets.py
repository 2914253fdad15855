from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Invoices posted before the installed base existed fill it once."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.customer.asset"]._backfill_from_invoices()
