from odoo import _, api, fields, models
from odoo.exceptions import UserError

LINK_FIELDS = {
    "crm.lead": "lead_id",
    "crm.service.ticket": "ticket_id",
    "crm.interaction": "interaction_id",
}


class CrmCustomerDocumentRegister(models.TransientModel):
    _name = "crm.customer.document.register"
    _description = "Register Files as Customer Documents"

    res_model = fields.Char(readonly=True)
    res_id = fields.Integer(readonly=True)
    available_attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_customer_document_register_available_rel",
        string="Available Files",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_customer_document_register_attachment_rel",
        string="Files",
        domain="[('id', 'in', available_attachment_ids)]",
        required=True,
    )
    type_id = fields.Many2one(
        "crm.customer.document.type", string="Document Type", required=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer")
    valid_until = fields.Date()

    @api.model
    def _action_open(self, attachments=None, record=None):
        attachments = attachments or self.env["ir.attachment"]
        if record is not None:
            attachments |= self._files_of(record)
        attachments = attachments.filtered(
            lambda a: a.res_model != "crm.customer.document" and not a.res_field
        )
        if not attachments:
            raise UserError(_("There is no file to register as a document here."))
        source = record
        if source is None and len(set(attachments.mapped("res_model"))) == 1:
            first = attachments[0]
            if first.res_model in self.env and first.res_id:
                source = self.env[first.res_model].browse(first.res_id)
        wizard = self.create(
            {
                "available_attachment_ids": [fields.Command.set(attachments.ids)],
                "attachment_ids": [fields.Command.set(attachments.ids)]
                if len(attachments) == 1 or record is None
                else [],
                "res_model": source._name if source else False,
                "res_id": source.id if source else False,
                "partner_id": self._customer_of(source).id,
                "type_id": self.env.ref(
                    "crm_relationship.crm_customer_document_type_other"
                ).id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Register as Document"),
            "res_model": self._name,
            "res_id": wizard.id,
            "views": [(False, "form")],
            "target": "new",
        }

    @api.model
    def _files_of(self, record):
        """The files of a record: its own and those posted in its chatter
        (both are attachments of the record), and an interaction's files."""
        record.check_access("read")
        files = self.env["ir.attachment"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("res_field", "=", False),
            ]
        )
        if "attachment_ids" in record._fields:
            files |= record.attachment_ids
        return files

    @api.model
    def _customer_of(self, record):
        if not record:
            return self.env["res.partner"]
        if record._name == "res.partner":
            return record.commercial_partner_id
        if "commercial_partner_id" in record:
            return record.commercial_partner_id
        if "partner_id" in record:
            return record.partner_id.commercial_partner_id
        return self.env["res.partner"]

    def action_register(self):
        self.ensure_one()
        defaults = {
            "type_id": self.type_id.id,
            "partner_id": self.partner_id.id,
        }
        if self.valid_until:
            defaults["valid_until"] = self.valid_until
        if self.res_model and self.res_id and self.res_model != "res.partner":
            defaults.update({"res_model": self.res_model, "res_id": self.res_id})
            link_field = LINK_FIELDS.get(self.res_model)
            if link_field:
                defaults[link_field] = self.res_id
        # the user must read the files to register them
        self.attachment_ids.check("read")
        documents = self.env["crm.customer.document"]._create_from_attachments(
            self.attachment_ids, defaults
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_customer_document_action"
        )
        if len(documents) == 1:
            action.update({"res_id": documents.id, "views": [(False, "form")]})
        else:
            action["domain"] = [("id", "in", documents.ids)]
        return action
