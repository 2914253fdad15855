from odoo import api, fields, models


class CrmSyncJob(models.Model):
    """A configured job of the sync service and where it stands: its
    bookmark moves in the same transaction as the page it follows."""

    _name = "crm.sync.job"
    _description = "Sync Job"
    _order = "name"

    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(
        [("pull", "Pull"), ("push", "Push")], required=True, readonly=True
    )
    bookmark = fields.Char(readonly=True, help="Where the next run resumes.")
    push_fields = fields.Char(
        readonly=True,
        help="The customer fields the last complete push sent (comma separated): "
        "a push asking for others compares every customer again.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    run_ids = fields.One2many("crm.sync.run", "job_id", string="Runs")
    last_run_id = fields.Many2one(
        "crm.sync.run", compute="_compute_last_run_id", string="Last Run"
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A sync job name is unique per company.",
        )
    ]

    @api.depends("run_ids")
    def _compute_last_run_id(self):
        for job in self:
            job.last_run_id = job.run_ids[:1]

    def action_reset_bookmark(self):
        """Next run starts from the beginning (a full refresh)."""
        self.write({"bookmark": False})

    def _lock(self):
        """Serialise concurrent calls on the same job."""
        self.env.cr.execute(
            "SELECT id FROM crm_sync_job WHERE id IN %s FOR UPDATE", [tuple(self.ids)]
        )
        self.invalidate_recordset(["bookmark"])
