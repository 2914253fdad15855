from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Snapshots taken before the month's last one was flagged: flag it in
    every month, so that reports by month add up one snapshot per customer."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.customer.value"]._mark_month_last([])
