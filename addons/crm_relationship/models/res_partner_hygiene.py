import re
import unicodedata
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL

from odoo.addons.phone_validation.tools import phone_validation

DEFAULT_PHONE_REGION = "IL"
# legal-form words dropped from the name key (compared after folding, see
# normalize_name: quotes are removed first, so בע"מ and בע״מ become בעמ)
LEGAL_SUFFIXES = frozenset({"בעמ", "ltd", "limited", "inc", "llc", "gmbh"})
HEBREW_FINALS = str.maketrans({"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"})
QUOTES_RE = re.compile("[\"'`\u05f3\u05f4\u2018\u2019\u201c\u201d]")
NON_WORD_RE = re.compile(r"[\W_]+")
# candidates shown on the customer form; the list groups all of them
DUPLICATE_DISPLAY_LIMIT = 20
# points per completeness item (5 items, 100 in all)
COMPLETENESS_POINTS = 20


def normalize_vat(vat):
    """Tax ID key: its digits only."""
    digits = re.sub(r"\D", "", vat or "")
    return digits or False


def normalize_name(name):
    """Name key: lower-cased, legal suffixes dropped, Hebrew final letters
    folded, punctuation and spaces removed."""
    if not name:
        return False
    text = unicodedata.normalize("NFKC", name).lower().translate(HEBREW_FINALS)
    text = QUOTES_RE.sub("", text)
    words = [w for w in NON_WORD_RE.split(text) if w and w not in LEGAL_SUFFIXES]
    return "".join(words) or False


def normalize_phone(number, country=None):
    """Phone key: E.164 when the number parses (in the partner's country,
    Israel by default), else its digits (at least 6) so that the same
    unparsable number still matches itself."""
    if not number:
        return False
    code = country.code if country else DEFAULT_PHONE_REGION
    phone_code = country.phone_code if country else 972
    formatted = phone_validation.phone_format(
        number, code, phone_code, force_format="E164", raise_exception=False
    )
    if formatted and formatted.startswith("+"):
        return formatted
    digits = re.sub(r"\D", "", number)
    return digits if len(digits) >= 6 else False


