from . import models
from . import report


def uninstall_hook(env):
    """Rebuild the customer history without the rows of the modules being
    removed: dropping their columns and tables (CASCADE) would drop it."""
    removed = env["ir.module.module"].search([("state", "=", "to remove")])
    env["crm.customer.timeline"].with_context(
        crm_timeline_without=removed.mapped("name")
    ).init()
