from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.web.controllers.binary import Binary

DOCUMENT_MODEL = "crm.customer.document"


class CustomerDocumentBinary(Binary):
    """``/web/image`` answers a refused image with Odoo's placeholder picture
    (status 200). For the files of customer documents (their main files,
    versions and the attachments posted in their chatter) a refusal is a 404,
    as ``/web/content`` answers: nothing tells whether the file exists, and
    the bytes never leave the server."""

    @http.route()
    # pylint: disable=redefined-builtin
    def content_image(self, xmlid=None, model="ir.attachment", id=None, **kwargs):
        if not xmlid and model == "ir.attachment" and id:
            self._check_customer_document_file(int(id), kwargs.get("access_token"))
        return super().content_image(xmlid=xmlid, model=model, id=id, **kwargs)

    def _check_customer_document_file(self, attachment_id, access_token):
        attachment = request.env["ir.attachment"].sudo().browse(attachment_id).exists()
        if attachment.res_model != DOCUMENT_MODEL:
            return
        try:
            record = request.env["ir.binary"]._find_record(
                res_model="ir.attachment",
                res_id=attachment_id,
                access_token=access_token,
                field="raw",
            )
            if not record.env.su:
                # an internal user's attachment is checked only when its
                # bytes are read: check it here, before the placeholder
                record.check("read")
        except (AccessError, MissingError) as exc:
            raise request.not_found() from exc
