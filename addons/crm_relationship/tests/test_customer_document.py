import base64
from contextlib import contextmanager
from datetime import date
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipCase

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def text_pdf(text):
    """A one-page PDF showing ``text`` (what pdfminer reads back)."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    return pdf + b"startxref\n%d\n%%%%EOF\n" % xref


class CustomerDocumentCase(CrmRelationshipCase):
    @contextmanager
    def assertRaisesMessage(self, exception, text):
        """assertRaises (rolled back to a savepoint, as a failed RPC call
        is) and the message names what is wrong."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Document = cls.env["crm.customer.document"]
        cls.type_contract = cls.env.ref(
            "crm_relationship.crm_customer_document_type_contract"
        )
        cls.type_quote = cls.env.ref(
            "crm_relationship.crm_customer_document_type_quote"
        )
        cls.type_legal = cls.env.ref(
            "crm_relationship.crm_customer_document_type_legal"
        )
        cls.type_other = cls.env.ref(
            "crm_relationship.crm_customer_document_type_other"
        )
        cls.type_complaint = cls.env.ref(
            "crm_relationship.crm_customer_document_type_complaint"
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="rel_salesman_2",
            name="Avi Other",
            email="avi@example.com",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company_a.id,
        )

    def _document(self, **values):
        vals = {
            "name": "Maintenance contract",
            "type_id": self.type_other.id,
            "partner_id": self.customer.id,
            "user_id": self.salesman.id,
            **values,
        }
        return self.Document.create(vals)

    def _contract(self, valid_from, **values):
        return self._document(
            type_id=self.type_contract.id,
            valid_from=valid_from,
            upload_file=base64.b64encode(PDF),
            upload_file_name="contract.pdf",
            **values,
        )


