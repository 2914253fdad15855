import json

from odoo import api, fields, models


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
    record_key = fields.Char(
        "Record",
        index=True,
        help="The record's id in the source, or for a line without one the "
        "file's digest and the line number: the same record rejected again "
        "updates this entry.",
    )
    reason = fields.Text(required=True)
    payload = fields.Text(help="The record as the source sent it (JSON).")
    state = fields.Selection(
        [("new", "To Check"), ("queued", "Queued for Retry"), ("resolved", "Resolved")],
        default="new",
        required=True,
        index=True,
    )

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

    @api.model
    def _pending_retries(self, job):
        """The records of ``job`` a manager queued for retry."""
        issues = self.search([("job_id", "=", job.id), ("state", "=", "queued")])
        return [
            {"issue_id": issue.id, "payload": json.loads(issue.payload or "null")}
            for issue in issues
        ]
