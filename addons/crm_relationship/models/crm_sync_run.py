import json

from odoo import _, fields, models
from odoo.exceptions import UserError

RUN_STATUSES = [
    ("running", "Running"),
    ("done", "Done"),
    ("done_with_rejects", "Done with Rejected Rows"),
    ("dry_run", "Dry Run"),
    ("failed", "Failed"),
    ("interrupted", "Interrupted"),
]
FINAL_STATUSES = ("done", "failed", "done_with_rejects")


class CrmSyncRun(models.Model):
    _name = "crm.sync.run"
    _description = "Sync Run"
    _order = "started_at desc, id desc"
    _rec_name = "job_id"

    job_id = fields.Many2one(
        "crm.sync.job", required=True, ondelete="cascade", index=True, readonly=True
    )
    kind = fields.Selection(related="job_id.kind", store=True)
    company_id = fields.Many2one(related="job_id.company_id", store=True)
    started_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    ended_at = fields.Datetime(readonly=True)
    status = fields.Selection(
        RUN_STATUSES, default="running", required=True, readonly=True, index=True
    )
    dry_run = fields.Boolean(
        readonly=True,
        help="Counted what a run would do and wrote nothing else: no invoice, "
        "bookmark, rejected record or pushed customer.",
    )
    count_read = fields.Integer("Read", readonly=True)
    count_created = fields.Integer("Created", readonly=True)
    count_updated = fields.Integer("Updated", readonly=True)
    count_unchanged = fields.Integer("Unchanged", readonly=True)
    count_rejected = fields.Integer("Rejected", readonly=True)
    count_deleted = fields.Integer("Deleted", readonly=True)
    count_pushed = fields.Integer("Pushed", readonly=True)
    count_failed = fields.Integer(
        "Refused", readonly=True, help="Customers the target refused."
    )
    bookmark_before = fields.Char(readonly=True)
    bookmark_after = fields.Char(readonly=True)
    push_fields = fields.Char(
        readonly=True, help="The customer fields this push sends (comma separated)."
    )
    dry_run_seen = fields.Text(
        readonly=True,
        help="A dry run's invoices counted so far (external id: content hash), "
        "so that an invoice in two files of the run counts once.",
    )
    error = fields.Text(readonly=True)
    issue_ids = fields.One2many("crm.sync.issue", "run_id", string="Rejected Records")

    def _start(self, job, dry_run):
        """A new run of ``job``; a run the same job left running (its process
        was killed) is marked interrupted."""
        job._lock()
        stale = self.search([("job_id", "=", job.id), ("status", "=", "running")])
        stale.write({"status": "interrupted", "ended_at": fields.Datetime.now()})
        return self.create(
            {
                "job_id": job.id,
                "dry_run": bool(dry_run),
                "bookmark_before": job.bookmark,
                "bookmark_after": job.bookmark,
            }
        )

    def _finish(self, status, error=False):
        """Close the run; a dry run that went through is a dry run, whatever
        it would have rejected."""
        self.ensure_one()
        if status not in FINAL_STATUSES:
            raise UserError(_("Unknown final status %r of a sync run.", status))
        if status == "done" and (self.count_rejected or self.count_failed):
            # rejections the service did not see (a page whose answer was lost)
            status = "done_with_rejects"
        if self.dry_run and status != "failed":
            status = "dry_run"
        self.write(
            {
                "status": status,
                "error": error or False,
                "ended_at": fields.Datetime.now(),
                "bookmark_after": self.bookmark_after
                if self.dry_run
                else self.job_id.bookmark,
                "dry_run_seen": False,
            }
        )
        if status in ("done", "done_with_rejects") and self.kind == "push":
            self.job_id.push_fields = self.push_fields
        return self._counts()

    def _counts(self):
        """The run's counts over all its pages, as the server recorded them:
        a page whose answer was lost and that was sent again counts once."""
        self.ensure_one()
        return {
            name.removeprefix("count_"): self[name]
            for name in self._fields
            if name.startswith("count_")
        }

    def _add_counts(self, counts):
        self.ensure_one()
        self.write(
            {
                f"count_{name}": self[f"count_{name}"] + value
                for name, value in counts.items()
                if f"count_{name}" in self._fields and value
            }
        )

    def _dry_run_seen(self):
        """{external id: content hash} of the invoices this dry run counted."""
        self.ensure_one()
        return json.loads(self.dry_run_seen or "{}")

    def _set_dry_run_seen(self, seen):
        self.ensure_one()
        self.dry_run_seen = json.dumps(seen, separators=(",", ":"))
