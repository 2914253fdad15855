from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

# the methods the sync service calls, and nothing else public here: a test
# fails when one is added without being announced in this list
PUBLIC_METHODS = (
    "start_run",
    "finish_run",
    "import_page",
    "pending_retries",
    "push_changes",
    "push_record",
)


class CrmSyncApi(models.AbstractModel):
    """The one door of the sync service (the integration user, with an API
    key). Each method checks once that the caller is the sync service (or a
    system administrator), that the job is one of the caller's companies and
    that the run is the job's, then calls the plain methods of the models
    with the rights of the system: the integration user reads and writes
    nothing else."""

    _name = "crm.sync.api"
    _description = "Sync Service API"

    @api.model
    def start_run(self, job, kind, dry_run=False):
        """Open a run of ``job`` (a pull of invoices or a push of customers,
        created on first use): ``{"run_id", "bookmark"}``."""
        self._check_caller()
        if kind not in ("pull", "push"):
            raise UserError(_("Sync run kind must be 'pull' or 'push', not %r.", kind))
        sync_job = self._job(job, kind, create=True)
        run = self.env["crm.sync.run"].sudo()._start(sync_job, dry_run)
        return {"run_id": run.id, "bookmark": sync_job.bookmark or False}

    @api.model
    def finish_run(self, job, run_id, status, error=False):
        """Close the run: its counts over all its pages, as recorded here."""
        run = self._run(job, run_id)
        if error and not isinstance(error, str):
            raise UserError(_("error: expected a text."))
        return run._finish(status, error)

    @api.model
    def import_page(self, job, run_id, rows, bookmark_before, bookmark_after):
        """Apply one page of invoices with its bookmark, in one transaction
        (a dry run's page is counted, then rolled back). An invoice row may
        carry its ``lines`` (key, product_code, barcode, description,
        quantity, price_unit, amount) and, for a credit note, the ``origin``
        invoice id."""
        run = self._run(job, run_id, "pull")
        return (
            self.env["crm.external.invoice"]
            .sudo()
            .with_company(run.company_id)
            ._import_page(run, rows, bookmark_before, bookmark_after)
        )

    @api.model
    def pending_retries(self, job):
        """The records of ``job`` a manager queued for retry."""
        return self.env["crm.sync.issue"].sudo()._pending_retries(self._job(job))

    @api.model
    def push_changes(
        self,
        job,
        run_id,
        after=False,
        limit=500,
        full_refresh=False,
        fields=None,
        everyone_if_changed=False,
    ):
        """A page of customers to push and bindings to delete, after the
        position ``after`` the previous page answered; ``fields`` are the
        customer fields the target gets (contact data when not given)."""
        run = self._run(job, run_id, "push")
        return (
            self.env["crm.sync.binding"]
            .sudo()
            .with_company(run.company_id)
            ._push_changes(run, after, limit, full_refresh, fields, everyone_if_changed)
        )

    @api.model
    def push_record(self, job, run_id, results):
        """Record what the target now holds (pushed, deleted, refused): the
        counts this call added to the run."""
        run = self._run(job, run_id, "push")
        return (
            self.env["crm.sync.binding"]
            .sudo()
            .with_company(run.company_id)
            ._record_push_results(run, results)
        )

    # ------------------------------------------------------------
    # Checks, once per call
    # ------------------------------------------------------------

    @api.model
    def _check_caller(self):
        user = self.env.user
        if (
            self.env.su
            or user.has_group("crm_relationship.group_sync")
            or user.has_group("base.group_system")
        ):
            return
        raise AccessError(
            _(
                "Only the sync service's integration user (group Relationship / "
                "Sync) and administrators call the sync methods."
            )
        )

    @api.model
    def _job(self, name, kind=None, create=False):
        """The caller's job ``name`` in the current company (one of the
        caller's companies), as superuser."""
        self._check_caller()
        if not isinstance(name, str) or not name.strip():
            raise UserError(_("job: expected the name of a source or a target."))
        company = self.env.company
        Job = self.env["crm.sync.job"].sudo()
        sync_job = Job.search(
            [("name", "=", name), ("company_id", "=", company.id)], limit=1
        )
        if not sync_job and create:
            sync_job = Job.create(
                {"name": name, "kind": kind, "company_id": company.id}
            )
        if not sync_job:
            raise UserError(_("Unknown sync job %s.", name))
        if not self.env.su and sync_job.company_id not in self.env.user.company_ids:
            raise AccessError(_("Sync job %s is not of your companies.", name))
        if kind and sync_job.kind != kind:
            raise UserError(
                _(
                    "Sync job %(job)s is a %(kind)s job: give the source and the "
                    "target different names.",
                    job=name,
                    kind=sync_job.kind,
                )
            )
        return sync_job

    @api.model
    def _run(self, job, run_id, kind=None):
        """The run ``run_id`` of the caller's job ``job``; any other run (of
        another job, another company) is refused."""
        sync_job = self._job(job, kind)
        Run = self.env["crm.sync.run"].sudo()
        valid_id = isinstance(run_id, int) and not isinstance(run_id, bool)
        run = Run.browse(run_id).exists() if valid_id else Run
        if not run or run.job_id != sync_job:
            raise UserError(
                _("Sync run %(run)s is not a run of %(job)s.", run=run_id, job=job)
            )
        return run
