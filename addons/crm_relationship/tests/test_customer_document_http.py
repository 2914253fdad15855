import base64
import json

from odoo.tests import HttpCase, new_test_user, tagged

# a 1x1 PNG: /web/image serves images only
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestCustomerDocumentHttp(HttpCase):
    """Confidential files over a real HTTP server: another salesperson never
    gets the bytes, the responsible and the allowed users do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = "sales_team.group_sale_salesman"
        cls.owner = new_test_user(
            cls.env, login="doc_owner", password="doc_owner_pw1", groups=groups
        )
        cls.allowed = new_test_user(
            cls.env, login="doc_allowed", password="doc_allowed_pw1", groups=groups
        )
        cls.intruder = new_test_user(
            cls.env, login="doc_intruder", password="doc_intruder_pw1", groups=groups
        )
        customer = cls.env["res.partner"].create(
            {"name": "Confidential Ltd", "is_company": True}
        )
        cls.document = cls.env["crm.customer.document"].create(
            {
                "name": "Settlement agreement",
                "type_id": cls.env.ref(
                    "crm_relationship.crm_customer_document_type_legal"
                ).id,
                "partner_id": customer.id,
                "user_id": cls.owner.id,
                "allowed_user_ids": [(4, cls.allowed.id)],
                "upload_file": base64.b64encode(PNG),
                "upload_file_name": "signature.png",
            }
        )
        cls.file = cls.document.message_main_attachment_id
        message = cls.document.message_post(
            body="scan of the signed copy",
            attachments=[("signed.pdf", PDF)],
            message_type="comment",
        )
        cls.chatter_file = message.attachment_ids

    def _call_kw(self, model, method, args, kwargs=None):
        """A JSON-RPC call as the web client makes it; the raw answer."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        }
        return self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        ).json()

    def _read_over_rpc(self, attachment):
        return self._call_kw("ir.attachment", "read", [[attachment.id], ["datas"]])

    def test_the_file_is_confidential(self):
        self.assertEqual(self.document.confidentiality, "confidential")
        self.assertEqual(self.file.res_model, "crm.customer.document")
        self.assertFalse(self.file.public)

    def test_another_salesperson_gets_no_bytes(self):
        self.authenticate("doc_intruder", "doc_intruder_pw1")
        for url in (
            f"/web/content/{self.file.id}",
            f"/web/content/{self.file.id}?download=true",
            f"/web/image/{self.file.id}",
            f"/web/image/{self.file.id}?download=true",
            f"/web/image/{self.file.id}/signature.png",
            f"/web/image/{self.file.id}-abc/signature.png",
            f"/web/image/{self.file.id}/64x64",
            f"/web/content/{self.chatter_file.id}",
            f"/web/image/{self.chatter_file.id}",
            f"/web/content/ir.attachment/{self.file.id}/raw",
            f"/web/image/ir.attachment/{self.file.id}/raw",
        ):
            response = self.url_open(url)
            self.assertIn(response.status_code, (403, 404), url)
            self.assertNotIn(PNG, response.content, url)
            self.assertNotIn(PDF, response.content, url)
        for attachment in (self.file, self.chatter_file):
            answer = self._read_over_rpc(attachment)
            self.assertIn("error", answer)
            self.assertEqual(
                answer["error"]["data"]["name"], "odoo.exceptions.AccessError"
            )
        answer = self._call_kw(
            "crm.customer.document",
            "search_read",
            [[["id", "=", self.document.id]], ["name"]],
        )
        self.assertEqual(answer["result"], [])

    def test_responsible_and_allowed_user_get_the_file(self):
        for login in ("doc_owner", "doc_allowed"):
            self.authenticate(login, f"{login}_pw1")
            response = self.url_open(f"/web/content/{self.file.id}")
            self.assertEqual(response.status_code, 200, login)
            self.assertEqual(response.content, PNG, login)
            image = self.url_open(f"/web/image/{self.file.id}")
            self.assertEqual(image.status_code, 200, login)
            self.assertEqual(image.content, PNG, login)
            chatter = self.url_open(f"/web/content/{self.chatter_file.id}")
            self.assertEqual(chatter.content, PDF, login)
            answer = self._read_over_rpc(self.file)
            self.assertEqual(base64.b64decode(answer["result"][0]["datas"]), PNG)

    def test_files_uploaded_by_the_web_client_become_documents(self):
        """The uploaders (customer form, documents list) create the files,
        then call create_document_from_attachment as the web client does."""
        self.authenticate("doc_owner", "doc_owner_pw1")
        customer = self.document.partner_id
        ids = []
        for name in ("one.pdf", "two.pdf"):
            answer = self._call_kw(
                "ir.attachment",
                "create",
                [[{"name": name, "datas": base64.b64encode(PDF).decode()}]],
            )
            ids += answer["result"]
        for args in (["", ids[:1]], [[], ids[1:]]):
            answer = self._call_kw(
                "crm.customer.document",
                "create_document_from_attachment",
                args,
                {"context": {"default_partner_id": customer.id}},
            )
            self.assertNotIn("error", answer, answer.get("error"))
            self.assertEqual(answer["result"]["res_model"], "crm.customer.document")
        documents = self.env["crm.customer.document"].search(
            [("name", "in", ("one.pdf", "two.pdf"))]
        )
        self.assertEqual(len(documents), 2)
        self.assertEqual(documents.partner_id, customer)
        self.assertEqual(set(documents.mapped("state")), {"draft"})
        self.assertEqual(sorted(documents.message_main_attachment_id.ids), ids)

    def test_bad_input_over_rpc_names_the_field(self):
        """What the web client or an integration sends over JSON-RPC: a
        clear error naming the field, and no document written."""
        self.authenticate("doc_owner", "doc_owner_pw1")
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_relationship.document_max_file_mb", "0.001"
        )
        company_b = self.env["res.company"].create({"name": "RPC Company B"})
        customer_b = self.env["res.partner"].create(
            {"name": "RPC B customer", "company_id": company_b.id}
        )
        customer = self.document.partner_id.id
        ref = self.env.ref
        contract = ref("crm_relationship.crm_customer_document_type_contract").id
        other = ref("crm_relationship.crm_customer_document_type_other").id
        cases = [
            (
                {"valid_from": "2025-05-01", "valid_until": "2025-04-01"},
                "odoo.exceptions.ValidationError",
                "Valid Until",
            ),
            ({"type_id": contract}, "odoo.exceptions.ValidationError", "needs a File"),
            (
                {"confidentiality": "confidential", "user_id": False},
                "odoo.exceptions.ValidationError",
                "Responsible",
            ),
            (
                {
                    "upload_file": base64.b64encode(b"x" * 5000).decode(),
                    "upload_file_name": "big.bin",
                },
                "odoo.exceptions.ValidationError",
                "over the limit",
            ),
            (
                {"partner_id": customer_b.id},
                "odoo.exceptions.UserError",
                "Customer",
            ),
            (
                {"confidentiality": "secret"},
                "odoo.exceptions.ValidationError",
                "Confidentiality",
            ),
        ]
        for values, error, text in cases:
            vals = {
                "name": "RPC bad input",
                "type_id": other,
                "partner_id": customer,
                **values,
            }
            answer = self._call_kw("crm.customer.document", "create", [[vals]])
            self.assertIn("error", answer, values)
            self.assertEqual(answer["error"]["data"]["name"], error, values)
            self.assertIn(text, answer["error"]["data"]["message"], values)
        self.assertFalse(
            self.env["crm.customer.document"].search([("name", "=", "RPC bad input")])
        )


