from odoo import _, api, models
from odoo.exceptions import ValidationError

DEFAULT_MAX_FILE_MB = 25
DOCUMENT_MODEL = "crm.customer.document"


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model_create_multi
    def create(self, vals_list):
        attachments = super().create(vals_list)
        attachments._check_customer_document_size()
        return attachments

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & {"datas", "raw", "res_model", "res_id"}:
            self._check_customer_document_size()
        return result

    def _check_customer_document_size(self):
        """Files of customer documents stay under the configured size
        (``crm_relationship.document_max_file_mb``, 25 MB by default)."""
        files = self.filtered(lambda a: a.res_model == DOCUMENT_MODEL and a.res_id)
        if not files:
            return
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_relationship.document_max_file_mb")
        )
        try:
            limit_mb = float(param) if param else DEFAULT_MAX_FILE_MB
        except ValueError:
            limit_mb = DEFAULT_MAX_FILE_MB
        for attachment in files:
            if attachment.file_size > limit_mb * 1024 * 1024:
                document = self.env[DOCUMENT_MODEL].sudo().browse(attachment.res_id)
                raise ValidationError(
                    _(
                        "Document “%(document)s”: the File %(file)s is %(size).1f MB, "
                        "over the limit of %(limit)s MB.",
                        document=document.display_name,
                        file=attachment.name,
                        size=attachment.file_size / 1024 / 1024,
                        limit=limit_mb,
                    )
                )

    def action_register_customer_document(self):
        """“Register as Document”: the same files become customer documents."""
        return self.env["crm.customer.document.register"]._action_open(attachments=self)

    def action_download(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.id}?download=true",
            "target": "download",
        }
