import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

RUN_STATUSES = [
    ("running", "Running"),
    ("done", "Done"),
    ("done_with_rejects", "Done with Rejected Rows"),
    ("failed", "Failed"),
    ("interrupted", "Interrupted"),
]


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

    def _compute_last_run_id(self):
        for job in self:
            job.last_run_id = job.run_ids[:1]

    @api.model
    def _check_sync_access(self):
        if not (
            self.env.is_superuser()
            or self.env.user.has_group("crm_relationship.group_sync")
            or self.env.user.has_group("crm_relationship.group_manager")
        ):
            raise AccessError(
                _("Only the sync integration user and managers may run syncs.")
            )

    @api.model
    def _get(self, name, kind=None, create=False):
        job = self.sudo().search(
            [("name", "=", name), ("company_id", "=", self.env.company.id)], limit=1
        )
        if not job and create:
            job = self.sudo().create({"name": name, "kind": kind})
        if not job:
            raise UserError(_("Unknown sync job %s.", name))
        if kind and job.kind != kind:
            raise UserError(
                _(
                    "Sync job %(job)s is a %(kind)s job: give the source and the "
                    "target different names.",
                    job=name,
                    kind=job.kind,
                )
            )
        return job

    def _lock(self):
        """Serialise concurrent calls on the same job."""
        self.env.cr.execute(
            "SELECT id FROM crm_sync_job WHERE id IN %s FOR UPDATE", [tuple(self.ids)]
        )
        self.invalidate_recordset(["bookmark"])

    def action_reset_bookmark(self):
        """Next run starts from the beginning (a full refresh)."""
        self.write({"bookmark": False})


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
    dry_run = fields.Boolean(readonly=True)
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
    error = fields.Text(readonly=True)
    issue_ids = fields.One2many("crm.sync.issue", "run_id", string="Rejected Records")

    @api.model
    def sync_start(self, job, kind, dry_run=False):
        """Open a run of ``job``; a run the same job left running (its process
        was killed) is marked interrupted."""
        self.env["crm.sync.job"]._check_sync_access()
        if kind not in ("pull", "push"):
            raise UserError(_("Sync run kind must be 'pull' or 'push', not %r.", kind))
        job_record = self.env["crm.sync.job"]._get(job, kind, create=True)
        job_record._lock()
        stale = self.sudo().search(
            [("job_id", "=", job_record.id), ("status", "=", "running")]
        )
        stale.write({"status": "interrupted", "ended_at": fields.Datetime.now()})
        run = self.sudo().create(
            {
                "job_id": job_record.id,
                "dry_run": dry_run,
                "bookmark_before": job_record.bookmark,
                "bookmark_after": job_record.bookmark,
            }
        )
        return {"run_id": run.id, "bookmark": job_record.bookmark or False}

    @api.model
    def sync_finish(self, run_id, status, error=False):
        self.env["crm.sync.job"]._check_sync_access()
        if status not in ("done", "failed", "done_with_rejects"):
            raise UserError(_("Unknown final status %r of a sync run.", status))
        run = self.sudo().browse(run_id).exists()
        if not run:
            raise UserError(_("Sync run %s does not exist.", run_id))
        if status == "done" and (run.count_rejected or run.count_failed):
            # rejections the service did not see (a page whose answer was lost)
            status = "done_with_rejects"
        run.write(
            {
                "status": status,
                "error": error or False,
                "ended_at": fields.Datetime.now(),
                "bookmark_after": run.job_id.bookmark,
            }
        )
        return run._counts()

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
                if f"count_{name}" in self._fields
            }
        )


class CrmSyncIssue(models.Model):
    _name = "crm.sync.issue"
    _description = "Rejected Sync Record"
    _order = "id desc"
    _rec_name = "record_key"

    run_id = fields.Many2one("crm.sync.run", ondelete="cascade", index=True)
    job_id = fields.Many2one(
        "crm.sync.job", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="job_id.company_id", store=True)
    record_key = fields.Char("Record", index=True)
    reason = fields.Text(required=True)
    payload = fields.Text(help="The record as the source sent it (JSON).")
    state = fields.Selection(
        [("new", "To Check"), ("queued", "Queued for Retry"), ("resolved", "Resolved")],
        default="new",
        required=True,
        index=True,
    )

    @api.model
    def _record_many(self, job, run, rejections):
        """Record rejections ``(key, reason, payload, issue)``: the open issue
        of the same record (the same key, or ``issue`` for a retried record)
        gets the new reason, so a record rejected night after night, or a
        page sent twice, shows once."""
        keys = [key for key, _reason, _payload, issue in rejections if key]
        open_issues = {
            issue.record_key: issue
            for issue in self.search(
                [
                    ("job_id", "=", job.id),
                    ("record_key", "in", keys),
                    ("state", "!=", "resolved"),
                ],
                order="id desc",
            )
        }
        new_by_key, keyless = {}, []
        for key, reason, payload, issue in rejections:
            values = {
                "run_id": run.id if run else False,
                "reason": reason,
                "payload": json.dumps(payload, ensure_ascii=False, default=str),
                "state": "new",
            }
            issue = issue or (key and open_issues.get(key))
            if issue:
                issue.write(values)
            elif key:
                new_by_key[key] = {**values, "job_id": job.id, "record_key": key}
            else:
                keyless.append({**values, "job_id": job.id, "record_key": False})
        return self.create(list(new_by_key.values()) + keyless)

    def action_retry(self):
        """Fed again to the next run of its job (after fixing the customer,
        the mapping or the source record)."""
        self.filtered(lambda issue: issue.state != "resolved").write(
            {"state": "queued"}
        )
        return True

    def action_resolve(self):
        self.write({"state": "resolved"})
        return True

    @api.model
    def sync_pending_retries(self, job):
        self.env["crm.sync.job"]._check_sync_access()
        job_record = self.env["crm.sync.job"]._get(job)
        issues = self.sudo().search(
            [("job_id", "=", job_record.id), ("state", "=", "queued")]
        )
        return [
            {"issue_id": issue.id, "payload": json.loads(issue.payload or "null")}
            for issue in issues
        ]
