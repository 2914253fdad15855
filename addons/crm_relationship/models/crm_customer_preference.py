from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

PREFERENCE_CATEGORIES = [
    ("product_interest", "Product Interest"),
    ("channel", "Preferred Channel"),
    ("do_not_contact", "Do Not Contact By"),
    ("contact_time", "Contact Time"),
    ("language", "Language"),
    ("other", "Other"),
]
PREFERENCE_SOURCES = [
    ("manual", "Manual"),
    ("survey", "Survey"),
    ("interaction", "Interaction"),
    ("ticket", "Ticket"),
]
# what a change of makes a new row: the old one is closed, never overwritten
VERSIONED_FIELDS = ("category", "topic", "value")


class CrmCustomerPreference(models.Model):
    _name = "crm.customer.preference"
    _description = "Customer Preference"
    _order = "partner_id, category, topic, valid_from desc, id desc"
    _rec_name = "topic"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('is_company', '=', True)]",
    )
    category = fields.Selection(PREFERENCE_CATEGORIES, required=True, default="other")
    topic = fields.Char(help="What the preference is about, e.g. Solar panels, Calls.")
    value = fields.Char(help="What the customer prefers, e.g. Mornings, WhatsApp.")
    source = fields.Selection(PREFERENCE_SOURCES, required=True, default="manual")
    valid_from = fields.Date(required=True, default=fields.Date.context_today)
    valid_to = fields.Date(help="Empty while the preference holds.")
    is_current = fields.Boolean(
        "Current", compute="_compute_is_current", search="_search_is_current"
    )
    recorded_by_id = fields.Many2one(
        "res.users",
        string="Recorded By",
        default=lambda self: self.env.user,
        readonly=True,
    )
    company_id = fields.Many2one(related="partner_id.company_id")

    @api.depends("valid_from", "valid_to")
    @api.depends_context("tz")
    def _compute_is_current(self):
        today = fields.Date.context_today(self)
        for preference in self:
            preference.is_current = preference.valid_from <= today and (
                not preference.valid_to or preference.valid_to > today
            )

    def _search_is_current(self, operator, value):
        today = fields.Date.context_today(self)
        current = [
            ("valid_from", "<=", today),
            "|",
            ("valid_to", "=", False),
            ("valid_to", ">", today),
        ]
        return current if (operator == "=") == bool(value) else ["!", *current]

    @api.constrains("topic", "valid_from", "valid_to")
    def _check_preference(self):
        for preference in self:
            if not (preference.topic or "").strip():
                raise ValidationError(
                    _(
                        "A preference of %(customer)s needs a Topic.",
                        customer=preference.partner_id.display_name,
                    )
                )
            if preference.valid_to and preference.valid_to < preference.valid_from:
                raise ValidationError(
                    _(
                        "Preference %(topic)s of %(customer)s: Valid To is before "
                        "Valid From.",
                        topic=preference.topic,
                        customer=preference.partner_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        """A new preference closes the open one of the same customer,
        category and topic on the day the new one starts."""
        preferences = super().create(vals_list)
        for preference in preferences:
            older = self.search(
                [
                    ("id", "!=", preference.id),
                    ("partner_id", "=", preference.partner_id.id),
                    ("category", "=", preference.category),
                    ("topic", "=ilike", preference.topic),
                    ("valid_to", "=", False),
                    ("valid_from", "<=", preference.valid_from),
                ]
            )
            older.write({"valid_to": preference.valid_from})
        return preferences

    def write(self, vals):
        """Changing what a preference says closes it and opens a new row
        from today: the history keeps what was."""
        if not any(
            name in vals and any(p[name] != vals[name] for p in self)
            for name in VERSIONED_FIELDS
        ):
            return super().write(vals)
        today = fields.Date.context_today(self)
        for preference in self:
            new_values = {
                "partner_id": preference.partner_id.id,
                "category": preference.category,
                "topic": preference.topic,
                "value": preference.value,
                "source": preference.source,
                **vals,
                "valid_from": max(today, preference.valid_from),
                "recorded_by_id": self.env.user.id,
            }
            new_values.pop("valid_to", None)
            super(CrmCustomerPreference, preference).write(
                {"valid_to": new_values["valid_from"]}
            )
            self.create(new_values)
        return True
