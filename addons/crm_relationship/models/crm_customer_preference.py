from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .crm_interaction import CHANNELS

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
VERSIONED_FIELDS = ("category", "topic", "value", "channel")
# the categories whose value is an interaction channel
CHANNEL_CATEGORIES = ("channel", "do_not_contact")
# words people write for a channel, beside its code and label
CHANNEL_WORDS = {
    "phone": "call",
    "telephone": "call",
    "phone call": "call",
    "calls": "call",
    "mobile": "call",
    "e-mail": "email",
    "mail": "email",
    "emails": "email",
    "text": "sms",
    "text message": "sms",
    "whatsapp": "chat",
    "telegram": "chat",
    "messenger": "chat",
    "visit": "meeting",
    "meetings": "meeting",
    "in person": "meeting",
    "fax": "letter",
    "letter": "letter",
    "post": "letter",
    "web": "web",
    "website": "web",
}


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
    channel = fields.Selection(
        CHANNELS,
        compute="_compute_channel",
        store=True,
        readonly=False,
        precompute=True,
        help="The interaction channel a Preferred Channel or Do Not Contact By "
        "preference names: the quick log and the cadence activities follow it.",
    )
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

    @api.depends("category", "value")
    def _compute_channel(self):
        words = {
            **{code: code for code, _label in CHANNELS},
            **{label.lower(): code for code, label in CHANNELS},
            **CHANNEL_WORDS,
        }
        for preference in self:
            if preference.category not in CHANNEL_CATEGORIES:
                preference.channel = False
            elif preference.value:
                preference.channel = words.get(
                    preference.value.strip().lower(), preference.channel
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

    @api.constrains("topic", "valid_from", "valid_to", "category", "channel")
    def _check_preference(self):
        for preference in self:
            if preference.category in CHANNEL_CATEGORIES and not preference.channel:
                raise ValidationError(
                    _(
                        "Preference %(topic)s of %(customer)s: choose its Channel "
                        "(“%(value)s” is not one of the interaction channels).",
                        topic=preference.topic or "",
                        customer=preference.partner_id.display_name,
                        value=preference.value or "",
                    )
                )
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
                "channel": preference.channel,
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

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    @api.model
    def _get_channel_rules(self, partners):
        """For each commercial customer of ``partners``: its preferred
        channel (False if none or forbidden) and the set of channels it does
        not want to be contacted by, from the preferences in force today;
        one query for all."""
        commercial = partners.commercial_partner_id
        rules = {partner.id: (False, set()) for partner in commercial}
        if not commercial:
            return rules
        preferences = (
            self.sudo()
            .search(
                [
                    ("partner_id", "in", commercial.ids),
                    ("category", "in", CHANNEL_CATEGORIES),
                    ("channel", "!=", False),
                    ("is_current", "=", True),
                ],
                order="valid_from desc, id desc",
            )
            .read(["partner_id", "category", "channel"], load=None)
        )
        preferred = {}
        forbidden = {partner_id: set() for partner_id in rules}
        for row in preferences:
            if row["category"] == "do_not_contact":
                forbidden[row["partner_id"]].add(row["channel"])
            else:
                # the newest preferred channel wins
                preferred.setdefault(row["partner_id"], row["channel"])
        for partner_id in rules:
            channel = preferred.get(partner_id, False)
            if channel in forbidden[partner_id]:
                channel = False
            rules[partner_id] = (channel, forbidden[partner_id])
        return rules
