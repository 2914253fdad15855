from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

DEFAULT_EXPIRING_DAYS = 30


class CrmCustomerDocumentType(models.Model):
    _name = "crm.customer.document.type"
    _description = "Customer Document Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    validity_months = fields.Integer(
        "Default Validity (months)",
        help="Valid Until is set this many months after Valid From; empty for "
        "documents that do not expire.",
    )
    reminder_offsets = fields.Char(
        "Reminders (days before expiry)",
        help="Comma-separated days before Valid Until on which the responsible "
        "gets a reminder activity, e.g. 60,30,7.",
    )
    is_confidential = fields.Boolean(
        "Confidential by Default",
        help="New documents of this type are confidential: only relationship "
        "managers, their responsible and their allowed users read them.",
    )
    file_required = fields.Boolean(
        help="A document of this type cannot be confirmed without a file."
    )
    notify_customer = fields.Boolean(
        help="The customer's contact gets the email template with each reminder."
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Customer Email",
        domain="[('model', '=', 'crm.customer.document')]",
    )
    opens_renewal = fields.Boolean(
        "Expiry Opens a Renewal Opportunity",
        help="When a document of this type comes within its first reminder "
        "of expiry, a renewal opportunity is opened for its customer, once "
        "per expiry date.",
    )
    opens_ticket = fields.Boolean(
        "Opens Service Tickets",
        help="Documents of this type (complaints) open a service ticket in one "
        "click.",
    )
    document_count = fields.Integer(compute="_compute_document_count")

    def _compute_document_count(self):
        counts = dict(
            self.env["crm.customer.document"]._read_group(
                [("type_id", "in", self.ids)], ["type_id"], ["__count"]
            )
        )
        for doc_type in self:
            doc_type.document_count = counts.get(doc_type, 0)

    @api.constrains("reminder_offsets")
    def _check_reminder_offsets(self):
        for doc_type in self:
            doc_type._reminder_days()

    @api.constrains("validity_months")
    def _check_validity_months(self):
        for doc_type in self:
            if doc_type.validity_months < 0:
                raise ValidationError(
                    _(
                        "Document type “%(type)s”: the Default Validity cannot be "
                        "negative.",
                        type=doc_type.name,
                    )
                )

    def _reminder_days(self):
        """The reminder offsets in days, largest first."""
        self.ensure_one()
        days = []
        for part in (self.reminder_offsets or "").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 3650:
                raise ValidationError(
                    _(
                        "Document type “%(type)s”: %(value)r in Reminders is not a "
                        "number of days from 1 to 3650 (use e.g. 60,30,7).",
                        type=self.name,
                        value=part,
                    )
                )
            days.append(int(part))
        return sorted(set(days), reverse=True)

    def _expiring_days(self):
        """A document is "expiring" from its type's first reminder on."""
        self.ensure_one()
        return max(self._reminder_days(), default=DEFAULT_EXPIRING_DAYS)
