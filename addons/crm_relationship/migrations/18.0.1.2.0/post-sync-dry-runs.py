def migrate(cr, version):
    """Dry runs recorded before they had a status of their own read as done
    (or done with rejected rows, with zero counts): they are dry runs."""
    cr.execute(
        """
        UPDATE crm_sync_run
           SET status = 'dry_run'
         WHERE dry_run AND status IN ('done', 'done_with_rejects')
        """
    )
