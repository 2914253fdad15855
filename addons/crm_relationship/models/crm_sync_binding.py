from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# at most this many customers examined per page for every one sent, so that
# a page whose customers were written but did not change answers in time
EXAMINED_PER_SENT = 10


class CrmSyncBinding(models.Model):
    """A customer as pushed to an external target (an address book, a
    webhook): what was sent and where it lives there, so that the next push
    only sends what changed and deletions follow."""

    _name = "crm.sync.binding"
    _description = "Pushed Customer"
    _order = "job_id, id"
    _rec_name = "uid"

    job_id = fields.Many2one(
        "crm.sync.job", string="Target", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", ondelete="set null", index=True
    )
    partner_name = fields.Char("Customer Name")
    uid = fields.Char("UID", required=True)
    external_id = fields.Char("External ID")
    href = fields.Char()
    etag = fields.Char("ETag")
    content_hash = fields.Char()
    pushed_at = fields.Datetime()
    pushed_write_date = fields.Datetime(
        help="The customer's last change the target holds: customers not "
        "written since are not compared again."
    )
    run_id = fields.Many2one(
        "crm.sync.run", string="Last Pushed By", ondelete="set null", index=True
    )
    company_id = fields.Many2one(related="job_id.company_id", store=True)

    _sql_constraints = [
        (
            "job_uid_uniq",
            "unique(job_id, uid)",
            "A customer is bound once per target.",
        )
    ]

    # ------------------------------------------------------------
    # Changes to push
    # ------------------------------------------------------------

    @api.model
    def _uid_prefix(self):
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return f"crm-{db_uuid}-partner-"

    @api.model
    def _push_changes(
        self, run, after, limit, full_refresh, field_names, everyone_if_changed
    ):
        """A page of what ``run``'s target needs, after the cursor ``after``:
        customers changed since their last push (or never pushed, or all of
        them with ``full_refresh``), by id, and bindings to delete.

        Only customers written since the target got them are compared. A
        target that holds every customer at once (``everyone_if_changed``: a
        file) gets all of them when anything changed, else nothing.
        """
        job = run.job_id
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise UserError(_("limit: expected a positive number."))
        fields_ = self.env["res.partner"]._sync_push_fields(field_names)
        signature = ",".join(fields_)
        if not run.push_fields:
            run.push_fields = signature
        elif run.push_fields != signature:
            raise UserError(
                _("fields: a run pushes the same fields on every page of it.")
            )
        try:
            cursor = _Cursor.parse(after)
        except ValueError:
            raise UserError(
                _("after: %r is not a position of a push.", after)
            ) from None
        if cursor.first:
            cursor.everyone = bool(full_refresh) or (
                bool(everyone_if_changed) and self._target_outdated(run, fields_)
            )
            if everyone_if_changed and not cursor.everyone:
                cursor.partner_id = cursor.binding_id = None
        prefix = self._uid_prefix()
        deletes = self._stale_bindings(job, prefix, cursor, limit)
        upserts = self._changed_customers(
            job,
            prefix,
            cursor,
            limit,
            fields_,
            compare_all=job.push_fields != signature,
        )
        if run.dry_run and (run.bookmark_after or False) == (after or False):
            # counted once per page, also when the answer is asked again
            run._add_counts({"pushed": len(upserts), "deleted": len(deletes)})
            run.bookmark_after = cursor.dump()
        return {
            "upserts": upserts,
            "deletes": deletes,
            "after": cursor.dump(),
            "more": cursor.partner_id is not None or cursor.binding_id is not None,
            "full_refresh": cursor.everyone,
        }

    @api.model
    def _target_outdated(self, run, fields_):
        """Whether a target holding every customer at once misses anything:
        its last run did not complete, a customer changed or went."""
        job = run.job_id
        last = self.env["crm.sync.run"].search(
            [("job_id", "=", job.id), ("id", "!=", run.id), ("dry_run", "=", False)],
            limit=1,
        )
        if last.status not in ("done", "done_with_rejects"):
            return True
        if job.push_fields != ",".join(fields_):
            return True
        prefix = self._uid_prefix()
        probe = _Cursor.parse(False)
        while probe.binding_id is not None:
            if self._stale_bindings(job, prefix, probe, 500):
                return True
        while probe.partner_id is not None:
            if self._changed_customers(job, prefix, probe, 500, fields_):
                return True
        return False

    @api.model
    def _changed_customers(
        self, job, prefix, cursor, limit, fields_, compare_all=False
    ):
        """Payloads of up to ``limit`` customers after ``cursor`` that the
        target does not hold as they are; moves the cursor past the
        customers examined (None: all done)."""
        if cursor.partner_id is None:
            return []
        Partner = self.env["res.partner"]
        Partner.flush_model(["write_date"])
        self.flush_model(["job_id", "uid", "partner_id", "pushed_write_date"])
        db_uuid = prefix.removeprefix("crm-").removesuffix("-partner-")
        upserts, examined = [], 0
        while len(upserts) < limit and examined < limit * EXAMINED_PER_SENT:
            batch = limit - len(upserts)
            query = Partner._search(
                [*Partner._sync_push_domain(), ("id", ">", cursor.partner_id)],
                order="id",
                limit=batch,
            )
            if not (cursor.everyone or compare_all):
                # customers not written since the target got them are skipped
                # in the database, not compared one by one
                query.add_where(
                    SQL(
                        """NOT EXISTS (
                            SELECT 1 FROM crm_sync_binding b
                             WHERE b.job_id = %s
                               AND b.uid = %s || res_partner.id
                               AND b.partner_id = res_partner.id
                               AND b.pushed_write_date >= res_partner.write_date)""",
                        job.id,
                        prefix,
                    )
                )
            partners = Partner.browse(query.get_result_ids())
            bindings = {
                binding.uid: binding
                for binding in self.search(
                    [
                        ("job_id", "=", job.id),
                        ("uid", "in", [f"{prefix}{id_}" for id_ in partners.ids]),
                    ]
                )
            }
            payloads = partners._sync_push_payloads(db_uuid, fields_)
            for partner in partners:
                cursor.partner_id = partner.id
                payload = payloads[partner.id]
                binding = bindings.get(payload["uid"])
                if (
                    binding
                    and not cursor.everyone
                    and binding.content_hash == payload["content_hash"]
                ):
                    continue
                # False, never None: XML-RPC answers cannot carry None
                payload["binding"] = bool(binding) and {
                    "binding_id": binding.id,
                    "external_id": binding.external_id or False,
                    "href": binding.href or False,
                    "etag": binding.etag or False,
                    "content_hash": binding.content_hash or False,
                }
                upserts.append(payload)
            examined += len(partners)
            if len(partners) < batch:
                cursor.partner_id = None
                break
        return upserts

    @api.model
    def _stale_bindings(self, job, prefix, cursor, limit):
        """Up to ``limit`` bindings after ``cursor`` whose customer is gone,
        archived, no longer a customer to push, or merged into another (the
        binding then names the other customer, its uid still the old one);
        moves the cursor (None: all done)."""
        if cursor.binding_id is None:
            return []
        Partner = self.env["res.partner"]
        to_push = Partner._search(Partner._sync_push_domain())
        self.flush_model(["job_id", "uid", "partner_id"])
        self.env.cr.execute(
            SQL(
                """SELECT b.id FROM crm_sync_binding b
                    WHERE b.job_id = %s AND b.id > %s
                      AND (b.partner_id IS NULL
                           OR b.uid != %s || b.partner_id
                           OR b.partner_id NOT IN %s)
                    ORDER BY b.id
                    LIMIT %s""",
                job.id,
                cursor.binding_id,
                prefix,
                to_push.subselect(),
                limit,
            )
        )
        ids = [id_ for (id_,) in self.env.cr.fetchall()]
        cursor.binding_id = ids[-1] if len(ids) == limit else None
        return [
            {
                "binding_id": binding.id,
                "external_id": binding.external_id or False,
                "href": binding.href or False,
                "etag": binding.etag or False,
                "uid": binding.uid,
            }
            for binding in self.browse(ids)
        ]

    # ------------------------------------------------------------
    # What the target now holds
    # ------------------------------------------------------------

    @api.model
    def _record_push_results(self, run, results):
        """Record what the target now holds: bindings upserted or deleted,
        customers the target refused (an entry with an ``error``) as sync
        issues. The counts go on the run once, also when the same results
        come again (an answer lost, the call repeated)."""
        if not isinstance(results, list) or not all(
            isinstance(result, dict) for result in results
        ):
            raise UserError(_("results: expected a list of records."))
        job = run.job_id
        refused, deleted, pushed = [], [], []
        for result in results:
            if result.get("error"):
                refused.append(result)
            elif result.get("deleted"):
                deleted.append(result)
            else:
                pushed.append(result)
        failed = self._record_refusals(run, refused)
        gone = (
            self.browse(
                [
                    r["binding_id"]
                    for r in deleted
                    if isinstance(r.get("binding_id"), int)
                ]
            )
            .exists()
            .filtered(lambda binding: binding.job_id == job)
        )
        gone.unlink()
        pushed_ids = self._record_pushes(run, pushed)
        # pushed at last: an earlier refusal of these customers is over
        self.env["crm.sync.issue"].search(
            [
                ("job_id", "=", job.id),
                ("record_key", "in", [f"partner {id_}" for id_ in pushed_ids]),
                ("state", "!=", "resolved"),
            ]
        ).write({"state": "resolved"})
        counts = {"pushed": len(pushed_ids), "deleted": len(gone), "failed": failed}
        run._add_counts(counts)
        return counts

    @api.model
    def _record_refusals(self, run, refused):
        """Sync issues of the refused customers; the number of customers not
        yet counted as refused by this run."""
        job = run.job_id
        Issue = self.env["crm.sync.issue"]
        Partner = self.env["res.partner"]
        partner_ids = {
            r["partner_id"]
            for r in refused
            if isinstance(r.get("partner_id"), int)
            and not isinstance(r["partner_id"], bool)
        }
        partners = {p.id: p for p in Partner.browse(partner_ids).exists()}
        keys = [f"partner {id_}" for id_ in partner_ids]
        counted = set(
            Issue.search(
                [
                    ("job_id", "=", job.id),
                    ("run_id", "=", run.id),
                    ("record_key", "in", keys),
                    ("state", "=", "new"),
                ]
            ).mapped("record_key")
        )
        rejections, failed = [], 0
        for result in refused:
            partner_id = result.get("partner_id")
            known = isinstance(partner_id, int) and not isinstance(partner_id, bool)
            key = f"partner {partner_id}" if known else False
            partner = partners.get(partner_id)
            customer = (
                partner.display_name
                if partner
                else (_("customer %s", partner_id) if key else _("customer"))
            )
            rejections.append(
                (
                    key,
                    _(
                        "%(customer)s: %(error)s",
                        customer=customer,
                        error=result["error"],
                    ),
                    result,
                    None,
                )
            )
            if not key or key not in counted:
                failed += 1
                if key:
                    counted.add(key)
        Issue._record_many(job, run, rejections)
        return failed

    @api.model
    def _record_pushes(self, run, pushed):
        """Bindings of the customers the target took, in one query for those
        known already; the ids of the customers not yet counted as pushed by
        this run. A binding remembers the customer's last change it holds
        only when the customer is still as it was sent."""
        job = run.job_id
        prefix = self._uid_prefix()
        db_uuid = prefix.removeprefix("crm-").removesuffix("-partner-")
        by_id = {
            partner.id: partner
            for partner in self.env["res.partner"]
            .browse(
                {
                    r["partner_id"]
                    for r in pushed
                    if isinstance(r.get("partner_id"), int)
                    and not isinstance(r["partner_id"], bool)
                }
            )
            .exists()
        }
        if not by_id:
            return []
        fields_ = self.env["res.partner"]._sync_push_fields(
            run.push_fields.split(",") if run.push_fields else None
        )
        self.env["res.partner"].flush_model(["write_date"])
        self.env.cr.execute(
            "SELECT id, write_date FROM res_partner WHERE id IN %s", [tuple(by_id)]
        )
        write_dates = dict(self.env.cr.fetchall())
        hashes = {
            id_: payload["content_hash"]
            for id_, payload in self.env["res.partner"]
            .browse(list(by_id))
            ._sync_push_payloads(db_uuid, fields_)
            .items()
        }
        now = fields.Datetime.now()
        values_by_uid = {}
        for result in pushed:
            partner = by_id.get(result.get("partner_id"))
            if not partner:
                continue
            content_hash = result.get("content_hash") or False
            unchanged = content_hash == hashes[partner.id]
            values_by_uid[f"{prefix}{partner.id}"] = {
                "job_id": job.id,
                "partner_id": partner.id,
                "partner_name": partner.name,
                "uid": f"{prefix}{partner.id}",
                "external_id": result.get("external_id") or False,
                "href": result.get("href") or False,
                "etag": result.get("etag") or False,
                "content_hash": content_hash,
                "pushed_at": now,
                "pushed_write_date": write_dates[partner.id] if unchanged else None,
                "run_id": run.id,
            }
        existing = self.search(
            [("job_id", "=", job.id), ("uid", "in", list(values_by_uid))]
        )
        # recorded by this run already, as it is now: a repeated call
        counted = {
            binding.uid
            for binding in existing
            if binding.run_id == run
            and binding.content_hash == values_by_uid[binding.uid]["content_hash"]
        }
        not_counted = [
            values["partner_id"]
            for uid, values in values_by_uid.items()
            if uid not in counted
        ]
        self._update_many(
            [(binding.id, values_by_uid.pop(binding.uid)) for binding in existing]
        )
        self.create(list(values_by_uid.values()))
        return not_counted

    def _update_many(self, rows):
        """Write ``[(binding id, values)]`` in one UPDATE ... FROM (VALUES)."""
        if not rows:
            return
        self.flush_model()
        columns = (
            "partner_name",
            "external_id",
            "href",
            "etag",
            "content_hash",
            "pushed_at",
            "pushed_write_date",
            "run_id",
        )
        self.env.cr.execute(
            SQL(
                """UPDATE crm_sync_binding b
                      SET partner_name = v.partner_name,
                          external_id = v.external_id,
                          href = v.href,
                          etag = v.etag,
                          content_hash = v.content_hash,
                          pushed_at = v.pushed_at::timestamp,
                          pushed_write_date = v.pushed_write_date::timestamp,
                          run_id = v.run_id::integer,
                          write_uid = %s,
                          write_date = %s
                     FROM (VALUES %s) AS v(id, %s)
                    WHERE b.id = v.id""",
                self.env.uid,
                self.env.cr.now(),
                SQL(", ").join(
                    SQL(
                        "(%s)",
                        SQL(", ").join(
                            [
                                id_,
                                *(values[column] or None for column in columns),
                            ]
                        ),
                    )
                    for id_, values in rows
                ),
                SQL(", ").join(SQL.identifier(column) for column in columns),
            )
        )
        self.browse([id_ for id_, _values in rows]).invalidate_recordset()


class _Cursor:
    """Where a push stands: the last customer id and the last binding id
    examined (None when done), and whether it sends every customer. The
    service passes it back as it got it: ``"<customer>:<binding>:<0|1>"``."""

    def __init__(self, partner_id, binding_id, everyone, first):
        self.partner_id = partner_id
        self.binding_id = binding_id
        self.everyone = everyone
        self.first = first

    @classmethod
    def parse(cls, text):
        """The cursor of ``text``; ValueError when it is not one."""
        if not text:
            return cls(0, 0, False, True)
        partner, binding, everyone = str(text).split(":")
        return cls(
            None if partner == "end" else int(partner),
            None if binding == "end" else int(binding),
            everyone == "1",
            False,
        )

    def dump(self):
        def part(value):
            return "end" if value is None else str(value)

        return f"{part(self.partner_id)}:{part(self.binding_id)}:{int(self.everyone)}"
