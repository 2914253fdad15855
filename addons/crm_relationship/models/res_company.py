from odoo import api, fields, models

DOCUMENTS_ALIAS = "documents"


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_document_alias_id = fields.Many2one(
        "mail.alias",
        string="Documents Alias",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="Each attachment of an email sent to this address becomes a draft "
        "customer document of the company.",
    )

    @api.model
    def _crm_document_ensure_aliases(self):
        """Each company gets its documents alias (the main company keeps the
        shipped one), on its current alias domain. Run on every install and
        update and by the documents' daily cron (a company created since gets
        its alias that night), not on each company's create or write: mail
        aliases are Odoo's to set up when companies and alias domains are made
        or moved, and changing them there races with its own setup."""
        companies = self.sudo().search([])
        companies.filtered(
            lambda c: not c.crm_document_alias_id
        )._crm_document_ensure_alias()
        companies._crm_document_follow_alias_domain()

    def _crm_document_ensure_alias(self):
        Alias = self.env["mail.alias"].sudo()
        model_id = self.env["ir.model"]._get_id("crm.customer.document")
        shipped = self.env.ref(
            "crm_relationship.crm_customer_document_alias", raise_if_not_found=False
        )
        for company in self.sudo().filtered(lambda c: not c.crm_document_alias_id):
            if (
                shipped
                and company == self.env.ref("base.main_company")
                and not self.search_count([("crm_document_alias_id", "=", shipped.id)])
            ):
                company.crm_document_alias_id = shipped
                continue
            alias = Alias.create(
                {
                    "alias_name": company._crm_document_alias_name(
                        company.alias_domain_id
                    ),
                    "alias_domain_id": company.alias_domain_id.id,
                    "alias_model_id": model_id,
                    "alias_defaults": repr({"company_id": company.id}),
                    "alias_contact": "everyone",
                }
            )
            company.crm_document_alias_id = alias

    def _crm_document_alias_name(self, alias_domain):
        """``documents`` when that address is free on the company's alias
        domain, else ``documents-<company>`` (or ``documents-<id>``)."""
        self.ensure_one()
        Alias = self.env["mail.alias"].sudo()
        name = Alias._sanitize_alias_name(self.name) or ""
        candidates = [DOCUMENTS_ALIAS]
        if name and "?" not in name:
            candidates.append(f"{DOCUMENTS_ALIAS}-{name}")
        candidates.append(f"{DOCUMENTS_ALIAS}-{self.id}")
        for candidate in candidates:
            if not Alias.search_count(
                [
                    ("alias_name", "=", candidate),
                    ("alias_domain_id", "=", alias_domain.id),
                    ("id", "!=", self.crm_document_alias_id.id),
                ]
            ):
                return candidate
        return candidates[-1]

    def _crm_document_follow_alias_domain(self):
        """A company that moves to another alias domain takes its documents
        alias along."""
        for company in self.sudo().filtered("crm_document_alias_id"):
            alias = company.crm_document_alias_id
            if alias.alias_domain_id == company.alias_domain_id:
                continue
            alias.write(
                {
                    "alias_name": company._crm_document_alias_name(
                        company.alias_domain_id
                    ),
                    "alias_domain_id": company.alias_domain_id.id,
                }
            )
