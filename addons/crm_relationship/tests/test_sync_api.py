import inspect
import json
import re
from contextlib import contextmanager
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_relationship.models.crm_sync_api import PUBLIC_METHODS

from .common import CrmRelationshipCase
from .test_external_invoice import invoice_row


def _results(changes, **extra):
    """What a target answers for the customers of a page: all taken."""
    return [
        {
            "partner_id": customer["partner_id"],
            "external_id": customer["uid"],
            "href": f"/book/{customer['uid']}.vcf",
            "etag": '"1"',
            "content_hash": customer["content_hash"],
            **extra,
        }
        for customer in changes["upserts"]
    ]


@tagged("post_install", "-at_install")
class TestPushCustomers(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sync_user = new_test_user(
            cls.env, login="rel_sync_push", groups="crm_relationship.group_sync"
        )
        cls.Api = cls.env["crm.sync.api"].with_user(cls.sync_user)
        for partner in cls.customer | cls.other_customer:
            partner.customer_rank = 1
        cls.customer.comment = "<p>Owes us a favour; do not call before 10</p>"

    def _start(self, job="phones", dry_run=False):
        return self.Api.start_run(job, "push", dry_run)["run_id"]

    def _changes(self, run_id, after=False, job="phones", **kwargs):
        return self.Api.push_changes(job, run_id, after, **kwargs)

    def _all_changes(self, run_id, after=False, job="phones", record=False, **kwargs):
        """Every page of the run from ``after`` on, as the service asks for
        them: {"upserts", "deletes", "pages"}."""
        upserts, deletes, pages = [], [], 0
        while True:
            changes = self._changes(run_id, after, job=job, **kwargs)
            pages += 1
            upserts += changes["upserts"]
            deletes += changes["deletes"]
            if record:
                self.Api.push_record(job, run_id, _results(changes))
            if not changes["more"]:
                return {"upserts": upserts, "deletes": deletes, "pages": pages}
            after = changes["after"]

    def _push_all(self, job="phones", **kwargs):
        run_id = self._start(job)
        changes = self._all_changes(run_id, job=job, record=True, **kwargs)
        self.Api.finish_run(job, run_id, "done")
        self._later()
        return changes

    def _later(self):
        """What follows happens in a later transaction, as a user's change
        after a push would: its write_date is later."""
        self.env.flush_all()
        self.env.cr._now = self.env.cr.now() + timedelta(seconds=1)

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
        self.assertEqual(self._push_all()["upserts"], [], "nothing changed")
        self.customer.phone = "+972 3 555 0101"
        again = self._push_all()["upserts"]
        self.assertEqual([c["partner_id"] for c in again], [self.customer.id])
        self.assertEqual(again[0]["binding"]["href"], f"/book/{hebrew['uid']}.vcf")

    def test_internal_notes_leave_only_when_a_target_asks(self):
        default = {c["partner_id"]: c for c in self._push_all()["upserts"]}[
            self.customer.id
        ]
        self.assertNotIn("comment", default)
        self.assertEqual(default["email"], "office@electra.example.com")
        asked = {
            c["partner_id"]: c
            for c in self._push_all("notes-hook", fields=["email", "comment"])[
                "upserts"
            ]
        }[self.customer.id]
        self.assertEqual(asked["comment"], "Owes us a favour; do not call before 10")
        self.assertEqual(
            set(asked) - {"partner_id", "uid", "content_hash", "write_date"},
            {"name", "email", "comment", "binding"},
            "the asked fields, the name, nothing else",
        )
        run_id = self._start("bad-fields")
        with self.assertRaisesRegex(UserError, "password cannot be pushed"):
            self._changes(run_id, job="bad-fields", fields=["name", "password"])

    def test_other_fields_asked_compare_every_customer_again(self):
        self._push_all()
        again = self._push_all(fields=["name", "phone", "comment"])["upserts"]
        self.assertIn(self.other_customer.id, [c["partner_id"] for c in again])
        self.assertEqual(
            self._push_all(fields=["name", "phone", "comment"]),
            {"upserts": [], "deletes": [], "pages": 1},
        )

    def _payload_reads(self, work):
        """(result of ``work``, how many times it read customers' payloads):
        the payload is read with the customers' write date, which nothing else
        on this path selects."""
        self.env.flush_all()
        self.env.invalidate_all()  # read from the table, not from the cache
        statements = []
        with contextmanager(self._patchExecute)(statements):
            result = work()
        reads = [
            text
            for text in map(str, statements)
            if re.search(r'select\s.*"res_partner"\."write_date"', text, re.I | re.S)
        ]
        return result, len(reads)

    def test_unchanged_customers_are_not_compared_again(self):
        self.env["res.partner"].create(
            [{"name": f"Customer {i}", "customer_rank": 1} for i in range(6)]
        )
        run_id = self._start()
        first, reads = self._payload_reads(lambda: self._all_changes(run_id, limit=2))
        customers = [c["partner_id"] for c in first["upserts"]]
        self.assertEqual(len(customers), len(set(customers)), "each once")
        self.assertGreaterEqual(first["pages"], 4)
        self.assertTrue(0 < reads <= first["pages"], "at most one payload read a page")
        self.Api.push_record("phones", run_id, _results({"upserts": first["upserts"]}))
        self.Api.finish_run("phones", run_id, "done")
        self._later()
        unchanged, reads = self._payload_reads(lambda: self._push_all(limit=2))
        self.assertEqual(unchanged["upserts"], [])
        self.assertEqual(reads, 0, "nobody written since: nobody compared")
        self.other_customer.phone = "+972 4 000 0000"
        self.env["crm.interaction"].create(
            {"partner_id": self.customer.id, "name": "Call"}
        )
        again, reads = self._payload_reads(lambda: self._push_all(limit=2))
        self.assertEqual(
            [c["partner_id"] for c in again["upserts"]], [self.other_customer.id]
        )
        self.assertGreater(reads, 0, "the customer written since is compared")

    def test_archived_and_deleted_customers_are_deleted_remotely(self):
        self._push_all()
        self.other_customer.active = False
        run_id = self._start()
        deletes = self._changes(run_id)["deletes"]
        self.assertEqual(len(deletes), 1)
        self.Api.push_record(
            "phones",
            run_id,
            [{"binding_id": deletes[0]["binding_id"], "deleted": True}],
        )
        self.assertEqual(self._changes(run_id)["deletes"], [])

    def test_merged_customer_is_deleted_remotely(self):
        self._push_all()
        duplicate = self.other_customer
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge((self.customer | duplicate).ids, self.customer)
        self.assertFalse(duplicate.exists())
        deletes = self._changes(self._start())["deletes"]
        self.assertEqual(len(deletes), 1)
        self.assertTrue(deletes[0]["uid"].endswith(f"-partner-{duplicate.id}"))

    def test_refused_customer_is_an_issue_not_offered_again_in_the_run(self):
        run_id = self._start()
        changes = self._changes(run_id, limit=1)
        [refused] = changes["upserts"]
        self.Api.push_record(
            "phones",
            run_id,
            [{"partner_id": refused["partner_id"], "error": "HTTP 413: too large"}],
        )
        rest = self._all_changes(run_id, after=changes["after"], record=True)
        self.assertNotIn(
            refused["partner_id"],
            [c["partner_id"] for c in rest["upserts"]],
            "the run goes on past the refused customer",
        )
        issue = self.env["crm.sync.issue"].search([("job_id.name", "=", "phones")])
        self.assertIn("HTTP 413", issue.reason)
        refused_partner = self.env["res.partner"].browse(refused["partner_id"])
        self.assertIn(refused_partner.name, issue.reason)
        counts = self.Api.finish_run("phones", run_id, "done_with_rejects")
        self.assertEqual(
            (counts["pushed"], counts["failed"]), (len(rest["upserts"]), 1)
        )
        self._later()
        # the next run offers the refused customer again: pushed at last, the
        # issue is resolved
        again = self._push_all()["upserts"]
        self.assertEqual([c["partner_id"] for c in again], [refused["partner_id"]])
        self.assertEqual(issue.state, "resolved")

    def test_repeated_push_record_counts_once(self):
        self._push_all()
        self.other_customer.active = False
        self.customer.phone = "+972 3 555 0102"
        self.env["res.partner"].create({"name": "Refusing Ltd", "customer_rank": 1})
        run_id = self._start()
        changes = self._changes(run_id)
        by_name = {c["name"]: c for c in changes["upserts"]}
        refused = by_name.pop("Refusing Ltd")
        results = [
            *_results({"upserts": list(by_name.values())}),
            {"partner_id": refused["partner_id"], "error": "HTTP 400"},
            {"binding_id": changes["deletes"][0]["binding_id"], "deleted": True},
        ]
        first = self.Api.push_record("phones", run_id, results)
        # the answer was lost: the service sends the same results again
        second = self.Api.push_record("phones", run_id, results)
        self.assertEqual(first, {"pushed": 1, "deleted": 1, "failed": 1})
        self.assertEqual(second, {"pushed": 0, "deleted": 0, "failed": 0})
        counts = self.Api.finish_run("phones", run_id, "done_with_rejects")
        self.assertEqual(
            (counts["pushed"], counts["deleted"], counts["failed"]), (1, 1, 1)
        )

    def test_full_refresh_sends_everyone_once_per_run(self):
        self._push_all()
        run_id = self._start()
        first = self._changes(run_id, limit=1, full_refresh=True)
        rest = self._all_changes(run_id, after=first["after"], full_refresh=True)
        sent = [c["partner_id"] for c in first["upserts"] + rest["upserts"]]
        self.assertIn(self.customer.id, sent)
        self.assertIn(self.other_customer.id, sent)
        self.assertEqual(len(sent), len(set(sent)), "each customer once")

    def test_paging(self):
        self.env["res.partner"].create(
            [{"name": f"Customer {i}", "customer_rank": 1} for i in range(5)]
        )
        run_id = self._start()
        first = self._changes(run_id, limit=3)
        self.assertEqual(len(first["upserts"]), 3)
        self.assertTrue(first["more"])
        second = self._changes(run_id, first["after"], limit=3)
        ids = [c["partner_id"] for c in first["upserts"] + second["upserts"]]
        self.assertEqual(ids, sorted(ids), "by id")
        self.assertEqual(len(set(ids)), 6)
        with self.assertRaisesRegex(UserError, "not a position"):
            self._changes(run_id, "somewhere")

    def test_a_push_remembers_the_customer_version_it_sent(self):
        self._push_all()
        binding = self.env["crm.sync.binding"].search(
            [("partner_id", "=", self.customer.id)]
        )
        self.env.cr.execute(
            "SELECT write_date FROM res_partner WHERE id = %s", [self.customer.id]
        )
        self.assertEqual(binding.pushed_write_date, self.env.cr.fetchone()[0])

    def test_file_target_gets_everyone_when_anything_changed(self):
        def file_push():
            run_id = self._start("office-csv")
            changes = self._all_changes(
                run_id, job="office-csv", record=True, everyone_if_changed=True
            )
            self.Api.finish_run("office-csv", run_id, "done")
            self._later()
            return changes

        everyone = file_push()
        self.assertIn(
            self.other_customer.id, [c["partner_id"] for c in everyone["upserts"]]
        )
        self.assertEqual(file_push()["upserts"], [], "the file is as it should be")
        self.customer.phone = "+972 3 555 0103"
        again = file_push()["upserts"]
        self.assertEqual(len(again), len(everyone["upserts"]), "the whole file again")
        # a run that did not complete: the file may be behind its bindings
        run_id = self._start("office-csv")
        self.Api.finish_run("office-csv", run_id, "failed", "disk full")
        self.assertEqual(len(file_push()["upserts"]), len(everyone["upserts"]))

    def test_dry_run_push_counts_once_and_is_recorded_as_such(self):
        run_id = self._start(dry_run=True)
        changes = self._changes(run_id)
        # the same page asked again (its answer lost): counted once
        self.assertEqual(self._changes(run_id), changes)
        counts = self.Api.finish_run("phones", run_id, "done")
        self.assertEqual(counts["pushed"], len(changes["upserts"]))
        run = self.env["crm.sync.run"].browse(run_id)
        self.assertEqual((run.status, run.dry_run), ("dry_run", True))
        self.assertFalse(
            self.env["crm.sync.binding"].search([("job_id", "=", run.job_id.id)])
        )


@tagged("post_install", "-at_install")
class TestSyncRunsAndRejections(CrmRelationshipCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.ILS").active = True
        cls.customer.vat = "IL 514-000-000"
        cls.sync_user = new_test_user(
            cls.env, login="rel_sync_runs", groups="crm_relationship.group_sync"
        )
        cls.Api = cls.env["crm.sync.api"].with_user(cls.sync_user)

    def _run(self, pages, dry_run=False, job="finance"):
        started = self.Api.start_run(job, "pull", dry_run)
        run_id, before = started["run_id"], started["bookmark"]
        results = []
        for index, rows in enumerate(pages):
            after = f"{job}-page-{index + 1}"
            results.append(self.Api.import_page(job, run_id, rows, before, after))
            if not dry_run:
                before = after
        return run_id, results

    def test_dry_run_is_recorded_as_a_dry_run_with_its_counts(self):
        rows = [
            invoice_row("1", customer={"vat": "514000000"}),
            invoice_row("ghost", customer={"vat": "999999999"}),
        ]
        run_id, _results = self._run([rows], dry_run=True)
        counts = self.Api.finish_run("finance", run_id, "done_with_rejects")
        run = self.env["crm.sync.run"].browse(run_id)
        self.assertEqual(run.status, "dry_run")
        self.assertEqual(
            (counts["read"], counts["created"], counts["rejected"]), (2, 1, 1)
        )
        job_domain = [("job_id", "=", run.job_id.id)]
        self.assertFalse(self.env["crm.external.invoice"].search(job_domain))
        self.assertFalse(self.env["crm.sync.issue"].search(job_domain))
        # a dry run that failed says so
        run_id, _results = self._run([], dry_run=True)
        self.Api.finish_run("finance", run_id, "failed", "source unreachable")
        self.assertEqual(self.env["crm.sync.run"].browse(run_id).status, "failed")

    def test_dry_run_counts_an_invoice_in_two_files_once(self):
        row = invoice_row("1", customer={"vat": "514000000"})
        changed = invoice_row("1", customer={"vat": "514000000"}, status="paid")
        run_id, results = self._run([[row], [row], [changed]], dry_run=True)
        self.assertEqual(
            [(r["created"], r["unchanged"], r["updated"]) for r in results],
            [(1, 0, 0), (0, 1, 0), (0, 0, 1)],
        )
        counts = self.Api.finish_run("finance", run_id, "done")
        self.assertEqual((counts["created"], counts["read"]), (1, 3))
        # a real run of the same files agrees
        run_id, results = self._run([[row], [row], [changed]])
        self.assertEqual(
            [(r["created"], r["unchanged"], r["updated"]) for r in results],
            [(1, 0, 0), (0, 1, 0), (0, 0, 1)],
        )

    def test_keyless_rejected_line_read_again_is_one_issue(self):
        broken = {
            "reject_reason": "export.csv line 7: 3 fields, 9 expected",
            "record_key": "5f1d0c6e2b:7",
            "payload": {"line": 7},
        }
        other_line = {**broken, "record_key": "5f1d0c6e2b:8"}
        self._run([[broken, other_line]])
        # the same file read again (moved back, or a retry of the night)
        self._run([[broken]])
        issues = self.env["crm.sync.issue"].search([("job_id.name", "=", "finance")])
        self.assertEqual(
            sorted(issues.mapped("record_key")), ["5f1d0c6e2b:7", "5f1d0c6e2b:8"]
        )


@tagged("post_install", "-at_install")
class TestSyncOverJsonRpc(HttpCase):
    """The integration user calls the sync API over /jsonrpc with an API
    key, as the sync service does; nobody else reaches it."""

    def setUp(self):
        super().setUp()
        self.env.ref("base.ILS").active = True
        self.company_a = self.env.company
        self.company_b = self.env["res.company"].create({"name": "Sync Company B"})
        self.sync_user = new_test_user(
            self.env,
            login="rel_sync_rpc",
            groups="crm_relationship.group_sync",
            company_id=self.company_a.id,
            company_ids=[Command.set(self.company_a.ids)],
        )
        self.api_key = self._key(self.sync_user)
        self.manager = new_test_user(
            self.env,
            login="rel_rpc_manager",
            groups="sales_team.group_sale_manager",
            company_id=self.company_a.id,
        )
        self.customer = self.env["res.partner"].create(
            {"name": "RPC Customer", "is_company": True, "vat": "IL516000000"}
        )
        self.row = invoice_row("R-1", customer={"vat": "516000000"})

    def _key(self, user):
        return (
            self.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate("rpc", "sync service", False)
        )

    def _rpc(self, service, method, *args):
        return self.url_open(
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

    def _call(self, user, secret, model, method, *args, **kwargs):
        return self._rpc(
            "object",
            "execute_kw",
            self.env.cr.dbname,
            user.id,
            secret,
            model,
            method,
            list(args),
            kwargs,
        )

    def _sync(self, method, *args, **kwargs):
        return self._call(
            self.sync_user, self.api_key, "crm.sync.api", method, *args, **kwargs
        )

    def _as_manager(self, model, method, *args):
        return self._call(self.manager, "rel_rpc_manager", model, method, *args)

    def _error(self, answer):
        self.assertIn("error", answer)
        return answer["error"]["data"]["name"], answer["error"]["data"]["message"]

    @mute_logger("odoo.http")
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
        run_id = self._sync("start_run", "rpc-source", "pull")["result"]["run_id"]
        result = self._sync(
            "import_page", "rpc-source", run_id, [self.row], False, "b1"
        )["result"]
        self.assertEqual((result["created"], result["bookmark"]), (1, "b1"))
        finished = self._sync("finish_run", "rpc-source", run_id, "done")["result"]
        self.assertEqual((finished["read"], finished["created"]), (1, 1))
        for model in ("crm.interaction", "res.partner", "res.users", "crm.sync.run"):
            refused = self._call(
                self.sync_user, self.api_key, model, "search_read", [], ["name"]
            )
            self.assertIn("AccessError", json.dumps(refused["error"]), model)

    @mute_logger("odoo.http")
    def test_relationship_manager_is_refused(self):
        answer = self._as_manager("crm.sync.api", "start_run", "finance", "pull")
        name, message = self._error(answer)
        self.assertEqual(name, "odoo.exceptions.AccessError")
        self.assertIn("integration user", message)
        self.assertFalse(
            self.env["crm.sync.job"].search([("name", "=", "finance")]),
            "nothing was created",
        )
        # the methods the business models had are gone
        for model, method in (
            ("crm.external.invoice", "sync_import_page"),
            ("res.partner", "sync_push_record"),
            ("crm.sync.run", "sync_start"),
        ):
            answer = self._as_manager(model, method, "finance", "pull")
            self.assertIn("error", answer, f"{model}.{method}")
        self.assertFalse(self.env["crm.sync.job"].search([("name", "=", "finance")]))

    @mute_logger("odoo.http")
    def test_run_of_a_foreign_company_is_refused(self):
        foreign_job = self.env["crm.sync.job"].create(
            {"name": "finance", "kind": "pull", "company_id": self.company_b.id}
        )
        foreign_run = self.env["crm.sync.run"].create({"job_id": foreign_job.id})
        self._sync("start_run", "finance", "pull")  # the caller's own job
        answer = self._sync(
            "import_page", "finance", foreign_run.id, [self.row], False, "b1"
        )
        name, message = self._error(answer)
        self.assertEqual(name, "odoo.exceptions.UserError")
        self.assertIn("is not a run of finance", message)
        # nor by switching to the other company
        answer = self._sync(
            "import_page",
            "finance",
            foreign_run.id,
            [self.row],
            False,
            "b1",
            context={"allowed_company_ids": self.company_b.ids},
        )
        name, _message = self._error(answer)
        self.assertEqual(name, "odoo.exceptions.AccessError")
        self.assertFalse(foreign_job.bookmark)
        self.assertEqual(foreign_run.count_read, 0)
        self.assertFalse(
            self.env["crm.external.invoice"].search(
                [("company_id", "=", self.company_b.id)]
            )
        )

    @mute_logger("odoo.http")
    def test_run_of_another_job_is_refused(self):
        other_run = self._sync("start_run", "other-source", "pull")["result"]["run_id"]
        self._sync("start_run", "finance", "pull")
        for method, args in (
            ("import_page", [[self.row], False, "b1"]),
            ("finish_run", ["done"]),
        ):
            name, message = self._error(self._sync(method, "finance", other_run, *args))
            self.assertEqual(name, "odoo.exceptions.UserError", method)
            self.assertIn("is not a run of finance", message)
        push_run = self._sync("start_run", "phones", "push")["result"]["run_id"]
        self._sync("start_run", "tablets", "push")
        name, message = self._error(self._sync("push_record", "tablets", push_run, []))
        self.assertEqual(name, "odoo.exceptions.UserError")
        self.assertIn("is not a run of tablets", message)
        self.assertEqual(
            self.env["crm.sync.run"].browse(other_run).status, "running", "untouched"
        )

    def test_system_administrator_may_call(self):
        admin = self.env.ref("base.user_admin")
        answer = self._call(
            admin, self._key(admin), "crm.sync.api", "start_run", "adm", "pull"
        )
        self.assertIn("run_id", answer["result"])

    @mute_logger("odoo.http")
    def test_public_methods_are_announced(self):
        public = {
            name
            for cls in type(self.env["crm.sync.api"]).mro()
            if cls.__module__.startswith("odoo.addons.crm_relationship.")
            for name, value in vars(cls).items()
            if not name.startswith("_") and callable(value)
        }
        self.assertEqual(
            public,
            set(PUBLIC_METHODS),
            "a public method of the sync API is announced in PUBLIC_METHODS",
        )
        api_class = type(self.env["crm.sync.api"])
        for method in PUBLIC_METHODS:
            parameters = inspect.signature(getattr(api_class, method)).parameters
            required = [p for p in parameters.values() if p.default is p.empty]
            # a job nobody has, then zeros
            args = ["no-such-job"] + [0] * (len(required) - 2)
            # the integration user reaches each (and is told what is wrong)
            name, _message = self._error(self._sync(method, *args))
            self.assertEqual(name, "odoo.exceptions.UserError", method)
            # a salesperson reaches none
            answer = self._as_manager("crm.sync.api", method, *args)
            self.assertEqual(self._error(answer)[0], "odoo.exceptions.AccessError")
        # no business model of the addon carries a public sync method
        for model_name in self.env.registry:
            carried = [
                name
                for cls in type(self.env[model_name]).mro()
                if cls.__module__.startswith("odoo.addons.crm_relationship.")
                for name in vars(cls)
                if name.startswith("sync_")
            ]
            self.assertFalse(carried, model_name)

    @mute_logger("odoo.http")
    def test_integration_user_from_the_wizard(self):
        wizard = self.env["crm.sync.user.wizard"].create(
            {"login": "nightly-sync", "company_id": self.company_b.id}
        )
        wizard.action_create()
        self.assertTrue(wizard.api_key)
        user = wizard.user_id
        self.assertFalse(user._is_internal())
        self.assertEqual(user.groups_id, self.env.ref("crm_relationship.group_sync"))
        self.assertEqual(user.company_ids, self.company_b)
        uid = self._rpc(
            "common",
            "authenticate",
            self.env.cr.dbname,
            "nightly-sync",
            wizard.api_key,
            {},
        )["result"]
        self.assertEqual(uid, user.id)
        started = self._call(
            user, wizard.api_key, "crm.sync.api", "start_run", "wizard-job", "pull"
        )
        run = self.env["crm.sync.run"].browse(started["result"]["run_id"])
        self.assertEqual(run.company_id, self.company_b, "the jobs of its company")
        refused = self._call(
            user, wizard.api_key, "res.partner", "search_read", [], ["name"]
        )
        self.assertIn("AccessError", json.dumps(refused["error"]))
        # a second key for the same user; a login of somebody else is refused
        again = self.env["crm.sync.user.wizard"].create({"login": "nightly-sync"})
        again.action_create()
        self.assertEqual(again.user_id, user)
        with self.assertRaises(UserError):
            self.env["crm.sync.user.wizard"].create({"login": "admin"}).action_create()


@tagged("post_install", "-at_install")
class TestSyncApiChecks(CrmRelationshipCase):
    def test_checks_name_the_problem(self):
        sync_user = new_test_user(
            self.env, login="rel_sync_checks", groups="crm_relationship.group_sync"
        )
        Api = self.env["crm.sync.api"].with_user(sync_user)
        with self.assertRaisesRegex(UserError, "job: expected the name"):
            Api.start_run(["finance"], "pull")
        with self.assertRaisesRegex(UserError, "kind must be"):
            Api.start_run("finance", "sideways")
        Api.start_run("finance", "pull")
        with self.assertRaisesRegex(UserError, "is not a run of"):
            Api.finish_run("finance", True, "done")
        run_id = Api.start_run("phones", "push")["run_id"]
        with self.assertRaisesRegex(UserError, "results: expected a list"):
            Api.push_record("phones", run_id, {"partner_id": 1})
        with self.assertRaisesRegex(UserError, "limit: expected"):
            Api.push_changes("phones", run_id, False, 0)
        with self.assertRaises(AccessError):
            self.env["crm.sync.api"].with_user(
                self.relationship_manager
            ).pending_retries("finance")
