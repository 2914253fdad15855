from . import controllers
from . import models
from . import report
from . import wizards


def post_init_hook(env):
    """Invoices posted before the addon was installed fill the installed base."""
    env["crm.customer.asset"]._backfill_from_invoices()
