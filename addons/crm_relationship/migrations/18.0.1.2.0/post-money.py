from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Credit notes are stored positive and signed by their kind: those a
    source wrote negative become positive, and the signed amounts of every
    credit note are computed again (they were positive for those). The
    company-currency amounts are new fields, computed by the update."""
    cr.execute(
        """
        UPDATE crm_external_invoice
           SET amount_untaxed = abs(amount_untaxed),
               amount_tax = abs(amount_tax),
               amount_total = abs(amount_total),
               amount_due = abs(amount_due)
         WHERE kind = 'credit_note'
        RETURNING id
        """
    )
    ids = [row[0] for row in cr.fetchall()]
    if not ids:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    invoices = env["crm.external.invoice"].browse(ids)
    fields = invoices._fields
    for name in (
        "amount_signed",
        "amount_due_signed",
        "amount_company_signed",
        "amount_due_company_signed",
    ):
        env.add_to_compute(fields[name], invoices)
    invoices.flush_recordset()
