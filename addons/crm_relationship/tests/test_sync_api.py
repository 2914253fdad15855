import json

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestPushCustomers(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sync_user = new_test_user(
            cls.env, login="rel_sync_push", groups="crm_relationship.group_sync"
        )
        cls.Partner = cls.env["res.partner"].with_user(cls.sync_user)
        for partner in cls.customer | cls.other_customer:
            partner.customer_rank = 1

    def _changes(self, **kwargs):
        return self.Partner.sync_push_changes("phones", **kwargs)

    def _push_all(self):
        changes = self._changes()
        self.Partner.sync_push_record(
            "phones",
            [
                {
                    "partner_id": customer["partner_id"],
                    "external_id": customer["uid"],
                    "href": f"/book/{customer['uid']}.vcf",
                    "etag": '"1"',
                    "content_hash": customer["content_hash"],
                }
                for customer in changes["upserts"]
            ],
        )
        return changes

    def test_first_push_then_nothing_then_only_the_change(self):
        changes = self._push_all()
        pushed = {c["partner_id"]: c for c in changes["upserts"]}
        self.assertIn(self.customer.id, pushed)
        self.assertIn(self.other_customer.id, pushed)
        self.assertNotIn(self.contact.id, pushed, "contacts go with their company")
        hebrew = pushed[self.customer.id]
        self.assertEqual(hebrew["name"], "אלקטרה שירותים בע״מ")
        self.assertTrue(hebrew["uid"].endswith(f"-partner-{self.customer.id}"))
        self.assertFalse(hebrew["binding"])
        self.assertEqual(self._changes()["upserts"], [], "nothing changed")
        self.customer.phone = "+972 3 555 0101"
        again = self._changes()["upserts"]
        self.assertEqual([c["partner_id"] for c in again], [self.customer.id])
        self.assertEqual(again[0]["binding"]["href"], f"/book/{hebrew['uid']}.vcf")

    def test_archived_and_deleted_customers_are_deleted_remotely(self):
        self._push_all()
        self.other_customer.active = False
        deletes = self._changes()["deletes"]
        self.assertEqual(len(deletes), 1)
        self.Partner.sync_push_record(
            "phones", [{"binding_id": deletes[0]["binding_id"], "deleted": True}]
        )
        self.assertEqual(self._changes()["deletes"], [])

    def test_merged_customer_is_deleted_remotely(self):
        self._push_all()
        duplicate = self.other_customer
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge((self.customer | duplicate).ids, self.customer)
        self.assertFalse(duplicate.exists())
        deletes = self._changes()["deletes"]
        self.assertEqual(len(deletes), 1)
        self.assertTrue(deletes[0]["uid"].endswith(f"-partner-{duplicate.id}"))

    def test_refused_customer_is_an_issue_and_counts_go_on_the_run(self):
        Run = self.env["crm.sync.run"].with_user(self.sync_user)
        run_id = Run.sync_start("phones", "push")["run_id"]
        changes = self._changes()
        by_partner = {c["partner_id"]: c for c in changes["upserts"]}
        refused = by_partner.pop(self.other_customer.id)
        self.Partner.sync_push_record(
            "phones",
            [
                {
                    "partner_id": refused["partner_id"],
                    "error": "HTTP 413: the card is too large",
                },
                *(
                    {
                        "partner_id": c["partner_id"],
                        "href": f"/book/{c['uid']}.vcf",
                        "content_hash": c["content_hash"],
                    }
                    for c in by_partner.values()
                ),
            ],
            run_id=run_id,
        )
        issue = self.env["crm.sync.issue"].search([("job_id.name", "=", "phones")])
        self.assertIn("HTTP 413", issue.reason)
        self.assertIn(self.other_customer.name, issue.reason)
        # the refused customer is offered again next time
        self.assertIn(
            self.other_customer.id,
            [c["partner_id"] for c in self._changes()["upserts"]],
        )
        counts = Run.sync_finish(run_id, "done_with_rejects")
        self.assertEqual((counts["pushed"], counts["failed"]), (len(by_partner), 1))
        # pushed at last: the issue is resolved
        self.Partner.sync_push_record(
            "phones",
            [
                {
                    "partner_id": refused["partner_id"],
                    "href": "/book/x.vcf",
                    "content_hash": refused["content_hash"],
                }
            ],
        )
        self.assertEqual(issue.state, "resolved")

    def test_full_refresh_sends_everyone_once_per_run(self):
        self._push_all()
        Run = self.env["crm.sync.run"].with_user(self.sync_user)
        run_id = Run.sync_start("phones", "push")["run_id"]
        first = self._changes(limit=1, full_refresh=True)["upserts"]
        self.Partner.sync_push_record(
            "phones",
            [
                {
                    "partner_id": c["partner_id"],
                    "href": "/book/x.vcf",
                    "content_hash": c["content_hash"],
                }
                for c in first
            ],
            run_id=run_id,
        )
        rest = self._changes(full_refresh=True)["upserts"]
        # in the same second too: what this run sent is not sent again
        self.assertTrue(rest)
        self.assertFalse(
            {c["partner_id"] for c in first} & {c["partner_id"] for c in rest}
        )

    def test_paging(self):
        self.env["res.partner"].create(
            [{"name": f"Customer {i}", "customer_rank": 1} for i in range(5)]
        )
        first = self._changes(limit=3)
        self.assertEqual(len(first["upserts"]), 3)
        self.assertTrue(first["more"])


@tagged("post_install", "-at_install")
class TestSyncOverJsonRpc(HttpCase):
    """The integration user calls the sync methods over /jsonrpc with an API
    key, as the sync service does."""

    def setUp(self):
        super().setUp()
        self.env.ref("base.ILS").active = True
        self.sync_user = new_test_user(
            self.env, login="rel_sync_rpc", groups="crm_relationship.group_sync"
        )
        self.api_key = (
            self.env["res.users.apikeys"]
            .with_user(self.sync_user)
            .sudo()
            ._generate("rpc", "sync service", False)
        )
        self.customer = self.env["res.partner"].create(
            {"name": "RPC Customer", "is_company": True, "vat": "IL516000000"}
        )

    def _rpc(self, service, method, *args):
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"service": service, "method": method, "args": args},
                    "id": 1,
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        return response

    def _call(self, uid, model, method, *args, **kwargs):
        return self._rpc(
            "object",
            "execute_kw",
            self.env.cr.dbname,
            uid,
            self.api_key,
            model,
            method,
            list(args),
            kwargs,
        )

    def test_import_page_over_rpc_and_nothing_else(self):
        uid = self._rpc(
            "common",
            "authenticate",
            self.env.cr.dbname,
            "rel_sync_rpc",
            self.api_key,
            {},
        )["result"]
        self.assertEqual(uid, self.sync_user.id)
        started = self._call(uid, "crm.sync.run", "sync_start", "rpc-source", "pull")
        run_id = started["result"]["run_id"]
        row = {
            "external_id": "R-1",
            "number": "R-1",
            "kind": "invoice",
            "customer": {"vat": "516000000"},
            "issued_on": "2026-11-01",
            "currency": "ILS",
            "amount_total": "100",
            "amount_due": "100",
            "status": "open",
        }
        result = self._call(
            uid,
            "crm.external.invoice",
            "sync_import_page",
            run_id,
            "rpc-source",
            [row],
            False,
            "b1",
        )["result"]
        self.assertEqual((result["created"], result["bookmark"]), (1, "b1"))
        finished = self._call(uid, "crm.sync.run", "sync_finish", run_id, "done")
        self.assertEqual(
            (finished["result"]["read"], finished["result"]["created"]), (1, 1)
        )
        for model in ("crm.interaction", "res.partner", "res.users"):
            refused = self._call(uid, model, "search_read", [], fields=["name"])
            self.assertIn("error", refused, model)
            self.assertIn("AccessError", json.dumps(refused["error"]), model)

    def test_integration_user_from_the_wizard(self):
        wizard = self.env["crm.sync.user.wizard"].create({"login": "nightly-sync"})
        wizard.action_create()
        self.assertTrue(wizard.api_key)
        user = wizard.user_id
        self.assertFalse(user._is_internal())
        self.assertEqual(user.groups_id, self.env.ref("crm_relationship.group_sync"))
        self.api_key = wizard.api_key
        database = self.env.cr.dbname
        uid = self._rpc(
            "common", "authenticate", database, "nightly-sync", wizard.api_key, {}
        )["result"]
        self.assertEqual(uid, user.id)
        started = self._call(uid, "crm.sync.run", "sync_start", "wizard-job", "pull")
        self.assertIn("run_id", started["result"])
        refused = self._call(uid, "res.partner", "search_read", [], fields=["name"])
        self.assertIn("AccessError", json.dumps(refused["error"]))
        # a second key for the same user; a login of somebody else is refused
        again = self.env["crm.sync.user.wizard"].create({"login": "nightly-sync"})
        again.action_create()
        self.assertEqual(again.user_id, user)
        with self.assertRaises(UserError):
            self.env["crm.sync.user.wizard"].create({"login": "admin"}).action_create()
