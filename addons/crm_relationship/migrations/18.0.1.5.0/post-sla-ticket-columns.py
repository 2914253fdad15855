from odoo.tools import SQL

# what the SLA rows stored until 18.0.1.5.0 besides their own state: copies
# of their ticket's values, now read through the ticket, and the log access
# columns, now left to the ticket's chatter
COLUMNS = (
    "team_id",
    "user_id",
    "partner_id",
    "ticket_type_id",
    "opened_at",
    "company_id",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
)


def migrate(cr, version):
    """Drop those columns, with the foreign keys every new row was checked
    against."""
    cr.execute(
        SQL(
            "ALTER TABLE crm_service_ticket_sla %s",
            SQL(", ").join(
                SQL("DROP COLUMN IF EXISTS %s", SQL.identifier(name))
                for name in COLUMNS
            ),
        )
    )
    cr.execute(
        "DELETE FROM ir_model_constraint WHERE type = 'f' AND name = ANY(%s)",
        [[f"crm_service_ticket_sla_{name}_fkey" for name in COLUMNS]],
    )