@tagged("post_install", "-at_install")
class TestCustomerDocument(CustomerDocumentCase):
    # ------------------------------------------------------------------
    # states
    # ------------------------------------------------------------------

    @freeze_time("2025-03-01")
    def test_states_follow_the_dates(self):
        contract = self._contract(date(2024, 3, 15))
        self.assertEqual(contract.valid_until, date(2025, 3, 14), "12 months")
        self.assertEqual(contract.state, "expiring", "within 60 days of the end")
        contract.valid_until = date(2026, 1, 1)
        self.assertEqual(contract.state, "valid", "kept right on write")
        contract.valid_until = date(2025, 2, 1)
        self.assertEqual(contract.state, "expired")
        draft = self._document(
            state="draft", valid_from=date(2024, 1, 1), valid_until=date(2025, 1, 1)
        )
        self.assertEqual(draft.state, "draft", "a draft keeps its state")
        draft.action_confirm()
        self.assertEqual(draft.state, "expired")
        draft.action_cancel()
        self.assertEqual(draft.state, "cancelled")
        no_expiry = self._document()
        self.assertEqual(no_expiry.state, "valid")

    def test_daily_cron_moves_states_as_days_pass(self):
        with freeze_time("2025-01-01"):
            contract = self._contract(date(2025, 1, 1))  # until 2025-12-31
            self.assertEqual(contract.state, "valid")
        with freeze_time("2025-11-10"):
            self.Document._cron_refresh_states(date(2025, 11, 10))
            self.assertEqual(contract.state, "expiring")
        with freeze_time("2026-01-01"):
            self.Document._cron_refresh_states(date(2026, 1, 1))
            self.assertEqual(contract.state, "expired")
            self.assertEqual(self.Document._cron_refresh_states(date(2026, 1, 1)), 0)

    # ------------------------------------------------------------------
    # versions and the supersede chain
    # ------------------------------------------------------------------

    def test_new_version_keeps_the_previous_file(self):
        contract = self._contract(date.today())
        first = contract.message_main_attachment_id
        self.assertEqual(first.res_model, "crm.customer.document")
        self.assertEqual(first.res_id, contract.id)
        contract.write(
            {"upload_file": base64.b64encode(PDF + b"v2"), "upload_file_name": "v2.pdf"}
        )
        self.assertEqual(contract.message_main_attachment_id.name, "v2.pdf")
        self.assertEqual(contract.version_attachment_ids, first)
        self.assertEqual(contract.version_count, 2)
        self.assertTrue(first.exists(), "the earlier version is kept")

    def test_replace_by_a_new_document_links_both_ways(self):
        with freeze_time("2025-01-01"):
            contract = self._contract(date(2024, 1, 1))
            action = contract.action_replace()
        successor = self.Document.browse(action["res_id"])
        self.assertEqual(contract.state, "superseded")
        self.assertEqual(contract.successor_id, successor)
        self.assertEqual(successor.predecessor_id, contract)
        self.assertEqual(successor.state, "draft")
        self.assertEqual(successor.valid_from, date(2025, 1, 1))
        self.assertEqual(successor.valid_until, date(2025, 12, 31))
        successor.write({"upload_file": base64.b64encode(PDF)})
        successor.action_confirm()
        third = self.Document.browse(successor.action_replace()["res_id"])
        self.assertEqual(
            third.chain_ids.ids,
            [contract.id, successor.id, third.id],
            "the whole history reads in order",
        )
        self.assertEqual(contract.chain_ids, third.chain_ids)
        with self.assertRaises(UserError):
            contract.action_replace()

    # ------------------------------------------------------------------
    # bad input
    # ------------------------------------------------------------------

    def test_valid_until_before_valid_from_is_refused(self):
        with self.assertRaisesMessage(ValidationError, "Valid Until"):
            self._document(valid_from=date(2025, 5, 1), valid_until=date(2025, 4, 1))
        document = self._document(valid_from=date(2025, 5, 1))
        with self.assertRaisesMessage(ValidationError, "Valid Until"):
            document.valid_until = date(2025, 1, 1)

    def test_type_requiring_a_file_refuses_a_document_without_one(self):
        with self.assertRaisesMessage(ValidationError, "needs a File"):
            self._document(type_id=self.type_contract.id)
        draft = self._document(type_id=self.type_contract.id, state="draft")
        with self.assertRaisesMessage(ValidationError, "needs a File"):
            draft.action_confirm()
        draft.invalidate_recordset()
        self.assertEqual(draft.state, "draft", "nothing partly written")

    def test_confidential_without_responsible_is_refused(self):
        with self.assertRaisesMessage(ValidationError, "Responsible"):
            self._document(confidentiality="confidential", user_id=False)
        with self.assertRaisesMessage(ValidationError, "Shared with Customer"):
            self._document(confidentiality="confidential", shared_with_customer=True)

    def test_unknown_selection_value_names_the_field(self):
        with self.assertRaisesMessage(ValidationError, "Confidentiality"):
            self._document(confidentiality="secret")

    def test_file_over_the_size_limit_is_refused(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_relationship.document_max_file_mb", "0.001"
        )
        with self.assertRaisesMessage(ValidationError, "over the limit"):
            self._document(
                upload_file=base64.b64encode(b"x" * 5000), upload_file_name="big.bin"
            )
        self.assertFalse(self.Document.search([("name", "=", "Maintenance contract")]))

    def test_customer_of_another_company_is_refused(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        customer_b = self.env["res.partner"].create(
            {"name": "B customer", "company_id": company_b.id}
        )
        with self.assertRaisesMessage(UserError, "Customer"):
            self._document(partner_id=customer_b.id, company_id=self.company_a.id)

    def test_bad_reminder_offsets_are_refused(self):
        with self.assertRaisesMessage(ValidationError, "Reminders"):
            self.type_other.reminder_offsets = "30,soon"

    # ------------------------------------------------------------------
    # reminders, renewals, digest
    # ------------------------------------------------------------------

    def _reminders(self, document):
        return self.env["mail.activity"].search(
            [("res_model", "=", document._name), ("res_id", "=", document.id)]
        )

    def test_reminders_once_per_offset_and_rearmed_by_a_new_date(self):
        with freeze_time("2025-01-01"):
            contract = self._contract(date(2025, 1, 1))  # until 2025-12-31
        Document = self.Document
        Document._cron_send_reminders(date(2025, 10, 1))
        self.assertFalse(self._reminders(contract), "93 days before: nothing yet")
        Document._cron_send_reminders(date(2025, 11, 1))
        self.assertEqual(len(self._reminders(contract)), 1, "the 60 days reminder")
        self.assertEqual(self._reminders(contract).user_id, self.salesman)
        Document._cron_send_reminders(date(2025, 11, 1))
        Document._cron_send_reminders(date(2025, 11, 5))
        self.assertEqual(len(self._reminders(contract)), 1, "rerunning creates nothing")
        Document._cron_send_reminders(date(2025, 12, 28))
        self.assertEqual(
            len(self._reminders(contract)), 2, "30 and 7 passed: only the nearest"
        )
        self.assertEqual(contract.reminded_offset, 7)
        with freeze_time("2025-12-28"):
            contract.valid_until = date(2026, 1, 20)
            self.assertFalse(contract.reminded_offset, "a new date re-arms")
            Document._cron_send_reminders(date(2025, 12, 28))
        self.assertEqual(len(self._reminders(contract)), 3)

    def test_reminder_mails_the_customer_contact(self):
        with freeze_time("2025-01-01"):
            contract = self._contract(date(2025, 1, 1), contact_id=self.contact.id)
        with self.mock_mail_gateway():
            self.Document._cron_send_reminders(date(2025, 12, 1))
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", contract._name), ("res_id", "=", contract.id)])
        )
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.contact)
        self.assertIn("expires on", mail.subject)
        self.assertIn(self.salesman.email, mail.email_from)

    def test_renewal_opportunity_once_per_expiry(self):
        with freeze_time("2025-01-01"):
            contract = self._contract(date(2025, 1, 1), amount=1200)
        self.Document._cron_open_renewals(date(2025, 11, 15))
        lead = contract.renewal_lead_id
        self.assertTrue(lead)
        self.assertEqual(lead.renewal_document_id, contract, "linked both ways")
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(lead.type, "opportunity")
        self.Document._cron_open_renewals(date(2025, 11, 16))
        self.assertEqual(
            self.env["crm.lead"].search_count(
                [("renewal_document_id", "=", contract.id)]
            ),
            1,
        )
        quote = self._document(
            type_id=self.type_quote.id,
            valid_from=date(2025, 11, 1),
            valid_until=date(2025, 11, 20),
        )
        self.Document._cron_open_renewals(date(2025, 11, 16))
        self.assertFalse(quote.renewal_lead_id, "quotes open no renewal")

    def test_digest_to_managers_once_a_day(self):
        with freeze_time("2025-01-01"):
            self._contract(date(2025, 1, 1))
        with self.mock_mail_gateway():
            sent = self.Document._cron_send_digest(date(2025, 12, 15))
            again = self.Document._cron_send_digest(date(2025, 12, 15))
        self.assertEqual(sent, 1)
        self.assertEqual(again, 0)
        digest = (
            self.env["mail.mail"]
            .sudo()
            .search([("subject", "like", "expire within 30 days")])
        )
        self.assertEqual(len(digest), 1)
        self.assertIn(self.relationship_manager.partner_id, digest.recipient_ids)
        self.assertNotIn(self.salesman.partner_id, digest.recipient_ids)
        self.assertIn("Maintenance contract", str(digest.body_html))

    # ------------------------------------------------------------------
    # confidential documents
    # ------------------------------------------------------------------

    def test_confidential_documents_only_for_those_allowed(self):
        secret = self._document(
            type_id=self.type_legal.id,
            upload_file=base64.b64encode(PDF),
            allowed_user_ids=[Command.link(self.agent_user().id)],
        )
        self.assertEqual(secret.confidentiality, "confidential", "the type's default")
        normal = self._document()
        visible = self.Document.with_user(self.other_salesman).search(
            [("id", "in", (secret | normal).ids)]
        )
        self.assertEqual(visible, normal)
        for user in (self.salesman, self.relationship_manager, self.agent_user()):
            self.assertEqual(
                self.Document.with_user(user).search([("id", "=", secret.id)]), secret
            )
        attachment = secret.message_main_attachment_id
        with self.assertRaises(AccessError):
            attachment.with_user(self.other_salesman).read(["datas"])
        self.assertTrue(attachment.with_user(self.salesman).read(["datas"])[0]["datas"])
        message = secret.message_post(
            body="signed copy",
            attachments=[("signed.pdf", PDF)],
            message_type="comment",
        )
        with self.assertRaises(AccessError):
            message.attachment_ids.with_user(self.other_salesman).read(["datas"])

    def agent_user(self):
        return self.env["res.users"].search([("login", "=", "rel_doc_allowed")]) or (
            new_test_user(
                self.env,
                login="rel_doc_allowed",
                name="Allowed Reader",
                groups="crm_relationship.group_user",
            )
        )

    # ------------------------------------------------------------------
    # capture
    # ------------------------------------------------------------------

    def test_register_an_interaction_file_as_document(self):
        file = self.env["ir.attachment"].create({"name": "scan.pdf", "raw": PDF})
        interaction = self._interaction(attachment_ids=[Command.link(file.id)])
        action = self.env["crm.customer.document.register"]._action_open(
            record=interaction
        )
        wizard = self.env["crm.customer.document.register"].browse(action["res_id"])
        self.assertEqual(wizard.partner_id, self.customer)
        wizard.write(
            {
                "type_id": self.type_quote.id,
                "attachment_ids": [Command.set(file.ids)],
            }
        )
        result = wizard.action_register()
        document = self.Document.browse(result["res_id"])
        self.assertEqual(document.partner_id, self.customer)
        self.assertEqual(document.interaction_id, interaction)
        self.assertEqual(document.related_record, interaction)
        self.assertEqual(document.state, "draft")
        main = document.message_main_attachment_id
        self.assertNotEqual(main, file, "the interaction keeps its own file")
        self.assertEqual(main.checksum, file.checksum, "same stored file")
        self.assertEqual(main.store_fname, file.store_fname, "not uploaded again")

    def test_files_dropped_on_the_list_become_drafts_of_the_customer(self):
        files = self.env["ir.attachment"].create(
            [{"name": f"scan{i}.pdf", "raw": PDF} for i in range(3)]
        )
        action = self.Document.with_context(
            default_partner_id=self.customer.id
        ).create_document_from_attachment(files.ids)
        documents = self.Document.search(action["domain"])
        self.assertEqual(len(documents), 3)
        self.assertEqual(set(documents.mapped("state")), {"draft"})
        self.assertEqual(documents.partner_id, self.customer)
        self.assertEqual(documents.message_main_attachment_id, files)
        self.assertEqual(set(files.mapped("res_model")), {"crm.customer.document"})

    def test_complaint_opens_a_ticket(self):
        complaint = self._document(type_id=self.type_complaint.id, notes="<p>Late</p>")
        action = complaint.action_open_ticket()
        ticket = self.env["crm.service.ticket"].browse(action["res_id"])
        self.assertEqual(complaint.ticket_id, ticket)
        self.assertEqual(complaint.related_record, ticket)
        self.assertEqual(ticket.commercial_partner_id, self.customer)
        self.assertEqual(complaint.action_open_ticket()["res_id"], ticket.id, "once")

    def _email(self, sender, files):
        message = MIMEMultipart()
        message["From"] = sender
        message["To"] = "documents@test.mycompany.com"
        message["Subject"] = "Signed papers"
        message["Message-Id"] = f"<{len(files)}.{sender}@example.com>"
        message.attach(MIMEText("Please find the papers attached.", "plain"))
        for name in files:
            part = MIMEApplication(PDF, Name=name)
            part["Content-Disposition"] = f'attachment; filename="{name}"'
            message.attach(part)
        return message.as_string()

    def test_email_alias_known_sender_several_attachments(self):
        raw = self._email("Yael Levi <yael@electra.example.com>", ["a.pdf", "b.pdf"])
        self.env["mail.thread"].message_process("crm.customer.document", raw)
        documents = self.Document.search([("name", "in", ["a.pdf", "b.pdf"])])
        self.assertEqual(len(documents), 2)
        self.assertEqual(documents.partner_id, self.contact)
        self.assertEqual(documents.commercial_partner_id, self.customer)
        self.assertEqual(set(documents.mapped("state")), {"draft"})
        for document in documents:
            self.assertEqual(document.message_main_attachment_id.name, document.name)
        interaction = self.env["crm.interaction"].search(
            [("name", "=", "Signed papers")]
        )
        self.assertEqual(len(interaction), 1, "the email is logged as an interaction")
        self.assertEqual(interaction.commercial_partner_id, self.customer)

    def test_email_alias_unknown_sender(self):
        raw = self._email("stranger@nowhere.example.com", ["x.pdf"])
        self.env["mail.thread"].message_process("crm.customer.document", raw)
        document = self.Document.search([("name", "=", "x.pdf")])
        self.assertEqual(len(document), 1)
        self.assertFalse(document.partner_id)
        self.assertTrue(document.activity_ids, "someone must assign it")
        self.assertIn(
            document.activity_ids.user_id,
            self.env.ref("crm_relationship.group_manager").users,
        )

    def test_alias_is_shipped(self):
        alias = self.env.ref("crm_relationship.crm_customer_document_alias")
        self.assertEqual(alias.alias_name, "documents")
        self.assertEqual(alias.alias_model_id.model, "crm.customer.document")
        self.assertEqual(self.env.ref("base.main_company").crm_document_alias_id, alias)

    def test_each_company_gets_its_documents_alias(self):
        """A second company on its own alias domain gets documents@ there;
        an email to it becomes a draft document of that company's customer."""
        domain_b = self.env["mail.alias.domain"].create({"name": "b.example.com"})
        company_b = self.env["res.company"].create(
            {"name": "Company B", "alias_domain_id": domain_b.id}
        )
        # the daily cron gives companies created since their alias
        self.env["res.company"]._crm_document_ensure_aliases()
        alias_b = company_b.crm_document_alias_id
        self.assertEqual(alias_b.alias_name, "documents")
        self.assertEqual(alias_b.alias_domain_id, domain_b)
        self.assertEqual(alias_b.alias_model_id.model, "crm.customer.document")
        self.assertEqual(alias_b.alias_full_name, "documents@b.example.com")
        self.assertNotEqual(alias_b, self.env.company.crm_document_alias_id)
        customer_b = self.env["res.partner"].create(
            {
                "name": "B customer",
                "email": "buyer@customer-b.example.com",
                "company_id": company_b.id,
            }
        )
        raw = self._email("buyer@customer-b.example.com", ["b1.pdf", "b2.pdf"])
        raw = raw.replace("documents@test.mycompany.com", "documents@b.example.com")
        self.env["mail.thread"].message_process(None, raw)
        documents = self.Document.search([("name", "in", ["b1.pdf", "b2.pdf"])])
        self.assertEqual(len(documents), 2)
        self.assertEqual(documents.company_id, company_b)
        self.assertEqual(documents.partner_id, customer_b)
        # a third company on the same alias domain: documents@ is taken there
        company_c = self.env["res.company"].create(
            {"name": "Company C", "alias_domain_id": domain_b.id}
        )
        self.env["res.company"]._crm_document_ensure_aliases()
        self.assertEqual(
            company_c.crm_document_alias_id.alias_name, "documents-company-c"
        )
        # the main company's address still routes to the main company, and
        # follows the company to another alias domain
        domain_a = self.env["mail.alias.domain"].create({"name": "a.example.com"})
        self.env.company.alias_domain_id = domain_a
        self.env["res.company"]._crm_document_ensure_aliases()
        main_alias = self.env.company.crm_document_alias_id
        self.assertEqual(main_alias.alias_full_name, "documents@a.example.com")
        raw = self._email("Yael Levi <yael@electra.example.com>", ["main.pdf"])
        raw = raw.replace("documents@test.mycompany.com", main_alias.alias_full_name)
        self.env["mail.thread"].message_process(None, raw)
        document = self.Document.search([("name", "=", "main.pdf")])
        self.assertEqual(document.company_id, self.env.company)
        self.assertEqual(document.commercial_partner_id, self.customer)

    def test_an_asset_shows_its_documents(self):
        product = self.env["product.product"].create({"name": "Air conditioner"})
        asset = self.env["crm.customer.asset"].create(
            {
                "name": "AC 2nd floor",
                "partner_id": self.customer.id,
                "product_id": product.id,
            }
        )
        linked = self._document(
            name="Warranty", related_record=f"{asset._name},{asset.id}"
        )
        self.assertEqual(linked.asset_id, asset)
        self.assertEqual((linked.res_model, linked.res_id), (asset._name, asset.id))
        by_field = self._document(name="Install report", asset_id=asset.id)
        self._document(name="Unrelated")
        self.assertEqual(asset.customer_document_count, 2)
        action = asset.action_view_customer_documents()
        self.assertEqual(self.Document.search(action["domain"]), linked | by_field)
        created = self.Document.with_context(**action["context"]).create(
            {"name": "Service report", "type_id": self.type_other.id}
        )
        self.assertEqual(created.asset_id, asset)
        self.assertEqual(created.related_record, asset)
        self.assertEqual(created.commercial_partner_id, self.customer)
        # the form's Reference field fills the asset link as well
        form_linked = self._document(name="Photo")
        form_linked.related_record = asset
        self.assertEqual(form_linked.asset_id, asset)

    # ------------------------------------------------------------------
    # search, customer, history
    # ------------------------------------------------------------------

    def test_search_finds_words_inside_files(self):
        document = self._document(
            upload_file=base64.b64encode(b"Clause 7: penalty for late delivery"),
            upload_file_name="terms.txt",
        )
        self.assertEqual(
            self.Document.search([("file_content", "ilike", "penalty")]), document
        )
        self.assertFalse(self.Document.search([("file_content", "ilike", "zebra")]))

    def test_search_finds_words_inside_pdf_files(self):
        document = self._document(
            upload_file=base64.b64encode(text_pdf("Arbitration in Haifa")),
            upload_file_name="terms.pdf",
        )
        self.assertIn(
            "Arbitration in Haifa", document.message_main_attachment_id.index_content
        )
        self.assertEqual(
            self.Document.search([("file_content", "ilike", "arbitration in haifa")]),
            document,
        )

    def test_customer_smart_button_counts_and_nearest_expiry(self):
        with freeze_time("2025-01-01"):
            self._contract(date(2025, 1, 1))
            self._document(valid_until=date(2025, 6, 1))
            self._document(state="cancelled")
            self.contact.invalidate_recordset()
            self.assertEqual(self.contact.customer_document_count, 2)
            self.assertEqual(
                self.contact.customer_document_next_expiry, date(2025, 6, 1)
            )
            action = self.customer.action_view_customer_documents()
            self.assertEqual(action["context"]["default_partner_id"], self.customer.id)

    def test_expired_documents_show_red_wherever_listed(self):
        """The documents list and kanban, the customer's History tab and the
        full history color expired documents red."""
        arches = {
            "documents list": self.Document.get_view(view_type="list")["arch"],
            "documents kanban": self.Document.get_view(view_type="kanban")["arch"],
            "history tab": self.env["res.partner"].get_view(view_type="form")["arch"],
            "full history": self.env.ref(
                "crm_relationship.crm_customer_timeline_view_list"
            ).arch,
        }
        for where, arch in arches.items():
            self.assertRegex(
                arch,
                r"decoration-danger=\"(state|kind) == '(document_)?expired'\""
                r"|text-bg-danger",
                where,
            )

    def test_history_rows_hide_confidential_documents(self):
        with freeze_time("2025-01-01"):
            contract = self._contract(date(2025, 1, 1), issued_on=date(2024, 12, 20))
            secret = self._document(
                name="Settlement",
                type_id=self.type_legal.id,
                upload_file=base64.b64encode(PDF),
                valid_until=date(2099, 1, 1),
            )
        Timeline = self.env["crm.customer.timeline"]
        domain = [
            ("partner_id", "=", self.customer.id),
            ("res_model", "=", "crm.customer.document"),
        ]
        rows = Timeline.with_user(self.salesman).search(domain)
        self.assertEqual(
            sorted(rows.mapped("kind")),
            ["document", "document", "document_expired", "document_expires"],
        )
        self.assertIn("Contract: Maintenance contract", rows.mapped("title"))
        other_rows = Timeline.with_user(self.other_salesman).search(domain)
        self.assertEqual(set(other_rows.mapped("res_id")), {contract.id})
        self.assertNotIn(secret.id, other_rows.mapped("res_id"))
