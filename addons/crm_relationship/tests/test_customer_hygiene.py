from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import Form, HttpCase, TransactionCase, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.crm_relationship.models.res_partner_hygiene import (
    normalize_name,
    normalize_phone,
    normalize_vat,
)


@tagged("post_install", "-at_install")
class TestCustomerHygiene(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Hygiene Company B"})
        cls.israel = cls.env.ref("base.il")
        cls.usa = cls.env.ref("base.us")
        cls.salesman = cls.env["res.users"].create(
            {"name": "Hygiene Seller", "login": "hygiene_seller"}
        )
        cls.original = cls.Partner.create(
            {
                "name": 'נגריית הצפון בע"מ',
                "is_company": True,
                "vat": "51-444-333-2",
                "email": "Office@Tsafon.example.com ",
                "phone": "+972 4 855 1234",
                "company_id": cls.company_a.id,
            }
        )

    def _filter_domain(self, name):
        view = self.env.ref("base.view_res_partner_filter")
        arch = etree.fromstring(
            self.Partner.get_views([(view.id, "search")])["views"]["search"]["arch"]
        )
        node = arch.xpath(f"//filter[@name='{name}']")
        self.assertTrue(node, f"filter {name} is missing")
        return safe_eval(node[0].get("domain"))

    # keys
    def test_name_key_drops_legal_suffixes_and_folds_final_letters(self):
        self.assertEqual(normalize_name('נגריית הצפון בע"מ'), "נגרייתהצפונ")
        self.assertEqual(normalize_name("נגריית  הצפון בע״מ"), "נגרייתהצפונ")
        self.assertEqual(normalize_name("נגריית-הצפון בעמ"), "נגרייתהצפונ")
        self.assertEqual(normalize_name("Acme Ltd."), "acme")
        self.assertEqual(normalize_name("ACME, Inc"), "acme")
        self.assertEqual(normalize_name("A.C.M.E. Limited"), "acme")
        self.assertEqual(normalize_name("Acme GmbH"), normalize_name("acme llc"))
        self.assertEqual(normalize_name("שלום"), "שלומ")
        self.assertEqual(normalize_name("ך ם ן ף ץ"), "כמנפצ")
        self.assertFalse(normalize_name("Ltd."))
        self.assertFalse(normalize_name(False))
        self.assertEqual(self.original.hygiene_name_key, "נגרייתהצפונ")

    def test_phone_key_is_e164_with_israel_by_default(self):
        self.assertEqual(normalize_phone("050-234-5678"), "+972502345678")
        self.assertEqual(normalize_phone("+972 50 234 5678"), "+972502345678")
        self.assertEqual(normalize_phone("00972-50-2345678"), "+972502345678")
        self.assertEqual(normalize_phone("04-8551234", self.israel), "+97248551234")
        self.assertEqual(normalize_phone("(415) 555-2671", self.usa), "+14155552671")
        self.assertNotEqual(normalize_phone("050-234-5678", self.usa), "+972502345678")
        self.assertFalse(normalize_phone("12"))
        self.assertEqual(self.original.hygiene_phone_key, "+97248551234")
        partner = self.Partner.create({"name": "Mobile Only", "mobile": "052 765 4321"})
        self.assertEqual(partner.hygiene_phone_key, "+972527654321")

    def test_vat_and_email_keys(self):
        self.assertEqual(normalize_vat("51-444 333-2"), "514443332")
        self.assertEqual(normalize_vat("IL 514443332"), "514443332")
        self.assertFalse(normalize_vat("--"))
        self.assertEqual(self.original.hygiene_vat_key, "514443332")
        self.assertEqual(self.original.email_normalized, "office@tsafon.example.com")
        self.original.vat = False
        self.assertFalse(self.original.hygiene_vat_key)

    # candidates
    def test_candidates_by_each_key(self):
        by_vat = self.Partner.create({"name": "Other", "vat": "514443332"})
        by_email = self.Partner.create(
            {"name": "Other 2", "email": "office@tsafon.example.com"}
        )
        by_phone = self.Partner.create({"name": "Other 3", "phone": "04-855-1234"})
        by_name = self.Partner.create({"name": "נגריית הצפון", "is_company": True})
        unrelated = self.Partner.create(
            {"name": "Unrelated", "vat": "999", "phone": "03-5551234"}
        )
        for partner in (by_vat, by_email, by_phone, by_name):
            self.assertEqual(partner.duplicate_partner_ids, self.original, partner.name)
        self.assertFalse(unrelated.duplicate_partner_ids)
        self.assertEqual(
            self.original.duplicate_partner_ids, by_vat | by_email | by_phone | by_name
        )

    def test_contacts_of_a_company_are_not_customers_to_match(self):
        contact = self.Partner.create(
            {"name": "Employee", "parent_id": self.original.id, "phone": "+97248551234"}
        )
        self.assertFalse(contact.duplicate_partner_ids)
        self.assertNotIn(contact, self.original.duplicate_partner_ids)

    def test_candidates_respect_companies(self):
        other_company = self.Partner.create(
            {"name": "Elsewhere", "vat": "514443332", "company_id": self.company_b.id}
        )
        shared = self.Partner.create({"name": "Shared", "vat": "514 443 332"})
        self.assertEqual(self.original.duplicate_partner_ids, shared)
        self.assertEqual(other_company.duplicate_partner_ids, shared)
        # a user of company A only sees the candidates of company A (and shared)
        user_a = self.env["res.users"].create(
            {
                "name": "Hygiene User A",
                "login": "hygiene_user_a",
                "company_id": self.company_a.id,
                "company_ids": [(6, 0, self.company_a.ids)],
            }
        )
        self.assertEqual(shared.with_user(user_a).duplicate_partner_ids, self.original)
        self.assertEqual(shared.duplicate_partner_ids, self.original | other_company)
        self.assertNotIn(other_company, self.original.duplicate_partner_ids)

    def test_warning_on_the_form_never_blocks_saving(self):
        form = Form(self.Partner)
        form.company_type = "company"
        form.name = "Nagariyat Hatsafon"
        self.assertFalse(form.duplicate_partner_ids)
        form.vat = "514-443-332"
        self.assertEqual(form.duplicate_partner_ids.ids, self.original.ids)
        partner = form.save()
        self.assertEqual(partner.duplicate_partner_ids, self.original)
        self.assertIn(partner, self.original.duplicate_partner_ids)
        with Form(self.original) as edit:
            self.assertIn(partner, edit.duplicate_partner_ids)
            edit.vat = "111"
            edit.email = False
            edit.phone = False
            edit.name = "New Name"
            self.assertFalse(edit.duplicate_partner_ids)

    def test_merge_opens_odoo_wizard_with_the_candidates(self):
        twin = self.Partner.create({"name": "Twin", "vat": "514443332"})
        action = self.original.action_merge_duplicates()
        self.assertEqual(action["res_model"], "base.partner.merge.automatic.wizard")
        self.assertEqual(
            sorted(action["context"]["active_ids"]), sorted((self.original | twin).ids)
        )
        wizard = (
            self.env[action["res_model"]].with_context(**action["context"]).create({})
        )
        self.assertEqual(wizard.state, "selection")
        self.assertEqual(wizard.partner_ids, self.original | twin)
        wizard.action_merge()
        self.assertEqual(len((self.original | twin).exists()), 1)

    def test_possible_duplicates_are_grouped(self):
        twin = self.Partner.create(
            {"name": "Twin", "vat": "514443332", "company_id": self.company_a.id}
        )
        chained = self.Partner.create({"name": "Chained", "phone": "0548880000"})
        twin.phone = "+972 54 888 0000"
        other_company = self.Partner.create(
            {"name": "Elsewhere", "vat": "514443332", "company_id": self.company_b.id}
        )
        lonely = self.Partner.create({"name": "Lonely Hygiene", "vat": "7777777"})
        pair_b1 = self.Partner.create(
            {"name": "Pair Beta", "email": "beta@pair.example.com"}
        )
        pair_b2 = self.Partner.create(
            {"name": "Pair Beta 2", "email": "Beta@Pair.example.com"}
        )
        action = self.Partner.action_open_possible_duplicates()
        self.assertEqual(action["context"], "{'group_by': 'duplicate_group_id'}")
        group = self.original | twin | chained
        self.assertEqual(group.duplicate_group_id, self.original)
        self.assertEqual((pair_b1 | pair_b2).duplicate_group_id, pair_b1)
        self.assertFalse(other_company.duplicate_group_id)
        self.assertFalse(lonely.duplicate_group_id)
        listed = self.Partner.search(safe_eval(action["domain"]))
        self.assertTrue(group | pair_b1 | pair_b2 <= listed)
        self.assertFalse((other_company | lonely) & listed)
        # a change is reflected at the next opening
        twin.write({"vat": False, "phone": False})
        self.Partner.action_open_possible_duplicates()
        self.assertFalse((self.original | twin | chained).duplicate_group_id)

    def test_only_relationship_users_refresh_the_groups(self):
        portal = self.env["res.users"].create(
            {
                "name": "Hygiene Portal",
                "login": "hygiene_portal",
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        with self.assertRaises(AccessError):
            self.Partner.with_user(portal).action_open_possible_duplicates()
        user = self.env["res.users"].create(
            {
                "name": "Hygiene Relationship User",
                "login": "hygiene_rel_user",
                "groups_id": [(6, 0, [self.env.ref("crm_relationship.group_user").id])],
            }
        )
        action = self.Partner.with_user(user).action_open_possible_duplicates()
        self.assertEqual(action["res_model"], "res.partner")

    def test_shared_customer_joins_companies_in_one_group(self):
        other_company = self.Partner.create(
            {"name": "Elsewhere", "vat": "514443332", "company_id": self.company_b.id}
        )
        shared = self.Partner.create({"name": "Shared", "vat": "514-443-332"})
        self.Partner._hygiene_refresh_duplicate_groups()
        self.assertEqual(
            (self.original | other_company | shared).duplicate_group_id, self.original
        )

    # completeness
    def test_completeness_score_and_filters(self):
        full = self.Partner.create(
            {
                "name": "Complete Customer",
                "vat": "123456782",
                "email": "full@example.com",
                "phone": "03-1234567",
                "street": "Herzl 1",
                "city": "Haifa",
                "country_id": self.israel.id,
                "user_id": self.salesman.id,
            }
        )
        self.assertEqual(full.completeness_score, 100)
        empty = self.Partner.create({"name": "Empty Customer"})
        self.assertEqual(empty.completeness_score, 0)
        no_city = self.Partner.create(
            {
                "name": "No City",
                "street": "Herzl 1",
                "country_id": self.israel.id,
                "mobile": "050-555-1234",
            }
        )
        self.assertEqual(no_city.completeness_score, 20)
        self.assertEqual(self.original.completeness_score, 60)
        full.user_id = False
        self.assertEqual(full.completeness_score, 80)
        full.user_id = self.salesman
        scope = full | empty | no_city | self.original
        expected = {
            "incomplete": empty | no_city | self.original,
            "missing_vat": empty | no_city,
            "missing_email": empty | no_city,
            "missing_phone": empty,
            "missing_address": empty | no_city | self.original,
            "missing_salesperson": empty | no_city | self.original,
        }
        for name, partners in expected.items():
            found = self.Partner.search(
                self._filter_domain(name) + [("id", "in", scope.ids)]
            )
            self.assertEqual(found, partners, name)

    # performance
    def test_form_read_does_not_grow_with_candidates(self):
        spec = {
            "display_name": {},
            "duplicate_partner_ids": {"fields": {"display_name": {}}},
            "completeness_score": {},
        }

        def queries_for(count):
            partner = self.Partner.create(
                {"name": f"Crowd {count}", "phone": f"03-55{count:05d}"}
            )
            self.Partner.create(
                [
                    {"name": f"Crowd twin {count} {i}", "phone": partner.phone}
                    for i in range(count)
                ]
            )
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            result = partner.web_read(spec)
            self.assertTrue(result[0]["duplicate_partner_ids"])
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries_for(10), queries_for(100))


@tagged("post_install", "-at_install")
class TestCustomerHygieneUi(HttpCase):
    def test_duplicate_warning_and_merge_on_the_form(self):
        Partner = self.env["res.partner"]
        Partner.create(
            {"name": "Hygiene Tour Original", "is_company": True, "vat": "52-123-4567"}
        )
        copy = Partner.create(
            {"name": "Hygiene Tour Copy", "is_company": True, "vat": "521234567"}
        )
        self.start_tour(
            f"/odoo/contacts/{copy.id}", "crm_relationship_hygiene_tour", login="admin"
        )
        self.assertEqual(copy.name, "Hygiene Tour Copy Renamed")