@tagged("post_install", "-at_install")
class TestCustomerDocumentPortal(HttpCase):
    """/my/documents: what is shared with the customer, downloadable by its
    portal users; anything else is a 404."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.company_partner = Partner.create(
            {"name": "לקוח פורטל בע״מ", "is_company": True}
        )
        other = Partner.create({"name": "Someone Else Ltd", "is_company": True})
        cls.portal_user = new_test_user(
            cls.env,
            login="doc_portal",
            password="doc_portal_pw1",
            name="Portal Reader",
            groups="base.group_portal",
        )
        cls.portal_user.partner_id.parent_id = cls.company_partner
        Document = cls.env["crm.customer.document"]
        doc_type = cls.env.ref("crm_relationship.crm_customer_document_type_receipt")

        def make(name, partner, **values):
            return Document.create(
                {
                    "name": name,
                    "type_id": doc_type.id,
                    "partner_id": partner.id,
                    "upload_file": base64.b64encode(PDF + name.encode()),
                    "upload_file_name": f"{name}.pdf",
                    **values,
                }
            )

        cls.shared = make(
            "Shared receipt", cls.company_partner, shared_with_customer=True
        )
        cls.unshared = make("Internal memo", cls.company_partner)
        cls.foreign = make("Foreign receipt", other, shared_with_customer=True)

    def setUp(self):
        super().setUp()
        self.authenticate("doc_portal", "doc_portal_pw1")

    def test_list_shows_only_shared_documents_of_the_customer(self):
        response = self.url_open("/my/documents")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Shared receipt", response.text)
        self.assertNotIn("Internal memo", response.text)
        self.assertNotIn("Foreign receipt", response.text)

    def test_download_of_a_shared_document(self):
        response = self.url_open(f"/my/documents/{self.shared.id}/download")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, PDF + b"Shared receipt")
        page = self.url_open(f"/my/documents/{self.shared.id}")
        self.assertEqual(page.status_code, 200)

    def test_other_documents_are_404(self):
        for document in (self.unshared, self.foreign):
            for url in (
                f"/my/documents/{document.id}",
                f"/my/documents/{document.id}/download",
                f"/web/content/{document.message_main_attachment_id.id}",
            ):
                response = self.url_open(url)
                self.assertIn(response.status_code, (403, 404), url)
                self.assertNotIn(document.name.encode(), response.content, url)

    def test_access_token_opens_only_a_shared_document(self):
        self.authenticate(None, None)
        shared_token = self.shared._portal_ensure_token()
        response = self.url_open(
            f"/my/documents/{self.shared.id}/download?access_token={shared_token}"
        )
        self.assertEqual(response.content, PDF + b"Shared receipt")
        unshared_token = self.unshared._portal_ensure_token()
        response = self.url_open(
            f"/my/documents/{self.unshared.id}/download?access_token={unshared_token}"
        )
        self.assertEqual(response.status_code, 404)
