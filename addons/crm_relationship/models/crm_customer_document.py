import logging
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

STATES = [
    ("draft", "Draft"),
    ("valid", "Valid"),
    ("expiring", "Expiring"),
    ("expired", "Expired"),
    ("superseded", "Superseded"),
    ("cancelled", "Cancelled"),
]
# states that follow the dates (the cron and every write keep them right)
DATE_STATES = ("valid", "expiring", "expired")
CONFIDENTIALITY = [
    ("normal", "Normal"),
    ("confidential", "Confidential"),
]
DIGEST_DAYS = 30


class CrmCustomerDocument(models.Model):
    _name = "crm.customer.document"
    _description = "Customer Document"
    _inherit = [
        "portal.mixin",
        "mail.thread.main.attachment",
        "mail.activity.mixin",
    ]
    _order = "valid_until desc nulls last, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "reference", "partner_id.name"]
    _mail_post_access = "read"

    name = fields.Char(required=True, tracking=True)
    type_id = fields.Many2one(
        "crm.customer.document.type",
        string="Type",
        required=True,
        index=True,
        tracking=True,
        ondelete="restrict",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Commercial Entity",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    contact_id = fields.Many2one(
        "res.partner",
        string="Contact",
        check_company=True,
        domain="[('id', 'child_of', commercial_partner_id)]",
    )
    reference = fields.Char("Reference / Number", index="trigram", tracking=True)
    issued_on = fields.Date(default=fields.Date.context_today, index=True)
    valid_from = fields.Date(
        compute="_compute_valid_from", store=True, readonly=False, precompute=True
    )
    valid_until = fields.Date(
        compute="_compute_valid_until",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
    )
    state = fields.Selection(
        STATES,
        string="Status",
        required=True,
        index=True,
        tracking=True,
        copy=False,
        default="valid",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    amount = fields.Monetary(currency_field="currency_id")
    currency_id = fields.Many2one(
        "res.currency",
        default=lambda self: self.env.company.currency_id,
    )
    confidentiality = fields.Selection(
        CONFIDENTIALITY,
        required=True,
        tracking=True,
        compute="_compute_confidentiality",
        store=True,
        readonly=False,
        precompute=True,
    )
    allowed_user_ids = fields.Many2many(
        "res.users",
        "crm_customer_document_allowed_user_rel",
        "document_id",
        "user_id",
        string="Allowed Users",
        domain="[('share', '=', False)]",
        help="Besides relationship managers and the responsible, the users who "
        "may read this confidential document and its files.",
    )
    shared_with_customer = fields.Boolean(
        help="The customer's portal users see and download this document at "
        "/my/documents. Confidential documents are never shared.",
    )
    tag_ids = fields.Many2many("crm.tag", string="Tags")
    notes = fields.Html()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    color = fields.Integer()
    lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        index="btree_not_null",
        check_company=True,
        domain="['|', ('partner_id', '=', False), "
        "('partner_id', 'child_of', commercial_partner_id)]",
    )
    ticket_id = fields.Many2one(
        "crm.service.ticket",
        string="Service Ticket",
        index="btree_not_null",
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
    )
    interaction_id = fields.Many2one(
        "crm.interaction",
        string="Interaction",
        index="btree_not_null",
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
    )
    asset_id = fields.Many2one(
        "crm.customer.asset",
        string="Installed Asset",
        index="btree_not_null",
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
    )
    res_model = fields.Char("Related Document Model", index=True)
    res_id = fields.Many2oneReference(
        "Related Document ID", model_field="res_model", index="btree_not_null"
    )
    related_record = fields.Reference(
        selection="_selection_related_record",
        compute="_compute_related_record",
        inverse="_inverse_related_record",
        string="Belongs To",
    )
    upload_file = fields.Binary(
        "File",
        compute="_compute_upload_file",
        inverse="_inverse_upload_file",
        help="Uploading a file on a document that has one keeps the previous "
        "file as an earlier version.",
    )
    upload_file_name = fields.Char("File Name", copy=False)
    file_mimetype = fields.Char(related="message_main_attachment_id.mimetype")
    version_attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_customer_document_version_rel",
        "document_id",
        "attachment_id",
        string="Earlier Versions",
        copy=False,
        readonly=True,
    )
    version_count = fields.Integer(compute="_compute_version_count")
    predecessor_id = fields.Many2one(
        "crm.customer.document",
        string="Replaces",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    successor_id = fields.Many2one(
        "crm.customer.document",
        string="Replaced By",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    chain_ids = fields.Many2many(
        "crm.customer.document",
        compute="_compute_chain_ids",
        string="Document History",
    )
    renewal_lead_id = fields.Many2one(
        "crm.lead",
        string="Renewal Opportunity",
        index="btree_not_null",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    renewal_opened_for = fields.Date(
        copy=False,
        readonly=True,
        help="The Valid Until date the renewal opportunity was opened for.",
    )
    reminded_offset = fields.Integer(
        default=0,
        copy=False,
        readonly=True,
        help="The smallest reminder offset (days) already sent for the current "
        "Valid Until; empty when none was sent.",
    )
    file_content = fields.Char(
        compute="_compute_file_content",
        search="_search_file_content",
        help="Search words inside the files of the documents.",
    )
    opens_ticket = fields.Boolean(related="type_id.opens_ticket")

    # ------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------

    @api.depends("issued_on")
    def _compute_valid_from(self):
        for document in self:
            if not document.valid_from:
                document.valid_from = document.issued_on

    @api.depends("type_id", "valid_from")
    def _compute_valid_until(self):
        for document in self:
            months = document.type_id.validity_months
            if not document.valid_until and months and document.valid_from:
                document.valid_until = document.valid_from + relativedelta(
                    months=months, days=-1
                )

    @api.depends("type_id")
    def _compute_confidentiality(self):
        for document in self:
            if document.type_id.is_confidential:
                document.confidentiality = "confidential"
            elif not document.confidentiality:
                document.confidentiality = "normal"

    @api.model
    def _selection_related_record(self):
        return self.env["crm.interaction"]._selection_related_record()

    @api.depends("res_model", "res_id")
    def _compute_related_record(self):
        for document in self:
            if document.res_model in self.env and document.res_id:
                document.related_record = f"{document.res_model},{document.res_id}"
            else:
                document.related_record = False

    def _inverse_related_record(self):
        for document in self:
            record = document.related_record
            # one write, so that the link field of the record's model follows
            document.write(
                {
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else False,
                }
            )

    def _compute_upload_file(self):
        # write-only: the file is shown by the attachment preview
        self.upload_file = False

    def _inverse_upload_file(self):
        for document in self.filtered("upload_file"):
            name = (
                document.env.context.get("crm_document_file_name")
                or document.upload_file_name
                or document.name
            )
            attachment = self.env["ir.attachment"].create(
                {
                    "name": name,
                    "datas": document.upload_file,
                    "res_model": document._name,
                    "res_id": document.id,
                }
            )
            document._set_main_file(attachment)

    def _compute_version_count(self):
        for document in self:
            document.version_count = len(document.version_attachment_ids) + bool(
                document.message_main_attachment_id
            )

    def _compute_chain_ids(self):
        for document in self:
            chain = [document.id]
            seen = {document.id}
            previous = document.predecessor_id
            while previous and previous.id not in seen:
                chain.insert(0, previous.id)
                seen.add(previous.id)
                previous = previous.predecessor_id
            following = document.successor_id
            while following and following.id not in seen:
                chain.append(following.id)
                seen.add(following.id)
                following = following.successor_id
            document.chain_ids = chain if len(chain) > 1 else False

    def _compute_file_content(self):
        self.file_content = False

    def _search_file_content(self, operator, value):
        if operator not in ("ilike", "like", "=ilike", "=like", "="):
            raise UserError(
                _("Operator %s is not supported on File Content.", operator)
            )
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            ._search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "!=", False),
                    "|",
                    ("index_content", operator, value),
                    ("name", operator, value),
                ]
            )
        )
        return [("id", "in", attachments.subselect("res_id"))]

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for document in self:
            document.access_url = f"/my/documents/{document.id}"
        return result

    # ------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------

    @api.constrains("valid_from", "valid_until")
    def _check_valid_dates(self):
        for document in self:
            if (
                document.valid_from
                and document.valid_until
                and document.valid_until < document.valid_from
            ):
                raise ValidationError(
                    _(
                        "Document “%(name)s”: Valid Until (%(until)s) cannot be "
                        "before Valid From (%(from)s).",
                        name=document.display_name,
                        until=document.valid_until,
                        **{"from": document.valid_from},
                    )
                )

    @api.constrains("confidentiality", "user_id", "shared_with_customer")
    def _check_confidentiality(self):
        for document in self:
            if document.confidentiality != "confidential":
                continue
            if not document.user_id:
                raise ValidationError(
                    _(
                        "Document “%(name)s”: a confidential document needs a "
                        "Responsible.",
                        name=document.display_name,
                    )
                )
            if document.shared_with_customer:
                raise ValidationError(
                    _(
                        "Document “%(name)s”: a confidential document cannot be "
                        "Shared with Customer.",
                        name=document.display_name,
                    )
                )

    @api.constrains("contact_id", "partner_id")
    def _check_contact_belongs_to_customer(self):
        for document in self:
            contact = document.contact_id
            if contact and (
                contact.commercial_partner_id != document.commercial_partner_id
            ):
                raise ValidationError(
                    _(
                        "Document “%(name)s”: the Contact %(contact)s does not "
                        "belong to the Customer %(customer)s.",
                        name=document.display_name,
                        contact=contact.display_name,
                        customer=document.partner_id.display_name or "-",
                    )
                )

    def _check_file_required(self):
        for document in self:
            if (
                document.type_id.file_required
                and document.state not in ("draft", "cancelled")
                and not document.message_main_attachment_id
            ):
                raise ValidationError(
                    _(
                        "Document “%(name)s”: a %(type)s needs a File; upload it "
                        "(or keep the document as a draft).",
                        name=document.display_name,
                        type=document.type_id.name,
                    )
                )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id.parent_id:
            self.contact_id = self.partner_id
        elif self.contact_id and (
            self.contact_id.commercial_partner_id
            != self.partner_id.commercial_partner_id
        ):
            self.contact_id = False

    @api.onchange("type_id", "valid_from")
    def _onchange_type_validity(self):
        months = self.type_id.validity_months
        if months and self.valid_from:
            self.valid_until = self.valid_from + relativedelta(months=months, days=-1)

    @api.onchange("confidentiality")
    def _onchange_confidentiality(self):
        if self.confidentiality == "confidential":
            self.shared_with_customer = False

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_selection_values(vals)
            # sudo: a customer of another company is refused by the company
            # check (naming the field), not by a bare read error here
            partner = self.env["res.partner"].sudo().browse(vals.get("partner_id"))
            if partner.parent_id and not vals.get("contact_id"):
                vals["contact_id"] = partner.id
            if vals.get("res_model") and not vals.get("res_id"):
                vals["res_model"] = False
            self._links_from_related_record(vals)
        documents = super().create(vals_list)
        documents._refresh_date_states()
        documents._check_file_required()
        return documents

    def write(self, vals):
        self._check_selection_values(vals)
        self._links_from_related_record(vals)
        if "valid_until" in vals and "reminded_offset" not in vals:
            # a new expiry date re-arms its reminders and its renewal
            vals = dict(vals, reminded_offset=0, renewal_opened_for=False)
        result = super().write(vals)
        if vals.keys() & {"valid_until", "valid_from", "state", "type_id"}:
            self._refresh_date_states()
        if vals.keys() & {"state", "type_id", "upload_file"}:
            self._check_file_required()
        return result

    def _check_selection_values(self, vals):
        """Unknown selection keys: a message naming the field, not a bare
        ValueError from the cache (for RPC and imports)."""
        for field_name in ("state", "confidentiality"):
            value = vals.get(field_name)
            if not value:
                continue
            field = self._fields[field_name]
            allowed = [key for key, _label in field._description_selection(self.env)]
            if value not in allowed:
                raise ValidationError(
                    _(
                        "Document “%(name)s”: %(value)r is not a valid %(field)s; "
                        "use one of %(allowed)s.",
                        name=vals.get("name") or ", ".join(self.mapped("display_name")),
                        value=value,
                        field=field._description_string(self.env),
                        allowed=", ".join(allowed),
                    )
                )

    def _links_from_related_record(self, vals):
        """An opportunity, ticket, interaction or asset as the related record also
        fills its own link field, so that either way of linking reads the same."""
        link_fields = {
            "crm.lead": "lead_id",
            "crm.service.ticket": "ticket_id",
            "crm.interaction": "interaction_id",
            "crm.customer.asset": "asset_id",
        }
        field_name = link_fields.get(vals.get("res_model"))
        if field_name and vals.get("res_id") and not vals.get(field_name):
            vals[field_name] = vals["res_id"]

    # ------------------------------------------------------------
    # Files and versions
    # ------------------------------------------------------------

    def _set_main_file(self, attachment):
        """Make ``attachment`` the main file; the previous main file stays as
        an earlier version."""
        self.ensure_one()
        previous = self.message_main_attachment_id
        values = {"message_main_attachment_id": attachment.id}
        if previous and previous != attachment:
            values["version_attachment_ids"] = [Command.link(previous.id)]
        self.write(values)
        if previous and previous != attachment:
            self.message_post(
                body=_(
                    "New version %(new)s; %(old)s is kept as an earlier version.",
                    new=attachment.name,
                    old=previous.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _message_set_main_attachment_id(
        self, attachments, force=False, filter_xml=True
    ):
        # a file dropped in the chatter becomes the main file only of a
        # document that has none; new versions go through _set_main_file
        return super()._message_set_main_attachment_id(
            attachments, force=False, filter_xml=filter_xml
        )

    def create_document_from_attachment(self, attachment_ids):
        """Files dropped or uploaded on the documents list or kanban (the
        ``file_upload_list`` / ``file_upload_kanban`` views of ``account``)
        or on the customer form: one draft document each, of the customer in
        the context. Not ``@api.model``: the web client calls it with an
        empty id list first (``["", attachment_ids]``)."""
        attachments = self.env["ir.attachment"].browse(attachment_ids).exists()
        # only the uploader's own loose files (what the upload just created)
        attachments = attachments.filtered(
            lambda a: not a.res_id and a.create_uid == self.env.user
        )
        if not attachments:
            raise UserError(_("There is no uploaded file to make a document of."))
        context = self.env.context
        defaults = {"state": "draft"}
        if context.get("default_partner_id"):
            defaults["partner_id"] = context["default_partner_id"]
        type_id = (
            context.get("default_type_id")
            or self.env.ref("crm_relationship.crm_customer_document_type_other").id
        )
        defaults["type_id"] = type_id
        documents = self.with_context(default_state=False)._create_from_attachments(
            attachments, defaults, move=True
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_document_action"
        )
        if len(documents) == 1:
            action.update({"res_id": documents.id, "views": [(False, "form")]})
        else:
            action.update(
                {
                    "domain": [("id", "in", documents.ids)],
                    "views": [(False, "list"), (False, "form")],
                }
            )
        action["context"] = {
            key: value
            for key, value in context.items()
            if key.startswith("default_partner")
        }
        return action

    @api.model
    def _create_from_attachments(self, attachments, defaults, move=False):
        """One draft document per attachment, holding the same file: the
        attachment itself when ``move`` (a fresh upload), else a copy of the
        attachment record (the filestore keeps one blob by checksum, nothing
        is uploaded again)."""
        vals_list = [
            {
                "name": attachment.name,
                "state": "draft",
                **defaults,
            }
            for attachment in attachments
        ]
        documents = self.create(vals_list)
        copies = []
        for document, attachment in zip(documents, attachments, strict=True):
            values = {"res_model": document._name, "res_id": document.id}
            if move:
                attachment.write(values)
                copies.append(attachment)
            else:
                copies.append(attachment.sudo().copy(values))
        for document, copy in zip(documents, copies, strict=True):
            document.message_main_attachment_id = copy.id
        return documents

    # ------------------------------------------------------------
    # Dates and states
    # ------------------------------------------------------------

    def _date_state(self, today):
        self.ensure_one()
        if not self.valid_until:
            return "valid"
        if self.valid_until < today:
            return "expired"
        if self.valid_until <= today + timedelta(days=self.type_id._expiring_days()):
            return "expiring"
        return "valid"

    def _refresh_date_states(self, today=None):
        """Put the documents that follow their dates in the state of their
        dates, one write per state."""
        today = today or fields.Date.context_today(self)
        by_state = defaultdict(list)
        for document in self.filtered(lambda d: d.state in DATE_STATES):
            state = document._date_state(today)
            if state != document.state:
                by_state[state].append(document.id)
        for state, ids in by_state.items():
            super(CrmCustomerDocument, self.browse(ids)).write({"state": state})
        return sum(len(ids) for ids in by_state.values())

    @api.model
    def _cron_refresh_states(self, today):
        """Set-based: per type, three searches and at most three writes."""
        Document = self.sudo().with_context(active_test=False)
        changed = 0
        for doc_type in (
            self.env["crm.customer.document.type"]
            .with_context(active_test=False)
            .search([])
        ):
            expiring_until = today + timedelta(days=doc_type._expiring_days())
            base = [("type_id", "=", doc_type.id)]
            targets = {
                "expired": [
                    ("state", "in", ("valid", "expiring")),
                    ("valid_until", "<", today),
                ],
                "expiring": [
                    ("state", "in", ("valid", "expired")),
                    ("valid_until", ">=", today),
                    ("valid_until", "<=", expiring_until),
                ],
                "valid": [
                    ("state", "in", ("expiring", "expired")),
                    "|",
                    ("valid_until", "=", False),
                    ("valid_until", ">", expiring_until),
                ],
            }
            for state, domain in targets.items():
                documents = Document.search(base + domain)
                if documents:
                    super(CrmCustomerDocument, documents).write({"state": state})
                    changed += len(documents)
        return changed

    @api.model
    def _cron_daily(self):
        """States, reminders, renewal opportunities and the managers' digest.
        Each step is set-based and remembers what it did: running it twice a
        day creates nothing new."""
        today = fields.Date.context_today(self)
        self._cron_refresh_states(today)
        self._cron_send_reminders(today)
        self._cron_open_renewals(today)
        self._cron_send_digest(today)
        self.env["res.company"]._crm_document_ensure_aliases()

    @api.model
    def _cron_send_reminders(self, today):
        """For each reminder offset reached, one activity for the responsible
        (and the type's email to the customer): once per offset and Valid
        Until. A document that passed several offsets since the last run gets
        only the nearest one."""
        Document = self.sudo()
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        activity_vals = []
        reminded = defaultdict(list)  # offset: ids
        notify = defaultdict(list)  # template: ids
        for doc_type in self.env["crm.customer.document.type"].search(
            [("reminder_offsets", "!=", False)]
        ):
            handled = []
            for offset in sorted(doc_type._reminder_days()):
                documents = Document.search(
                    [
                        ("type_id", "=", doc_type.id),
                        ("state", "in", ("valid", "expiring")),
                        ("valid_until", ">=", today),
                        ("valid_until", "<=", today + timedelta(days=offset)),
                        "|",
                        ("reminded_offset", "=", 0),
                        ("reminded_offset", ">", offset),
                        ("id", "not in", handled),
                    ]
                )
                if not documents:
                    continue
                handled.extend(documents.ids)
                reminded[offset].extend(documents.ids)
                if doc_type.notify_customer and doc_type.mail_template_id:
                    notify[doc_type.mail_template_id].extend(
                        documents.filtered("partner_id").ids
                    )
                for document in documents:
                    activity_vals.append(
                        {
                            "res_model_id": model_id,
                            "res_id": document.id,
                            "activity_type_id": activity_type.id,
                            "summary": _(
                                "%(name)s expires on %(date)s",
                                name=document.name,
                                date=document.valid_until,
                            ),
                            "date_deadline": today,
                            "user_id": document.user_id.id or document.create_uid.id,
                        }
                    )
        for offset, ids in reminded.items():
            super(CrmCustomerDocument, Document.browse(ids)).write(
                {"reminded_offset": offset}
            )
        if activity_vals:
            self.env["mail.activity"].sudo().with_context(
                mail_activity_quick_update=True
            ).create(activity_vals)
        for template, ids in notify.items():
            if ids:
                template.sudo().send_mail_batch(ids)
        return len(activity_vals)

    @api.model
    def _cron_open_renewals(self, today):
        """One renewal opportunity per contract and expiry date, linked both
        ways, opened at the contract's first reminder."""
        Document = self.sudo()
        lead_vals, documents_to_renew = [], []
        for doc_type in self.env["crm.customer.document.type"].search(
            [("opens_renewal", "=", True)]
        ):
            window = today + timedelta(days=doc_type._expiring_days())
            documents = Document.search(
                [
                    ("type_id", "=", doc_type.id),
                    # not the contracts that ended long ago: those that
                    # reach their first reminder from now on
                    ("state", "in", ("valid", "expiring")),
                    ("successor_id", "=", False),
                    ("partner_id", "!=", False),
                    ("valid_until", ">=", today),
                    ("valid_until", "<=", window),
                    ("renewal_opened_for", "=", False),
                ]
            )
            for document in documents:
                documents_to_renew.append(document)
                lead_vals.append(document._prepare_renewal_lead_vals())
        if not lead_vals:
            return 0
        leads = self.env["crm.lead"].sudo().create(lead_vals)
        for document, lead in zip(documents_to_renew, leads, strict=True):
            super(CrmCustomerDocument, document).write(
                {"renewal_lead_id": lead.id, "renewal_opened_for": document.valid_until}
            )
            lead.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": lead, "origin": document},
                subtype_xmlid="mail.mt_note",
            )
        return len(leads)

    def _prepare_renewal_lead_vals(self):
        self.ensure_one()
        return {
            "name": _("Renewal: %(document)s", document=self.name),
            "type": "opportunity",
            "partner_id": (self.contact_id or self.partner_id).id,
            "user_id": self.user_id.id,
            "company_id": self.company_id.id,
            "date_deadline": self.valid_until,
            "expected_revenue": self.amount
            if self.currency_id == self.company_id.currency_id
            else 0.0,
            "renewal_document_id": self.id,
        }

    @api.model
    def _cron_send_digest(self, today):
        """One email per company to its relationship managers listing what
        expires in the next 30 days; once a day."""
        Param = self.env["ir.config_parameter"].sudo()
        managers_group = self.env.ref("crm_relationship.group_manager")
        groups = self.sudo()._read_group(
            [
                ("state", "in", DATE_STATES),
                ("valid_until", ">=", today),
                ("valid_until", "<=", today + timedelta(days=DIGEST_DAYS)),
            ],
            ["company_id"],
            ["id:array_agg"],
        )
        sent = 0
        for company, ids in groups:
            key = f"crm_relationship.document_digest_sent.{company.id}"
            if Param.get_param(key) == str(today):
                continue
            managers = managers_group.users.filtered(
                lambda u, c=company: c in u.company_ids
                and u.email
                and not u.share
                and u.id != self.env.ref("base.user_root").id
            )
            if not managers:
                continue
            documents = self.sudo().browse(ids).sorted("valid_until")
            body = self.env["ir.qweb"]._render(
                "crm_relationship.crm_customer_document_digest",
                {"documents": documents, "company": company, "days": DIGEST_DAYS},
            )
            self.env["mail.mail"].sudo().create(
                {
                    "subject": _(
                        "%(company)s: %(count)s documents expire within %(days)s days",
                        company=company.name,
                        count=len(documents),
                        days=DIGEST_DAYS,
                    ),
                    "body_html": body,
                    "email_from": company.email_formatted
                    or self.env.user.email_formatted,
                    "recipient_ids": [Command.set(managers.partner_id.ids)],
                    "auto_delete": True,
                }
            )
            Param.set_param(key, str(today))
            sent += 1
        return sent

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    def action_confirm(self):
        drafts = self.filtered(lambda d: d.state == "draft")
        drafts.write({"state": "valid"})
        return True

    def action_cancel(self):
        self.write({"state": "cancelled"})
        return True

    def action_reset_to_draft(self):
        self.write({"state": "draft"})
        return True

    def action_replace(self):
        """Create the successor of this document (same customer, type and
        links, valid from the day after this one ends), mark this one
        superseded and open the successor."""
        self.ensure_one()
        if self.successor_id:
            raise UserError(
                _(
                    "Document “%(name)s” is already replaced by “%(successor)s”.",
                    name=self.display_name,
                    successor=self.successor_id.display_name,
                )
            )
        start = (
            self.valid_until + timedelta(days=1)
            if self.valid_until
            else fields.Date.context_today(self)
        )
        successor = self.copy(
            {
                "name": self.name,
                "state": "draft",
                "issued_on": fields.Date.context_today(self),
                "valid_from": start,
                "valid_until": False,
                "predecessor_id": self.id,
                "message_main_attachment_id": False,
            }
        )
        months = self.type_id.validity_months
        if months:
            successor.valid_until = start + relativedelta(months=months, days=-1)
        self.write({"successor_id": successor.id, "state": "superseded"})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": successor.id,
            "views": [(False, "form")],
            "target": "current",
        }

    def action_open_ticket(self):
        """A complaint opens its service ticket in one click, or shows it."""
        self.ensure_one()
        if not self.ticket_id:
            ticket = self.env["crm.service.ticket"].create(
                {
                    "name": self.name,
                    "description": self.notes,
                    "partner_id": (self.contact_id or self.partner_id).id,
                    "contact_id": self.contact_id.id,
                    "user_id": self.user_id.id,
                    "company_id": self.company_id.id,
                }
            )
            self.write(
                {"ticket_id": ticket.id, "res_model": ticket._name, "res_id": ticket.id}
            )
            ticket.message_post_with_source(
                "mail.message_origin_link",
                render_values={"self": ticket, "origin": self},
                subtype_xmlid="mail.mt_note",
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.service.ticket",
            "res_id": self.ticket_id.id,
            "views": [(False, "form")],
            "target": "current",
        }

    def action_open_related_record(self):
        self.ensure_one()
        record = self.related_record or self.lead_id or self.ticket_id
        if not record:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [(False, "form")],
        }

    def action_open_renewal_lead(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.renewal_lead_id.id,
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------
    # Mail gateway: the documents alias
    # ------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Each attachment of the email becomes a draft document of the
        sender's customer; this one holds the first, the others are created
        beside it. Unknown senders: drafts without customer and an activity
        for the documents' manager."""
        values = dict(custom_values or {})
        company = self.env["res.company"].browse(
            values.get("company_id") or self.env.company.id
        )
        partner = self._sender_partner(msg_dict, company)
        doc_type = self.env["crm.customer.document.type"].browse(
            values.pop("type_id", False)
        ).exists() or self.env.ref(
            "crm_relationship.crm_customer_document_type_other",
            raise_if_not_found=False,
        )
        attachments = list(msg_dict.get("attachments") or [])
        subject = msg_dict.get("subject") or _("Document received by email")
        values.update(
            {
                "name": attachments[0].fname if attachments else subject,
                "state": "draft",
                "type_id": doc_type.id,
                "partner_id": partner.id,
                "company_id": company.id,
                "notes": msg_dict.get("body"),
                "user_id": partner.user_id.id or self._documents_manager(company).id,
            }
        )
        document = super().message_new(msg_dict, custom_values=values)
        if len(attachments) > 1:
            # the email itself (with the first file) is posted on the first
            # document by the gateway; the other files become documents here
            msg_dict["attachments"] = attachments[:1]
            others = self.create(
                [
                    dict(values, name=attachment.fname, notes=False)
                    for attachment in attachments[1:]
                ]
            )
            for other, attachment in zip(others, attachments[1:], strict=True):
                content = attachment.content
                if isinstance(content, str):
                    content = content.encode()
                file = self.env["ir.attachment"].create(
                    {
                        "name": attachment.fname,
                        "raw": content,
                        "res_model": self._name,
                        "res_id": other.id,
                    }
                )
                other.message_main_attachment_id = file.id
                other.message_post(
                    body=_(
                        "Received by email from %(sender)s: %(subject)s",
                        sender=msg_dict.get("email_from") or "",
                        subject=subject,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
            document |= others
        if not partner:
            document._schedule_assign_activity(company)
        return document[:1]

    def _sender_partner(self, msg_dict, company):
        partner = self.env["res.partner"].browse(msg_dict.get("author_id")).exists()
        if not partner:
            email = tools.email_normalize(msg_dict.get("email_from") or "")
            if email:
                partner = self.env["res.partner"].search(
                    [
                        ("email_normalized", "=", email),
                        ("company_id", "in", [False, company.id]),
                    ],
                    limit=1,
                )
        if partner.user_ids and not all(partner.user_ids.mapped("share")):
            # an employee forwarding a file: not a customer
            return self.env["res.partner"]
        return partner

    @api.model
    def _documents_manager(self, company):
        """Who assigns documents nobody claimed: the first relationship
        manager of the company."""
        root = self.env.ref("base.user_root")
        return (
            self.env.ref("crm_relationship.group_manager")
            .users.filtered(
                lambda u: company in u.company_ids and not u.share and u != root
            )
            .sorted("id")[:1]
        )

    def _schedule_assign_activity(self, company):
        manager = self._documents_manager(company)
        for document in self:
            document.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Assign this document to its customer"),
                note=_("The sender of the email is no known customer."),
                user_id=manager.id or self.env.user.id,
            )

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        for document in self.filtered("partner_id"):
            self.env["crm.interaction"]._log_email_message(
                document, message, document.partner_id
            )
        return result
