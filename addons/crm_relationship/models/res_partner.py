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

# what a target may receive of a customer; the internal notes (comment) only
# when the target's configuration names them
PUSHABLE_FIELDS = (
    "name",
    "is_company",
    "company_name",
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "state",
    "country",
    "country_code",
    "vat",
    "website",
    "lang",
    "comment",
)
DEFAULT_PUSH_FIELDS = tuple(field for field in PUSHABLE_FIELDS if field != "comment")


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

    @api.model
    def _sync_push_fields(self, field_names=None):
        """The fields a target asked for, checked against what may leave
        Odoo, in one order; the name always goes, the internal notes only
        when asked for by name. No list: contact data only."""
        if field_names is None or field_names is False:
            return DEFAULT_PUSH_FIELDS
        if not isinstance(field_names, list | tuple) or not all(
            isinstance(field, str) for field in field_names
        ):
            raise UserError(_("fields: expected a list of field names."))
        unknown = sorted(set(field_names) - set(PUSHABLE_FIELDS))
        if unknown:
            raise UserError(
                _(
                    "fields: %(unknown)s cannot be pushed; the fields that can: "
                    "%(allowed)s.",
                    unknown=", ".join(unknown),
                    allowed=", ".join(PUSHABLE_FIELDS),
                )
            )
        asked = {"name", *field_names}
        return tuple(field for field in PUSHABLE_FIELDS if field in asked)

    def _sync_push_payloads(self, db_uuid, field_names=DEFAULT_PUSH_FIELDS):
        """{partner id: what a target receives of the customer}: the fields
        ``field_names`` (checked by ``_sync_push_fields``), its id and uid,
        the hash of all that, and when it was written; read in one go."""
        related = {
            "company_name": "parent_id",
            "state": "state_id",
            "country": "country_id",
            "country_code": "country_id",
        }
        own = [name for name in field_names if name not in related]
        rows = self.read(
            [*own, *{related[name] for name in field_names if name in related}]
            + ["write_date"],
            load=None,
        )
        names = {
            "company_name": self.parent_id.mapped(lambda p: (p.id, p.name)),
            "state": self.state_id.mapped(lambda s: (s.id, s.name)),
            "country": self.country_id.mapped(lambda c: (c.id, c.name)),
            "country_code": self.country_id.mapped(lambda c: (c.id, c.code)),
        }
        names = {key: dict(pairs) for key, pairs in names.items() if key in field_names}
        payloads = {}
        for row in rows:
            payload = {}
            for name in field_names:
                if name in related:
                    value = names[name].get(row[related[name]])
                elif name == "comment" and row[name]:
                    value = html2plaintext(row[name], include_references=False)
                else:
                    value = row[name]
                payload[name] = value or False
            payload["partner_id"] = row["id"]
            payload["uid"] = f"crm-{db_uuid}-partner-{row['id']}"
            payload["content_hash"] = hashlib.sha256(
                json.dumps(payload, sort_keys=True, default=str).encode()
            ).hexdigest()
            payload["write_date"] = fields.Datetime.to_string(row["write_date"])
            payloads[row["id"]] = payload
        return payloads

    def _sync_push_payload(self, db_uuid, field_names=DEFAULT_PUSH_FIELDS):
        """What a target receives of this customer (see
        ``_sync_push_payloads``)."""
        self.ensure_one()
        return self._sync_push_payloads(db_uuid, field_names)[self.id]

    @api.model
    def _sync_push_domain(self):
        return [
            ("parent_id", "=", False),
            ("company_id", "in", [False, self.env.company.id]),
            "|",
            ("customer_rank", ">", 0),
            ("interaction_ids", "!=", False),
        ]

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

    # ------------------------------------------------------------
    # Account management: value, tier, cadence, churn risk
    # ------------------------------------------------------------

    customer_value_ids = fields.One2many(
        "crm.customer.value", "partner_id", string="Value Snapshots"
    )
    customer_value_id = fields.Many2one(
        "crm.customer.value",
        string="Latest Value Snapshot",
        compute="_compute_customer_value_id",
        search="_search_customer_value_id",
        help="The latest nightly snapshot of the customer in the current company.",
    )
    customer_tier_override_id = fields.Many2one(
        "crm.customer.tier",
        string="Tier Override",
        company_dependent=True,
        help="A tier set by hand, for the current company: it replaces the "
        "computed tier until cleared.",
    )
    customer_tier_id = fields.Many2one(
        "crm.customer.tier",
        string="Tier",
        compute="_compute_customer_tier_id",
        search="_search_customer_tier_id",
        help="The override if any, else the tier computed last night.",
    )
    customer_computed_tier_id = fields.Many2one(
        related="customer_value_id.computed_tier_id", string="Computed Tier"
    )
    customer_tier_differs = fields.Boolean(
        "Tier Overridden",
        compute="_compute_customer_tier_id",
        help="The tier set by hand is not the computed one.",
    )
    account_revenue_12m = fields.Monetary(
        related="customer_value_id.revenue_12m",
        currency_field="account_currency_id",
    )
    account_currency_id = fields.Many2one(
        related="customer_value_id.currency_id", string="Account Currency"
    )
    account_trend_percent = fields.Float(related="customer_value_id.trend_percent")
    account_has_trend = fields.Boolean(related="customer_value_id.has_trend")
    account_next_contact_date = fields.Date(
        related="customer_value_id.next_contact_date"
    )
    account_contact_overdue = fields.Boolean(
        "Contact Overdue",
        compute="_compute_customer_value_id",
        search="_search_account_contact_overdue",
    )
    churn_score = fields.Integer(related="customer_value_id.churn_score")
    churn_level = fields.Selection(related="customer_value_id.churn_level")
    churn_reasons = fields.Text(related="customer_value_id.churn_reasons")

    @api.depends_context("company")
    def _compute_customer_value_id(self):
        values = self.env["crm.customer.value"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("is_latest", "=", True),
            ]
        )
        by_partner = {value.partner_id: value for value in values}
        for partner in self:
            value = by_partner.get(
                partner.commercial_partner_id, self.env["crm.customer.value"]
            )
            partner.customer_value_id = value
            partner.account_contact_overdue = value.is_overdue

    @api.depends_context("company")
    @api.depends("customer_tier_override_id")
    def _compute_customer_tier_id(self):
        for partner in self:
            commercial = partner.commercial_partner_id
            computed = commercial.customer_value_id.computed_tier_id
            override = commercial.customer_tier_override_id
            partner.customer_tier_id = override or computed
            partner.customer_tier_differs = bool(
                override and computed and override != computed
            )

    def _latest_value_domain(self, domain):
        return [
            (
                "customer_value_ids",
                "any",
                [
                    ("is_latest", "=", True),
                    ("company_id", "=", self.env.company.id),
                    *domain,
                ],
            )
        ]

    def _search_customer_value_id(self, operator, value):
        if operator == "any":
            return self._latest_value_domain(value)
        if operator in ("=", "!=") and value is False:
            exists = self._latest_value_domain([])
            return ["!", *exists] if operator == "=" else exists
        if operator in ("=", "in"):
            return self._latest_value_domain([("id", operator, value)])
        raise UserError(_("Operator %s is not supported on this field.", operator))

    def _search_account_contact_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Operator %s is not supported on this field.", operator))
        overdue = self._latest_value_domain([("is_overdue", "=", True)])
        return overdue if (operator == "=") == value else ["!", *overdue]

    def _search_customer_tier_id(self, operator, value):
        return self._latest_value_domain([("tier_id", operator, value)])

    def write(self, vals):
        if "customer_tier_override_id" not in vals:
            return super().write(vals)
        before = {partner: partner.customer_tier_id for partner in self}
        result = super().write(vals)
        self._record_manual_tier(before)
        return result

    def _record_manual_tier(self, before):
        """A dated history row for each customer whose tier in force changed
        by hand, and its latest snapshot following it."""
        company = self.env.company
        history = []
        for partner in self:
            value = partner.customer_value_id
            override = partner.customer_tier_override_id
            tier = override or value.computed_tier_id
            if value:
                value.sudo().write(
                    {
                        "tier_id": tier.id,
                        "tier_differs": bool(
                            override and override != value.computed_tier_id
                        ),
                    }
                )
            if tier != before[partner]:
                history.append(
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "old_tier_id": before[partner].id,
                        "new_tier_id": tier.id,
                        "source": "manual",
                    }
                )
        self.env["crm.customer.tier.history"].sudo().create(history)

    def action_view_customer_value(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_value_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_latest": 0}
        value = self.commercial_partner_id.customer_value_id
        if value:
            action["views"] = [(False, "form")]
            action["res_id"] = value.id
        return action

    customer_preference_ids = fields.One2many(
        "crm.customer.preference", "partner_id", string="Preferences"
    )
