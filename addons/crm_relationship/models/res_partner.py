import hashlib
import json
from collections import defaultdict
from datetime import datetime, time

import pytz
from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import html2plaintext


class ResPartner(models.Model):
    _inherit = "res.partner"

    interaction_ids = fields.One2many(
        "crm.interaction", "commercial_partner_id", string="Interactions"
    )
    interaction_count = fields.Integer(compute="_compute_interaction_count")
    last_contact_date = fields.Datetime(
        compute="_compute_last_contact_date",
        store=True,
        help="Date of the latest interaction with this customer or any of its "
        "contacts.",
    )
    days_since_last_contact = fields.Integer(
        compute="_compute_days_since_last_contact",
        search="_search_days_since_last_contact",
        help="Days since the latest interaction, counted in the user's time "
        "zone; 0 when never contacted.",
    )
    last_contact_label = fields.Char(
        "Last Contact",
        compute="_compute_days_since_last_contact",
        help="When the customer was last contacted: Today, Yesterday, 3 days "
        "ago; empty when never contacted.",
    )
    history_count = fields.Integer(compute="_compute_history_count")
    history_ids = fields.One2many(
        "crm.customer.timeline",
        compute="_compute_history_ids",
        string="History",
        groups="crm_relationship.group_user",
    )
    external_invoice_ids = fields.One2many(
        "crm.external.invoice", "partner_id", string="External Invoices"
    )
    external_invoice_count = fields.Integer(compute="_compute_external_invoice_figures")
    external_amount_due = fields.Monetary(
        compute="_compute_external_invoice_figures",
        currency_field="external_currency_id",
        help="What the customer owes the current company by the documents of "
        "the finance software, less its credit notes: in the company currency, "
        "each document at the rate of its date.",
    )
    external_amount_invoiced = fields.Monetary(
        "Externally Invoiced",
        compute="_compute_external_invoice_figures",
        currency_field="external_currency_id",
        help="Invoices less credit notes of the finance software to the "
        "current company, not cancelled: in the company currency, each "
        "document at the rate of its date.",
    )
    external_currency_id = fields.Many2one(
        "res.currency", compute="_compute_external_invoice_figures"
    )
    service_ticket_count = fields.Integer(
        "Tickets", compute="_compute_service_ticket_count"
    )
    customer_document_count = fields.Integer(
        "Documents", compute="_compute_customer_document_figures"
    )
    customer_document_next_expiry = fields.Date(
        "Nearest Document Expiry", compute="_compute_customer_document_figures"
    )

    def _compute_interaction_count(self):
        counts = dict(
            self.env["crm.interaction"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.interaction_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends("commercial_partner_id.interaction_ids.date")
    def _compute_last_contact_date(self):
        latest = dict(
            self.env["crm.interaction"]
            .sudo()
            ._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["date:max"],
            )
        )
        for partner in self:
            partner.last_contact_date = latest.get(partner.commercial_partner_id, False)

    def _contact_time_zone(self):
        """The zone the user counts days in: the one the web client sends,
        else the user's (as ``fields.Date.context_today``)."""
        return pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")

    def _local_midnight_utc(self, day):
        """Midnight starting ``day`` in the user's zone, as a naive UTC datetime."""
        midnight = self._contact_time_zone().localize(datetime.combine(day, time.min))
        return midnight.astimezone(pytz.utc).replace(tzinfo=None)

    @api.depends("last_contact_date")
    @api.depends_context("tz")
    def _compute_days_since_last_contact(self):
        """Whole days between the last contact and today, both taken in the
        user's zone, as the search on the field counts them."""
        zone = self._contact_time_zone()
        today = datetime.now(pytz.utc).astimezone(zone).date()
        for partner in self:
            if not partner.last_contact_date:
                partner.days_since_last_contact = 0
                partner.last_contact_label = False
                continue
            contacted_on = (
                pytz.utc.localize(partner.last_contact_date).astimezone(zone).date()
            )
            days = max((today - contacted_on).days, 0)
            partner.days_since_last_contact = days
            if days == 0:
                partner.last_contact_label = _("Today")
            elif days == 1:
                partner.last_contact_label = _("Yesterday")
            else:
                partner.last_contact_label = _("%s days ago", days)

    def _search_days_since_last_contact(self, operator, value):
        """``days_since_last_contact > 30`` means "not contacted for 30 days";
        customers never contacted count as not contacted for ever. Days start
        at midnight in the user's zone, as the shown value counts them."""
        if operator not in (">", ">=", "<", "<=", "="):
            raise UserError(
                _("Operator %s is not supported on Days Since Last Contact.", operator)
            )
        today = datetime.now(pytz.utc).astimezone(self._contact_time_zone()).date()
        day = today - relativedelta(days=int(value or 0))
        start_of_day = self._local_midnight_utc(day)
        end_of_day = self._local_midnight_utc(day + relativedelta(days=1))
        never = [("last_contact_date", "=", False)]
        if operator == ">=":
            return expression.OR([never, [("last_contact_date", "<", end_of_day)]])
        if operator == ">":
            return expression.OR([never, [("last_contact_date", "<", start_of_day)]])
        if operator == "<=":
            return [("last_contact_date", ">=", start_of_day)]
        if operator == "<":
            return [("last_contact_date", ">=", end_of_day)]
        return [
            ("last_contact_date", ">=", start_of_day),
            ("last_contact_date", "<", end_of_day),
        ]

    def _compute_history_ids(self):
        """The history rows of the customer (of its company for a contact
        person), newest first, as the current user may read them."""
        rows = self.env["crm.customer.timeline"].search_fetch(
            [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"]
        )
        row_ids = defaultdict(list)
        for row in rows:
            row_ids[row.partner_id.id].append(row.id)
        for partner in self:
            partner.history_ids = [
                Command.set(row_ids[partner.commercial_partner_id.id])
            ]

    def _compute_history_count(self):
        counts = dict(
            self.env["crm.customer.timeline"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.history_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("company", "uid")
    def _compute_external_invoice_figures(self):
        """Count, amount due and amount invoiced of the customer's external
        invoices of the current company, summed in its currency from their
        company-currency amounts (converted at each document's date); nothing
        for users who may not read invoices."""
        company = self.env.company
        Invoice = self.env["crm.external.invoice"]
        groups = []
        if Invoice.has_access("read"):
            groups = Invoice._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", company.id),
                    ("status", "!=", "cancelled"),
                ],
                ["partner_id", "kind"],
                [
                    "__count",
                    "amount_due_company_signed:sum",
                    "amount_company_signed:sum",
                ],
            )
        counts, due, invoiced = {}, {}, {}
        for partner, kind, count, amount_due, amount in groups:
            counts[partner] = counts.get(partner, 0) + count
            due[partner] = due.get(partner, 0.0) + amount_due
            if kind != "receipt":
                invoiced[partner] = invoiced.get(partner, 0.0) + amount
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.external_invoice_count = counts.get(commercial, 0)
            partner.external_amount_due = due.get(commercial, 0.0)
            partner.external_amount_invoiced = invoiced.get(commercial, 0.0)
            partner.external_currency_id = company.currency_id

    def _compute_service_ticket_count(self):
        counts = dict(
            self.env["crm.service.ticket"]._read_group(
                [("commercial_partner_id", "in", self.commercial_partner_id.ids)],
                ["commercial_partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.service_ticket_count = counts.get(partner.commercial_partner_id, 0)

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        for partner in self:
            self.env["crm.interaction"]._log_email_message(partner, message, partner)
        return result

    def action_log_interaction(self):
        self.ensure_one()
        return self.env["crm.interaction"]._action_quick_log(
            {
                "default_partner_id": self.commercial_partner_id.id,
                "default_contact_id": self.id if self.parent_id else False,
            }
        )

    def action_view_interactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_interaction_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_group_by_channel": False,
        }
        return action

    def action_view_service_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_service_ticket_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_view_external_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_external_invoice_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------
    # Push of customers to external targets (sync service)
    # ------------------------------------------------------------

    PUSHED_FIELDS = (
        "name",
        "is_company",
        "email",
        "phone",
        "mobile",
        "street",
        "street2",
        "city",
        "zip",
        "vat",
        "website",
        "lang",
    )

    def _sync_push_payload(self, db_uuid):
        self.ensure_one()
        payload = {field: self[field] or False for field in self.PUSHED_FIELDS}
        payload.update(
            {
                "partner_id": self.id,
                "uid": f"crm-{db_uuid}-partner-{self.id}",
                "company_name": self.parent_id.name or False,
                "state": self.state_id.name or False,
                "country_code": self.country_id.code or False,
                "country": self.country_id.name or False,
                "comment": html2plaintext(self.comment, include_references=False)
                if self.comment
                else False,
            }
        )
        payload["content_hash"] = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        payload["write_date"] = fields.Datetime.to_string(self.write_date)
        return payload

    @api.model
    def _sync_push_domain(self):
        return [
            ("parent_id", "=", False),
            ("company_id", "in", [False, self.env.company.id]),
            "|",
            ("customer_rank", ">", 0),
            ("interaction_ids", "!=", False),
        ]

    @api.model
    def sync_push_changes(self, job, limit=500, full_refresh=False):
        """Customers to push to ``job``'s target: those changed since their
        last push (or never pushed) and the bindings to delete."""
        self.env["crm.sync.job"]._check_sync_access()
        sync_job = self.env["crm.sync.job"]._get(job, "push", create=True)
        Binding = self.env["crm.sync.binding"].sudo()
        bindings = Binding.search([("job_id", "=", sync_job.id)])
        # a full refresh sends again every customer this run has not sent yet
        running = self._sync_running_run(sync_job)
        partners = self.sudo().search(self._sync_push_domain(), order="id")
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        # a merge moves the bindings of the merged-away partner onto the one
        # kept: the uid tells them apart
        by_partner = {
            b.partner_id.id: b
            for b in bindings
            if b.partner_id and b.uid == f"crm-{db_uuid}-partner-{b.partner_id.id}"
        }
        upserts = []
        more = False
        for partner in partners:
            payload = partner._sync_push_payload(db_uuid)
            binding = by_partner.get(partner.id)
            if (
                binding
                and binding.content_hash == payload["content_hash"]
                and not (full_refresh and binding.run_id != running)
            ):
                continue
            if len(upserts) == limit:
                more = True
                break
            payload["binding"] = binding and {
                "binding_id": binding.id,
                "external_id": binding.external_id or False,
                "href": binding.href or False,
                "etag": binding.etag or False,
                "content_hash": binding.content_hash or False,
            }
            upserts.append(payload)
        kept = set(partners.ids)
        deletes = [
            {
                "binding_id": binding.id,
                "external_id": binding.external_id or False,
                "href": binding.href or False,
                "etag": binding.etag or False,
                "uid": binding.uid,
            }
            for binding in bindings
            if binding.partner_id.id not in kept
            or by_partner.get(binding.partner_id.id) != binding
        ]
        return {"upserts": upserts, "deletes": deletes, "more": more}

    @api.model
    def _sync_running_run(self, sync_job):
        return (
            self.env["crm.sync.run"]
            .sudo()
            .search([("job_id", "=", sync_job.id), ("status", "=", "running")], limit=1)
        )

    @api.model
    def sync_push_record(self, job, results, run_id=False):
        """Record what the target now holds: bindings upserted or deleted,
        customers the target refused (an entry with an ``error``) as sync
        issues; the counts go on the run."""
        self.env["crm.sync.job"]._check_sync_access()
        sync_job = self.env["crm.sync.job"]._get(job, "push", create=True)
        run = (
            self.env["crm.sync.run"].sudo().browse(run_id).exists()
            if run_id
            else self._sync_running_run(sync_job)
        )
        if run and run.job_id != sync_job:
            raise UserError(
                _("Sync run %(run)s is not a run of %(job)s.", run=run_id, job=job)
            )
        Binding = self.env["crm.sync.binding"].sudo()
        now = fields.Datetime.now()
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        if not all(isinstance(result, dict) for result in results):
            raise UserError(_("results: each entry must be a record."))
        refused, deleted, pushed = [], [], []
        for result in results:
            if result.get("error"):
                refused.append(result)
            elif result.get("deleted"):
                deleted.append(result)
            else:
                pushed.append(result)
        partners = (
            self.sudo()
            .browse(
                {r.get("partner_id") for r in refused + pushed if r.get("partner_id")}
            )
            .exists()
        )
        by_id = {partner.id: partner for partner in partners}
        self.env["crm.sync.issue"].sudo()._record_many(
            sync_job,
            run,
            [
                (
                    f"partner {partner.id}" if partner else False,
                    _(
                        "%(customer)s: %(error)s",
                        customer=partner.display_name or _("customer"),
                        error=result["error"],
                    ),
                    result,
                    None,
                )
                for result in refused
                for partner in [by_id.get(result.get("partner_id"), self.browse())]
            ],
        )
        Binding.browse([r.get("binding_id") for r in deleted]).exists().unlink()
        values_by_uid = {
            f"crm-{db_uuid}-partner-{partner.id}": {
                "job_id": sync_job.id,
                "partner_id": partner.id,
                "partner_name": partner.name,
                "uid": f"crm-{db_uuid}-partner-{partner.id}",
                "external_id": result.get("external_id") or False,
                "href": result.get("href") or False,
                "etag": result.get("etag") or False,
                "content_hash": result.get("content_hash") or False,
                "pushed_at": now,
                "run_id": run.id or False,
            }
            for result in pushed
            if (partner := by_id.get(result.get("partner_id")))
        }
        existing = Binding.search(
            [("job_id", "=", sync_job.id), ("uid", "in", list(values_by_uid))]
        )
        for binding in existing:
            binding.write(values_by_uid.pop(binding.uid))
        Binding.create(list(values_by_uid.values()))
        # pushed at last: an earlier refusal of these customers is over
        pushed_keys = [
            f"partner {r['partner_id']}" for r in pushed if r.get("partner_id") in by_id
        ]
        self.env["crm.sync.issue"].sudo().search(
            [
                ("job_id", "=", sync_job.id),
                ("record_key", "in", pushed_keys),
                ("state", "!=", "resolved"),
            ]
        ).write({"state": "resolved"})
        counts = {
            "pushed": len(pushed_keys),
            "deleted": len(deleted),
            "failed": len(refused),
        }
        if run:
            run._add_counts(counts)
        return True

    def action_view_financial_history(self):
        """The customer's history with only its invoices, credit notes and
        receipts: the accountant's one click from the History tab."""
        action = self.action_view_history()
        context = action.get("context")
        action["context"] = {
            **(context if isinstance(context, dict) else {}),
            "search_default_financial": 1,
        }
        return action

    def action_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_timeline_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        # the list then leaves out the Customer column: it is this customer
        action["context"] = {"history_partner_id": self.commercial_partner_id.id}
        action["display_name"] = _(
            "History of %s", self.commercial_partner_id.display_name
        )
        return action

    def _compute_customer_document_figures(self):
        """Documents of the customer and the nearest Valid Until of those in
        force (one grouped query)."""
        Document = self.env["crm.customer.document"]
        groups = Document._read_group(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("state", "not in", ("cancelled", "superseded")),
            ],
            ["commercial_partner_id"],
            ["__count"],
        )
        counts = dict(groups)
        expiries = dict(
            Document._read_group(
                [
                    ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                    ("state", "in", ("valid", "expiring")),
                    ("valid_until", "!=", False),
                ],
                ["commercial_partner_id"],
                ["valid_until:min"],
            )
        )
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.customer_document_count = counts.get(commercial, 0)
            partner.customer_document_next_expiry = expiries.get(commercial, False)

    def action_view_customer_documents(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_document_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_in_force": 1,
        }
        action["display_name"] = _(
            "Documents of %s", self.commercial_partner_id.display_name
        )
        return action

    # ------------------------------------------------------------
    # Installed base
    # ------------------------------------------------------------

    customer_asset_count = fields.Integer(
        "Assets", compute="_compute_customer_asset_counts"
    )
    customer_asset_covered_count = fields.Integer(
        "Covered Assets", compute="_compute_customer_asset_counts"
    )

    def _compute_customer_asset_counts(self):
        groups = self.env["crm.customer.asset"]._read_group(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("state", "=", "active"),
            ],
            ["commercial_partner_id", "coverage"],
            ["__count"],
        )
        counts = {}
        covered = {}
        for commercial, coverage, count in groups:
            counts[commercial] = counts.get(commercial, 0) + count
            if coverage != "none":
                covered[commercial] = covered.get(commercial, 0) + count
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.customer_asset_count = counts.get(commercial, 0)
            partner.customer_asset_covered_count = covered.get(commercial, 0)

    def action_view_customer_assets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_asset_action"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.commercial_partner_id.id)
        ]
        action["context"] = {
            "default_partner_id": self.id,
            "search_default_active_state": 1,
        }
        return action

    service_plan_count = fields.Integer(
        "Running Plans", compute="_compute_service_plan_figures"
    )
    next_renewal_date = fields.Date(
        "Next Plan End", compute="_compute_service_plan_figures"
    )

    def _compute_service_plan_figures(self):
        groups = self.env["crm.service.plan"]._read_group(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("state", "in", ("active", "expiring")),
            ],
            ["partner_id"],
            ["__count", "end_date:min"],
        )
        figures = {partner: (count, end) for partner, count, end in groups}
        for partner in self:
            count, end = figures.get(partner.commercial_partner_id, (0, False))
            partner.service_plan_count = count
            partner.next_renewal_date = end

    def action_view_service_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_service_plan_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_running": 1,
        }
        return action
