from . import controllers
from . import models
from . import report
from . import wizards


def post_init_hook(env):
    """Invoices posted before the addon was installed fill the installed base;
    leads created before it get their stage history from tracking values."""
    env["crm.customer.asset"]._backfill_from_invoices()
    env["crm.lead.stage.history"]._backfill_from_tracking()
