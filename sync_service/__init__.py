"""crm-sync: nightly sync between Odoo (crm_relationship) and the tools around it.

Pulls invoices from finance software into Odoo and pushes customers to address
books, webhooks and office files: incremental, idempotent, safe to kill.
"""

__version__ = "0.1.0"
