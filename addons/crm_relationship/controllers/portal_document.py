from odoo import _, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

DOCUMENTS_PER_PAGE = 20


class CustomerDocumentPortal(CustomerPortal):
    """/my/documents: the documents shared with the customer.

    Access is the ORM's (the portal record rule: shared, not confidential,
    of the user's commercial entity) or the document's access token; the
    file is streamed only after that check.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "customer_document_count" in counters:
            Document = request.env["crm.customer.document"]
            values["customer_document_count"] = (
                Document.search_count([]) if Document.has_access("read") else 0
            )
        return values

    def _document_searchbar_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "issued_on desc, id desc"},
            "valid_until": {
                "label": _("Valid Until"),
                "order": "valid_until asc nulls last, id desc",
            },
            "name": {"label": _("Name"), "order": "name"},
        }

    @http.route(
        ["/my/documents", "/my/documents/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_customer_documents(self, page=1, sortby=None, **kw):
        Document = request.env["crm.customer.document"]
        if not Document.has_access("read"):
            return request.redirect("/my")
        sortings = self._document_searchbar_sortings()
        sortby = sortby if sortby in sortings else "date"
        count = Document.search_count([])
        pager = portal_pager(
            url="/my/documents",
            url_args={"sortby": sortby},
            total=count,
            page=page,
            step=DOCUMENTS_PER_PAGE,
        )
        documents = Document.search(
            [],
            order=sortings[sortby]["order"],
            limit=DOCUMENTS_PER_PAGE,
            offset=pager["offset"],
        )
        request.session["my_customer_documents_history"] = documents.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "documents": documents,
                "page_name": "customer_document",
                "pager": pager,
                "default_url": "/my/documents",
                "searchbar_sortings": sortings,
                "sortby": sortby,
            }
        )
        return request.render("crm_relationship.portal_my_customer_documents", values)

    def _customer_document_check_access(self, document_id, access_token):
        document = self._document_check_access(
            "crm.customer.document", document_id, access_token
        )
        # a token never opens a confidential or unshared document
        if (
            not document.shared_with_customer
            or document.confidentiality == "confidential"
            or document.state in ("draft", "cancelled")
        ):
            raise AccessError(_("This document is not shared."))
        return document

    @http.route(
        ["/my/documents/<int:document_id>"],
        type="http",
        auth="public",
        website=True,
    )
    def portal_my_customer_document(self, document_id, access_token=None, **kw):
        try:
            document = self._customer_document_check_access(document_id, access_token)
        except (AccessError, MissingError):
            return request.not_found()
        values = self._get_page_view_values(
            document,
            access_token,
            {"document": document, "page_name": "customer_document"},
            "my_customer_documents_history",
            False,
            **kw,
        )
        return request.render("crm_relationship.portal_customer_document_page", values)

    @http.route(
        ["/my/documents/<int:document_id>/download"],
        type="http",
        auth="public",
        website=True,
    )
    def portal_customer_document_download(self, document_id, access_token=None, **kw):
        try:
            document = self._customer_document_check_access(document_id, access_token)
        except (AccessError, MissingError):
            return request.not_found()
        attachment = document.sudo().message_main_attachment_id
        if not attachment:
            return request.not_found()
        return (
            request.env["ir.binary"]
            ._get_stream_from(attachment)
            .get_response(as_attachment=True)
        )
