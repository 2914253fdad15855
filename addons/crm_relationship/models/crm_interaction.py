import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

CHANNELS = [
    ("call", "Phone Call"),
    ("email", "Email"),
    ("sms", "SMS"),
    ("letter", "Letter / Fax"),
    ("web", "Web Form"),
    ("meeting", "Meeting"),
    ("chat", "Chat"),
    ("other", "Other"),
]
DIRECTIONS = [
    ("inbound", "Inbound"),
    ("outbound", "Outbound"),
]
OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No Answer"),
    ("voicemail", "Left Voicemail"),
    ("interested", "Interested"),
    ("not_interested", "Not Interested"),
    ("follow_up", "Follow-up Needed"),
    ("resolved", "Resolved"),
    ("information", "Information Only"),
]
TIMED_CHANNELS = ("call", "meeting")
MAX_DURATION_HOURS = 24.0
LOGGED_MESSAGE_TYPES = ("email", "comment", "email_outgoing")

_logger = logging.getLogger(__name__)


class CrmInteraction(models.Model):
    _name = "crm.interaction"
    _description = "Customer Interaction"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_names_search = ["name", "partner_id.name"]

    name = fields.Char("Subject", tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
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
        string="Contact Person",
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
    )
    channel = fields.Selection(CHANNELS, required=True, default="call", tracking=True)
    direction = fields.Selection(
        DIRECTIONS, required=True, default="outbound", tracking=True
    )
    date = fields.Datetime(
        required=True, default=fields.Datetime.now, index=True, tracking=True
    )
    duration = fields.Float(
        help="Duration of the call or meeting, in hours.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Handled By",
        default=lambda self: self.env.user,
        index=True,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    summary = fields.Html(sanitize_style=True)
    outcome = fields.Selection(OUTCOMES, tracking=True)
    lead_id = fields.Many2one(
        "crm.lead",
        string="Lead/Opportunity",
        index="btree_not_null",
        check_company=True,
        domain="['|', ('partner_id', '=', False), "
        "('partner_id', 'child_of', commercial_partner_id)]",
    )
    ticket_id = fields.Many2one(
        "crm.service.ticket",
        string="Ticket",
        index="btree_not_null",
        check_company=True,
        domain="[('commercial_partner_id', '=', commercial_partner_id)]",
        help="An outbound interaction logged on a ticket is a response to the "
        "customer for its SLA.",
    )
    res_model = fields.Char("Related Document Model", index=True)
    res_id = fields.Many2oneReference(
        "Related Document ID", model_field="res_model", index="btree_not_null"
    )
    related_record = fields.Reference(
        selection="_selection_related_record",
        compute="_compute_related_record",
        inverse="_inverse_related_record",
    )
    mail_message_id = fields.Many2one(
        "mail.message",
        string="Email Message",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_interaction_ir_attachment_rel",
        "interaction_id",
        "attachment_id",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    color = fields.Integer()
    followup_activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Follow-up Activity",
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'res.partner')]",
        copy=False,
    )
    followup_date = fields.Date("Follow-up On", copy=False)
    channel_warning = fields.Char(
        compute="_compute_channel_warning",
        help="Set when the customer asked not to be contacted by this channel.",
    )
    followup_summary = fields.Char("Follow-up Summary", copy=False)
    followup_user_id = fields.Many2one(
        "res.users",
        string="Follow-up By",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        copy=False,
    )

    _sql_constraints = [
        (
            "mail_message_unique",
            "UNIQUE(mail_message_id)",
            "An email message can be logged as one interaction only.",
        ),
    ]

    @api.depends("name", "channel", "partner_id")
    def _compute_display_name(self):
        channel_labels = dict(self._fields["channel"]._description_selection(self.env))
        for interaction in self:
            interaction.display_name = interaction.name or _(
                "%(channel)s with %(partner)s",
                channel=channel_labels.get(interaction.channel, ""),
                partner=interaction.partner_id.display_name or "",
            )

    @api.model
    def _selection_related_record(self):
        return [
            (model.model, model.name)
            for model in self.env["ir.model"]
            .sudo()
            .search([("is_mail_thread", "=", True), ("transient", "=", False)])
        ]

    @api.depends("res_model", "res_id")
    def _compute_related_record(self):
        for interaction in self:
            if interaction.res_model and interaction.res_id:
                interaction.related_record = (
                    f"{interaction.res_model},{interaction.res_id}"
                )
            else:
                interaction.related_record = False

    def _inverse_related_record(self):
        for interaction in self:
            record = interaction.related_record
            interaction.res_model = record._name if record else False
            interaction.res_id = record.id if record else False

    @api.constrains("duration")
    def _check_duration(self):
        for interaction in self:
            if interaction.duration < 0:
                raise ValidationError(
                    _(
                        "Interaction “%(name)s”: the Duration cannot be negative.",
                        name=interaction.display_name,
                    )
                )
            if interaction.duration > MAX_DURATION_HOURS:
                raise ValidationError(
                    _(
                        "Interaction “%(name)s”: a Duration of %(hours)s hours is not "
                        "plausible (at most %(max)s).",
                        name=interaction.display_name,
                        hours=interaction.duration,
                        max=MAX_DURATION_HOURS,
                    )
                )

    @api.constrains("contact_id", "partner_id")
    def _check_contact_belongs_to_customer(self):
        for interaction in self:
            contact = interaction.contact_id
            if (
                contact
                and contact.commercial_partner_id
                != interaction.partner_id.commercial_partner_id
            ):
                raise ValidationError(
                    _(
                        "Interaction “%(name)s”: the Contact Person %(contact)s does "
                        "not belong to the customer %(customer)s.",
                        name=interaction.display_name,
                        contact=contact.display_name,
                        customer=interaction.partner_id.display_name,
                    )
                )

    @api.depends("partner_id", "channel", "direction")
    def _compute_channel_warning(self):
        outbound = self.filtered(
            lambda i: i.partner_id and i.channel and i.direction == "outbound"
        )
        (self - outbound).channel_warning = False
        rules = self.env["crm.customer.preference"]._get_channel_rules(
            outbound.partner_id
        )
        labels = dict(self._fields["channel"]._description_selection(self.env))
        for interaction in outbound:
            commercial = interaction.partner_id.commercial_partner_id
            _preferred, forbidden = rules.get(commercial.id, (False, set()))
            interaction.channel_warning = (
                _(
                    "%(customer)s asked not to be contacted by %(channel)s.",
                    customer=commercial.display_name,
                    channel=labels[interaction.channel],
                )
                if interaction.channel in forbidden
                else False
            )

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.contact_id and (
            self.contact_id.commercial_partner_id
            != self.partner_id.commercial_partner_id
        ):
            self.contact_id = False

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_selection_values(vals)
            if not vals.get("partner_id") and not self.env.context.get(
                "default_partner_id"
            ):
                raise ValidationError(
                    _(
                        "Interaction “%(subject)s”: the field %(field)s is "
                        "required.",
                        field=self._fields["partner_id"]._description_string(self.env),
                        subject=vals.get("name") or _("(no subject)"),
                    )
                )
            self._default_contact_from_partner(vals)
        interactions = super().create(vals_list)
        interactions._link_attachments()
        interactions._schedule_followup_activities()
        interactions._record_ticket_responses()
        return interactions

    def write(self, vals):
        self._check_selection_values(vals)
        if "partner_id" in vals and not vals["partner_id"]:
            raise ValidationError(
                _(
                    "The Customer of an interaction cannot be removed: %(names)s",
                    names=", ".join(self.mapped("display_name")),
                )
            )
        result = super().write(vals)
        if "attachment_ids" in vals:
            self._link_attachments()
        if vals.keys() & {"followup_activity_type_id", "followup_date"}:
            self._schedule_followup_activities()
        if vals.keys() & {"ticket_id", "direction", "date"}:
            self._record_ticket_responses()
        return result

    def _default_contact_from_partner(self, vals):
        """Logged against a person of a company: that person is the contact."""
        if vals.get("contact_id") or not vals.get("partner_id"):
            return
        partner = self.env["res.partner"].browse(vals["partner_id"])
        if partner.commercial_partner_id != partner:
            vals["contact_id"] = partner.id

    def _message_auto_subscribe_followers(self, updated_values, default_subtype_ids):
        """An interaction records something that already happened: the user who
        handled it gets neither an "assigned to you" email nor a subscription
        (an email logged on an opportunity would otherwise mail its salesperson)."""
        return []

    def _check_selection_values(self, vals):
        """Refuse unknown selection keys with a message naming the field.

        The ORM would raise a bare ValueError deep in the cache; users of the
        RPC API and of imports need the field's name and the allowed values.
        """
        for field_name in ("channel", "direction", "outcome"):
            value = vals.get(field_name)
            if not value:
                continue
            field = self._fields[field_name]
            allowed = [key for key, _label in field._description_selection(self.env)]
            if value not in allowed:
                raise ValidationError(
                    _(
                        "Interaction “%(subject)s”: %(value)r is not a valid "
                        "%(field)s; use one of %(allowed)s.",
                        subject=vals.get("name")
                        or ", ".join(self.mapped("display_name")),
                        value=value,
                        field=field._description_string(self.env),
                        allowed=", ".join(allowed),
                    )
                )

    def _link_attachments(self):
        """Attach files uploaded in the form to the interaction itself, so that
        their access follows the interaction's (as the mail composer does)."""
        for interaction in self:
            orphans = interaction.attachment_ids.filtered(
                lambda a: a.res_model in (False, "mail.compose.message") or not a.res_id
            )
            if orphans:
                orphans.sudo().write(
                    {"res_model": self._name, "res_id": interaction.id}
                )

    def _schedule_followup_activities(self):
        for interaction in self.filtered("followup_activity_type_id"):
            target = interaction.lead_id or interaction.partner_id
            target.activity_schedule(
                activity_type_id=interaction.followup_activity_type_id.id,
                date_deadline=interaction.followup_date
                or fields.Date.context_today(interaction),
                summary=interaction.followup_summary or interaction.display_name,
                note=interaction.summary,
                user_id=(interaction.followup_user_id or self.env.user).id,
            )
        # The request is fulfilled: clear it so that a later edit does not
        # schedule the same activity again.
        requested = self.filtered("followup_activity_type_id")
        if requested:
            requested.write(
                {
                    "followup_activity_type_id": False,
                    "followup_date": False,
                    "followup_summary": False,
                }
            )

    @api.model
    def _action_quick_log(self, defaults):
        """The one-click "Log Interaction" dialog, prefilled for a call made now
        by the current user."""
        quick_form = self.env.ref("crm_relationship.crm_interaction_view_form_quick")
        return {
            "type": "ir.actions.act_window",
            "name": _("Log Interaction"),
            "res_model": self._name,
            "view_mode": "form",
            "views": [(quick_form.id, "form")],
            "target": "new",
            "context": {
                "default_channel": self._quick_log_channel(
                    defaults.get("default_partner_id")
                ),
                "default_direction": "outbound",
                **defaults,
            },
        }

    @api.model
    def _quick_log_channel(self, partner_id):
        """The customer's preferred channel, else a call; never a channel it
        asked not to be contacted by."""
        partner = self.env["res.partner"].browse(partner_id or [])
        rules = self.env["crm.customer.preference"]._get_channel_rules(partner)
        preferred, forbidden = rules.get(
            partner.commercial_partner_id.id, (False, set())
        )
        if preferred:
            return preferred
        allowed = [code for code, _label in CHANNELS if code not in forbidden]
        return "call" if "call" in allowed else (allowed or ["call"])[0]

    def action_open_ticket(self):
        """Open a service ticket from this interaction ("open a ticket from
        this call"), or the ticket it already has."""
        self.ensure_one()
        if not self.ticket_id:
            ticket = self.env["crm.service.ticket"].create(
                {
                    "name": self.name or self.display_name,
                    "description": self.summary,
                    "partner_id": self.partner_id.id,
                    "contact_id": self.contact_id.id,
                    "user_id": self.env.user.id,
                    "company_id": self.company_id.id,
                    "opened_at": min(self.date, fields.Datetime.now()),
                }
            )
            self.with_context(crm_ticket_origin=True).write(
                {
                    "ticket_id": ticket.id,
                    "res_model": ticket._name,
                    "res_id": ticket.id,
                }
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.service.ticket",
            "res_id": self.ticket_id.id,
            "views": [(False, "form")],
            "target": "current",
        }

    def _record_ticket_responses(self):
        if self.env.context.get("crm_ticket_origin"):
            return
        for interaction in self.filtered(
            lambda i: i.ticket_id and i.direction == "outbound"
        ):
            interaction.ticket_id.sudo()._record_response(interaction.date)

    def action_open_related_record(self):
        self.ensure_one()
        record = self.related_record or self.lead_id
        if not record:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [(False, "form")],
        }

    @api.model
    def _log_email_message(self, record, message, customer):
        """Create the interaction of an email posted on ``record``'s chatter.

        Called for every message posted on a customer or an opportunity;
        internal notes and system notifications are not customer contact.
        The same message is never logged twice.
        """
        if (
            message.message_type not in LOGGED_MESSAGE_TYPES
            or not message.subtype_id
            or message.subtype_id.internal
            or not customer
            or self.env.context.get("crm_interaction_skip_email_log")
        ):
            return self.browse()
        interactions = self.sudo()
        if interactions.search_count([("mail_message_id", "=", message.id)], limit=1):
            return self.browse()
        vals = self._prepare_email_interaction_vals(record, message, customer)
        try:
            with self.env.cr.savepoint():
                return interactions.create(vals)
        except (UserError, ValidationError) as error:
            # Never lose the email because its interaction is invalid.
            _logger.warning(
                "Email %s on %s was not logged as an interaction: %s",
                message.id,
                record.display_name,
                error,
            )
            return self.browse()

    @api.model
    def _prepare_email_interaction_vals(self, record, message, customer):
        author = message.author_id
        outbound = bool(author.user_ids) and not any(author.user_ids.mapped("share"))
        is_email = message.message_type != "comment" or outbound
        record_company = record.company_id if "company_id" in record else False
        company = customer.company_id or record_company or self.env.company
        recipients = message.partner_ids.filtered(
            lambda p: p.commercial_partner_id == customer.commercial_partner_id
        )
        contact = recipients[:1] if outbound else author
        if contact.commercial_partner_id != customer.commercial_partner_id:
            contact = self.env["res.partner"]
        handled_by = author.user_ids[:1] if outbound else record["user_id"]
        return {
            "name": message.subject or record.display_name,
            "partner_id": customer.id,
            "contact_id": contact.id,
            "channel": "email" if is_email else "web",
            "direction": "outbound" if outbound else "inbound",
            "date": message.date,
            "user_id": handled_by.id,
            "summary": message.body,
            "lead_id": record.id if record._name == "crm.lead" else False,
            "ticket_id": record.id if record._name == "crm.service.ticket" else False,
            "mail_message_id": message.id,
            "attachment_ids": [fields.Command.set(message.attachment_ids.ids)],
            "company_id": company.id,
        }
