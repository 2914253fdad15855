def migrate(cr, version):
    """The shipped Fault type counts as a fault in the fault frequency report
    (its data record is noupdate, so the update does not set it)."""
    cr.execute(
        """
        UPDATE crm_service_ticket_type
           SET is_fault = TRUE
         WHERE id IN (
               SELECT res_id FROM ir_model_data
                WHERE module = 'crm_relationship'
                  AND name = 'crm_service_ticket_type_fault'
                  AND model = 'crm.service.ticket.type')
        """
    )