class ResPartner(models.Model):
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    hygiene_vat_key = fields.Char(
        "Tax ID Key",
        compute="_compute_hygiene_keys",
        store=True,
        precompute=True,
        index="btree_not_null",
        copy=False,
    )
    hygiene_phone_key = fields.Char(
        "Phone Key",
        compute="_compute_hygiene_keys",
        store=True,
        precompute=True,
        index="btree_not_null",
        copy=False,
    )
    hygiene_name_key = fields.Char(
        "Name Key",
        compute="_compute_hygiene_keys",
        store=True,
        precompute=True,
        index="btree_not_null",
        copy=False,
    )
    duplicate_partner_ids = fields.Many2many(
        "res.partner",
        string="Possible Duplicates",
        compute="_compute_duplicate_partner_ids",
        help="Customers with the same tax ID, email, phone or name (without legal "
        "suffixes) in the same company or shared.",
    )
    duplicate_group_id = fields.Many2one(
        "res.partner",
        string="Duplicate Group",
        readonly=True,
        index="btree_not_null",
        copy=False,
        help="Oldest customer of a group of possible duplicates, refreshed when "
        "the Possible Duplicates list is opened.",
    )
    completeness_score = fields.Integer(
        "Completeness",
        compute="_compute_completeness_score",
        store=True,
        precompute=True,
        aggregator="avg",
        help="20 points each for tax ID, email, phone, address (street, city, "
        "country) and salesperson.",
    )

    @api.depends("vat", "phone", "mobile", "country_id", "name")
    def _compute_hygiene_keys(self):
        for partner in self:
            partner.hygiene_vat_key = normalize_vat(partner.vat)
            partner.hygiene_phone_key = normalize_phone(
                partner.phone or partner.mobile, partner.country_id
            )
            partner.hygiene_name_key = normalize_name(partner.name)

    @api.depends(
        "vat", "email", "phone", "mobile", "street", "city", "country_id", "user_id"
    )
    def _compute_completeness_score(self):
        for partner in self:
            items = (
                partner.vat,
                partner.email,
                partner.phone or partner.mobile,
                partner.street and partner.city and partner.country_id,
                partner.user_id,
            )
            partner.completeness_score = COMPLETENESS_POINTS * sum(
                1 for item in items if item
            )

    def _hygiene_is_customer(self):
        """Commercial companies and individuals without parent."""
        self.ensure_one()
        return self.is_company or not self.parent_id

    @api.model
    def _hygiene_scope_domain(self):
        return ["|", ("is_company", "=", True), ("parent_id", "=", False)]

    def _hygiene_duplicate_domain(self):
        """Domain of the other customers matching one of this one's keys."""
        self.ensure_one()
        key_domains = [
            [(field, "=", self[field])]
            for field in (
                "hygiene_vat_key",
                "email_normalized",
                "hygiene_phone_key",
                "hygiene_name_key",
            )
            if self[field]
        ]
        if not key_domains or not self._hygiene_is_customer():
            return False
        domain = expression.AND(
            [expression.OR(key_domains), self._hygiene_scope_domain()]
        )
        if self.company_id:
            domain = expression.AND(
                [domain, [("company_id", "in", [False, self.company_id.id])]]
            )
        partner_id = self._origin.id
        if partner_id:
            domain = expression.AND(
                [
                    domain,
                    [("id", "!=", partner_id), "!", ("id", "child_of", partner_id)],
                ]
            )
        return domain

    @api.depends(
        "hygiene_vat_key",
        "email_normalized",
        "hygiene_phone_key",
        "hygiene_name_key",
        "company_id",
        "parent_id",
        "is_company",
    )
    # the candidates are those the current user may read
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_duplicate_partner_ids(self):
        for partner in self:
            domain = partner._hygiene_duplicate_domain()
            partner.duplicate_partner_ids = (
                self.search(domain, limit=DUPLICATE_DISPLAY_LIMIT, order="id")
                if domain
                else False
            )

    def action_merge_duplicates(self):
        """Odoo's merge wizard with this customer and its candidates."""
        self.ensure_one()
        partners = self | self.duplicate_partner_ids
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "base.action_partner_merge"
        )
        action["context"] = {
            "active_model": "res.partner",
            "active_ids": partners.ids,
            "active_id": self.id,
        }
        return action

    @api.model
    def _hygiene_refresh_duplicate_groups(self):
        """Set duplicate_group_id on all customers in one SQL pass per key:
        customers sharing a key (same company, or one of them shared) are
        joined, transitively; each group is named after its oldest member."""
        self.env["res.partner"].flush_model(
            [
                "hygiene_vat_key",
                "email_normalized",
                "hygiene_phone_key",
                "hygiene_name_key",
                "company_id",
                "parent_id",
                "is_company",
                "active",
            ]
        )
        parent = {}

        def find(node):
            while parent.get(node, node) != node:
                parent[node] = parent.get(parent[node], parent[node])
                node = parent[node]
            return node

        def union(first, second):
            parent.setdefault(first, first)
            parent.setdefault(second, second)
            root1, root2 = find(first), find(second)
            if root1 != root2:
                parent[max(root1, root2)] = min(root1, root2)

        for column in (
            "hygiene_vat_key",
            "email_normalized",
            "hygiene_phone_key",
            "hygiene_name_key",
        ):
            self.env.cr.execute(
                SQL(
                    """
                    SELECT array_agg(id ORDER BY id),
                           array_agg(company_id ORDER BY id)
                      FROM res_partner
                     WHERE active AND %(key)s IS NOT NULL AND %(key)s != ''
                       AND (is_company OR parent_id IS NULL)
                     GROUP BY %(key)s
                    HAVING count(*) > 1
                    """,
                    key=SQL.identifier(column),
                )
            )
            for ids, companies in self.env.cr.fetchall():
                by_company = defaultdict(list)
                for partner_id, company_id in zip(ids, companies, strict=True):
                    by_company[company_id].append(partner_id)
                shared = by_company.pop(None, [])
                for members in by_company.values():
                    for member in members[1:] + shared:
                        union(members[0], member)
                for member in shared[1:]:
                    union(shared[0], member)
        groups = defaultdict(list)
        for node in list(parent):
            groups[find(node)].append(node)
        self.env.cr.execute(
            "UPDATE res_partner SET duplicate_group_id = NULL "
            "WHERE duplicate_group_id IS NOT NULL"
        )
        members = [member for group in groups.values() for member in group]
        roots = [root for root, group in groups.items() for _member in group]
        if members:
            self.env.cr.execute(
                """
                UPDATE res_partner p SET duplicate_group_id = v.root
                  FROM unnest(%s::int[], %s::int[]) AS v(id, root)
                 WHERE p.id = v.id
                """,
                [members, roots],
            )
        self.env["res.partner"].invalidate_model(["duplicate_group_id"])

    @api.model
    def action_open_possible_duplicates(self):
        if not self.env.user.has_group("crm_relationship.group_user"):
            raise AccessError(
                _("Only relationship users may open the Possible Duplicates list.")
            )
        self._hygiene_refresh_duplicate_groups()
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.res_partner_action_possible_duplicates"
        )
