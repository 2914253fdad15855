"""crm-sync end to end: the real command against a live Odoo server with the
addon, a real Radicale, files in a drop folder; killed, Odoo stopped."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest
import sync_helpers
from servers import OdooServer, Radicale
from sync_helpers import Recorder, odoo_table, save_config

ADMIN = ("admin", "admin")
SYNC_LOGIN, SYNC_KEY = "crm_sync_e2e", "sync-e2e-Key-1"
RUN = uuid.uuid4().hex[:8]  # jobs of this test run, in a shared database
HEADER = [
    "Invoice ID",
    "Number",
    "Type",
    "Date",
    "Due",
    "Currency",
    "Total",
    "Due Amount",
    "Status",
    "Customer VAT",
]


@pytest.fixture(scope="module")
def admin(odoo_server):
    return odoo_server.executor(*ADMIN)


@pytest.fixture(scope="module")
def setup(admin):
    [group] = admin(
        "ir.model.data",
        "search_read",
        [("module", "=", "crm_relationship"), ("name", "=", "group_sync")],
        fields=["res_id"],
    )
    if not admin("res.users", "search", [("login", "=", SYNC_LOGIN)]):
        admin(
            "res.users",
            "create",
            {
                "name": "crm-sync",
                "login": SYNC_LOGIN,
                "password": SYNC_KEY,
                "groups_id": [(6, 0, [group["res_id"]])],
            },
        )
    ils = admin(
        "res.currency", "search", [("name", "=", "ILS")], context={"active_test": False}
    )
    admin("res.currency", "write", ils, {"active": True})
    customers = {}
    for index, (name, vat) in enumerate(
        (("E2E חשמל בע״מ", "IL511111118"), ("E2E Widgets Ltd", "GB123456789"))
    ):
        found = admin("res.partner", "search", [("vat", "=", vat)])
        customers[vat] = (
            found[0]
            if found
            else admin(
                "res.partner",
                "create",
                {
                    "name": name,
                    "vat": vat,
                    "is_company": True,
                    "customer_rank": 1,
                    "email": f"e2e{index}@example.com",
                },
            )
        )
    return customers


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    server = Radicale(tmp_path_factory.mktemp("radicale-e2e")).start()
    yield server
    server.stop()


def e2e_odoo_table(odoo_url, database, **settings):
    """The ``[odoo]`` table of the service logging in as the test's sync
    user (its key in CRM_SYNC_E2E_KEY, as ``crm_sync`` passes it)."""
    return odoo_table(odoo_url, database, SYNC_LOGIN, "CRM_SYNC_E2E_KEY", **settings)


def write_config(
    folder, odoo_url, database, book=None, page_size=100, protocol="jsonrpc"
):
    odoo = e2e_odoo_table(
        odoo_url, database, protocol=protocol, page_size=page_size, timeout=20
    )
    text = f"""
{odoo}
[[sources]]
name = "finance-{folder.name}-{RUN}"
kind = "csv"
folder = "{folder / 'drop'}"
date_format = "%d/%m/%Y"
[sources.columns]
external_id = "Invoice ID"
number = "Number"
kind = "Type"
issued_on = "Date"
due_on = "Due"
currency = "Currency"
amount_total = "Total"
amount_due = "Due Amount"
status = "Status"
customer_vat = "Customer VAT"
[sources.kind_values]
"Tax Invoice" = "invoice"
"Credit" = "credit_note"
"""
    if book:
        text += f"""
[[targets]]
name = "phones-{folder.name}-{RUN}"
kind = "carddav"
url = "{book}"
username = "test"
password = "x"
"""
    return save_config(folder, text)


def write_csv(path, rows):
    sync_helpers.write_csv(path, HEADER, rows)


def good_rows(prefix, count, vat="IL511111118"):
    return [
        [
            f"{prefix}-{i}",
            f"{prefix}/{i:05d}",
            "Tax Invoice" if i % 7 else "Credit",
            "01/11/2026",
            "01/12/2026",
            "ILS",
            f"{100 + i}.50",
            f"{100 + i}.50",
            "open",
            vat,
        ]
        for i in range(count)
    ]


def crm_sync(config, *args, wait=True):
    command = [sys.executable, "-m", "sync_service", "--config", str(config), *args]
    env = dict(os.environ, CRM_SYNC_E2E_KEY=SYNC_KEY)
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if not wait:
        return process
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, stdout, stderr


def invoices(admin, source):
    return admin(
        "crm.external.invoice",
        "search_read",
        [("job_id.name", "=", source)],
        fields=["external_id", "amount_total", "kind", "partner_id"],
        order="external_id",
    )


def invoice_count(admin, source):
    return admin("crm.external.invoice", "search_count", [("job_id.name", "=", source)])


def done_event(stderr):
    """The final JSON log line of a job: the counts of its run."""
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return next(event for event in reversed(events) if event["event"] == "done")


def job_bookmark(admin, source):
    jobs = admin(
        "crm.sync.job", "search_read", [("name", "=", source)], fields=["bookmark"]
    )
    return jobs[0]["bookmark"] if jobs else False


def test_pull_csv_rejects_bad_rows_and_reruns_idempotently(
    odoo_protocol, admin, setup, odoo_server, tmp_path
):
    nobody_vat = f"IL9{uuid.uuid4().int % 10**8:08d}"  # no customer has it, yet
    config = write_config(
        tmp_path, odoo_server.url, odoo_server.database, protocol=odoo_protocol
    )
    source = f"finance-{tmp_path.name}-{RUN}"
    drop = tmp_path / "drop"
    write_csv(drop / "2026-11-01.csv", good_rows("A", 5))
    write_csv(
        drop / "2026-11-02.csv",
        [
            *good_rows("B", 2, vat="GB123456789"),
            [
                "B-bad-date",
                "B/9",
                "Tax Invoice",
                "31/02/2026",
                "",
                "ILS",
                "10",
                "10",
                "open",
                "IL511111118",
            ],
            [
                "B-bad-amount",
                "B/10",
                "Tax Invoice",
                "01/11/2026",
                "",
                "ILS",
                "ten",
                "10",
                "open",
                "IL511111118",
            ],
            [
                "B-nobody",
                "B/11",
                "Tax Invoice",
                "01/11/2026",
                "",
                "ILS",
                "10",
                "10",
                "open",
                nobody_vat,
            ],
            ["B-short", "B/12"],
        ],
    )
    # a dry run counts what a run would do and writes nothing
    code, _out, err = crm_sync(config, "pull-invoices", "--dry-run")
    assert code == 2, err
    assert done_event(err)["created"] == 7 and done_event(err)["rejected"] == 4
    assert done_event(err)["dry_run"] is True
    assert "crm-sync: dry run: " in err
    assert invoices(admin, source) == []
    assert not admin("crm.sync.issue", "search", [("job_id.name", "=", source)])
    assert job_bookmark(admin, source) is False
    assert len(list(drop.glob("*.csv"))) == 2, "no file moved"
    [dry] = admin(
        "crm.sync.run",
        "search_read",
        [("job_id.name", "=", source)],
        fields=["status", "dry_run", "count_created", "count_rejected"],
    )
    assert (dry["status"], dry["dry_run"]) == ("dry_run", True)
    assert (dry["count_created"], dry["count_rejected"]) == (7, 4)
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 2, err
    assert len(invoices(admin, source)) == 7
    assert done_event(err)["rejected"] == 4
    assert not list(drop.glob("*.csv")), "files moved aside"
    assert len(list((drop / "processed").glob("*.csv"))) == 2
    issues = admin(
        "crm.sync.issue",
        "search_read",
        [("job_id.name", "=", source)],
        fields=["record_key", "reason"],
    )
    reasons = {issue["record_key"]: issue["reason"] for issue in issues}
    assert "Date" in reasons["B-bad-date"] and "line 4" in reasons["B-bad-date"]
    assert "Total" in reasons["B-bad-amount"]
    assert nobody_vat in reasons["B-nobody"]
    # keyed on the file and line once Odoo keeps the row's record_key
    assert any("line 7: 2 fields, 10 expected" in r for r in reasons.values())
    # nothing new: the rerun reads nothing and writes nothing
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    assert len(invoices(admin, source)) == 7
    assert job_bookmark(admin, source).startswith("2026-11-02.csv@")
    # the unknown customer is created, a manager presses Retry: the row goes in
    admin(
        "res.partner",
        "create",
        {"name": "Late Ltd", "vat": nobody_vat, "is_company": True},
    )
    [nobody] = admin(
        "crm.sync.issue",
        "search",
        [("job_id.name", "=", source), ("record_key", "=", "B-nobody")],
    )
    admin("crm.sync.issue", "action_retry", [nobody])
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    assert len(invoices(admin, source)) == 8
    [issue] = admin("crm.sync.issue", "read", [nobody], ["state"])
    assert issue["state"] == "resolved"
    # a new file of an already seen name is new content: read
    write_csv(drop / "2026-11-02.csv", good_rows("C", 3))
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    assert len(invoices(admin, source)) == 11


def test_kill_9_then_rerun_gives_the_clean_result(
    odoo_protocol, admin, setup, odoo_server, tmp_path
):
    config = write_config(
        tmp_path,
        odoo_server.url,
        odoo_server.database,
        page_size=50,
        protocol=odoo_protocol,
    )
    source = f"finance-{tmp_path.name}-{RUN}"
    drop = tmp_path / "drop"
    for day in range(3):
        write_csv(drop / f"2026-10-{day + 10}.csv", good_rows(f"K{day}", 400))
    random.seed(os.getpid())
    total, kills = 1200, []
    for _attempt in range(2):
        before = invoice_count(admin, source)
        process = crm_sync(config, "pull-invoices", wait=False)
        # killed once a page of this run is in, at a random point after it
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if invoice_count(admin, source) > before:
                break
            time.sleep(0.02)
        time.sleep(random.uniform(0, 0.2))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        kills.append((before, invoice_count(admin, source)))
    assert all(
        before < after < total for before, after in kills
    ), f"every kill landed mid-run, after a page and before the end: {kills}"
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    rows = invoices(admin, source)
    expected = sorted(f"K{day}-{i}" for day in range(3) for i in range(400))
    assert [
        row["external_id"] for row in rows
    ] == expected, "no invoice lost or doubled"
    assert {row["amount_total"] for row in rows if row["external_id"] == "K1-17"} == {
        117.5
    }
    bookmark = job_bookmark(admin, source)
    assert bookmark.startswith("2026-10-12.csv@") and bookmark.endswith("#end")
    assert not list(drop.glob("*.csv"))
    runs = admin(
        "crm.sync.run", "search_read", [("job_id.name", "=", source)], fields=["status"]
    )
    assert {run["status"] for run in runs} <= {"done", "interrupted"}


def test_odoo_stopped_mid_run(odoo_protocol, admin, setup, odoo_server, tmp_path):
    own = OdooServer(odoo_server.config, odoo_server.database).start()
    try:
        config = write_config(
            tmp_path,
            own.url,
            odoo_server.database,
            page_size=20,
            protocol=odoo_protocol,
        )
        source = f"finance-{tmp_path.name}-{RUN}"
        write_csv(tmp_path / "drop" / "2026-09-01.csv", good_rows("S", 3000))
        process = crm_sync(config, "pull-invoices", wait=False)
        deadline = time.monotonic() + 120
        while not job_bookmark(admin, source) and time.monotonic() < deadline:
            time.sleep(0.05)  # stop Odoo once the first pages are in
        own.stop()
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 1, err
        assert "unreachable" in err or "Odoo" in err
        bookmark = job_bookmark(admin, source)
        applied = len(invoices(admin, source))
        assert (
            bookmark is False
            or applied == int(bookmark.split("#")[1])
            or (bookmark.endswith("#end") and applied == 3000)
        ), "page and bookmark together"
        own.start()
        code, _out, err = crm_sync(config, "pull-invoices")
        assert code == 0, err
        assert len(invoices(admin, source)) == 3000
    finally:
        own.stop()


def test_push_customers_to_radicale(
    odoo_protocol, admin, setup, odoo_server, radicale, tmp_path
):
    book = radicale.make_address_book(f"book-{tmp_path.name}")
    config = write_config(
        tmp_path,
        odoo_server.url,
        odoo_server.database,
        book=book,
        protocol=odoo_protocol,
    )
    target = f"phones-{tmp_path.name}-{RUN}"
    # a dry run pushes nothing
    code, _out, err = crm_sync(config, "push-customers", "--dry-run")
    assert code == 0, err
    assert done_event(err)["pushed"] > 0
    assert radicale.cards(book) == {}
    assert not admin("crm.sync.binding", "search", [("job_id.name", "=", target)])
    code, _out, err = crm_sync(config, "push-customers")
    assert code == 0, err
    pushed = done_event(err)["pushed"]
    bindings = admin(
        "crm.sync.binding",
        "search_read",
        [("job_id.name", "=", target)],
        fields=["partner_id", "href"],
    )
    href = {b["partner_id"][0]: b["href"] for b in bindings if b["partner_id"]}
    assert "FN:E2E חשמל בע״מ" in radicale.get(href[setup["IL511111118"]])
    cards = radicale.cards(book)
    assert len(cards) == pushed == len(bindings)
    # nothing changed: nothing pushed, every card as it was (ETag and content)
    code, _out, err = crm_sync(config, "push-customers")
    assert code == 0, err
    assert done_event(err)["pushed"] == 0
    assert radicale.cards(book) == cards
    [run] = admin(
        "crm.sync.run",
        "search_read",
        [("job_id.name", "=", target), ("dry_run", "=", False)],
        fields=["status", "count_pushed"],
        limit=1,
    )
    assert run == {"id": run["id"], "status": "done", "count_pushed": 0}
    # an archived customer's card leaves the address book
    gone = href[setup["GB123456789"]]
    admin("res.partner", "write", [setup["GB123456789"]], {"active": False})
    try:
        code, _out, err = crm_sync(config, "push-customers")
        assert code == 0, err
        assert done_event(err)["deleted"] == 1
        assert not radicale.exists(gone)
        assert set(radicale.cards(book)) == set(cards) - {gone}
        remaining = admin(
            "crm.sync.binding",
            "search_read",
            [("job_id.name", "=", target)],
            fields=["partner_id"],
        )
        assert setup["GB123456789"] not in [
            b["partner_id"][0] for b in remaining if b["partner_id"]
        ]
    finally:
        admin("res.partner", "write", [setup["GB123456789"]], {"active": True})


def test_a_refused_card_is_an_issue_the_others_go_in(
    odoo_protocol, admin, setup, odoo_server, tmp_path
):
    book = Recorder(answers=[(413, {}, 0)])  # the first card is too large
    try:
        config = write_config(
            tmp_path,
            odoo_server.url,
            odoo_server.database,
            book=book.url + "/",
            protocol=odoo_protocol,
        )
        target = f"phones-{tmp_path.name}-{RUN}"
        code, _out, err = crm_sync(config, "push-customers")
        assert code == 2, err
        done = done_event(err)
        assert done["failed"] == 1 and done["pushed"] > 0
        [issue] = admin(
            "crm.sync.issue",
            "search_read",
            [("job_id.name", "=", target)],
            fields=["reason", "state", "record_key"],
        )
        assert "HTTP 413" in issue["reason"]
        bindings = admin("crm.sync.binding", "search", [("job_id.name", "=", target)])
        assert len(bindings) == done["pushed"]
        # the next run offers the refused customer again; now it goes in
        code, _out, err = crm_sync(config, "push-customers")
        assert code == 0, err
        assert done_event(err)["pushed"] == 1
        [issue] = admin("crm.sync.issue", "read", [issue["id"]], ["state"])
        assert issue["state"] == "resolved"
    finally:
        book.close()


def test_dry_run_counts_an_invoice_in_two_files_once(
    odoo_protocol, admin, setup, odoo_server, tmp_path
):
    config = write_config(
        tmp_path, odoo_server.url, odoo_server.database, protocol=odoo_protocol
    )
    drop = tmp_path / "drop"
    write_csv(drop / "2026-08-01.csv", good_rows("T", 3))
    # the next export repeats an invoice of the first
    write_csv(drop / "2026-08-02.csv", good_rows("T", 1) + good_rows("U", 1))
    code, _out, err = crm_sync(config, "pull-invoices", "--dry-run")
    assert code == 0, err
    done = done_event(err)
    assert (done["read"], done["created"], done["unchanged"]) == (5, 4, 1)
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    assert done_event(err)["created"] == 4


def test_push_sends_the_internal_notes_only_to_a_target_that_asks(
    odoo_protocol, admin, setup, odoo_server, tmp_path
):
    customer = setup["IL511111118"]
    admin("res.partner", "write", [customer], {"comment": "<p>Prefers mornings</p>"})
    config = write_config(
        tmp_path, odoo_server.url, odoo_server.database, protocol=odoo_protocol
    )
    text = config.read_text()
    for name, fields in (("plain", None), ("notes", '["name", "email", "comment"]')):
        text += f"""
[[targets]]
name = "{name}-{tmp_path.name}-{RUN}"
kind = "vcard_file"
path = "{tmp_path / name}.vcf"
"""
        if fields:
            text += f"fields = {fields}\n"
    config.write_text(text)
    code, _out, err = crm_sync(config, "push-customers")
    assert code == 0, err
    plain = (tmp_path / "plain.vcf").read_text()
    notes = (tmp_path / "notes.vcf").read_text()
    assert "E2E חשמל בע״מ" in plain and "E2E חשמל בע״מ" in notes
    assert "Prefers mornings" not in plain and "NOTE" not in plain
    assert "NOTE:Prefers mornings" in notes
    assert "TEL" not in notes, "only the fields asked for"
    # nothing changed: the files are left as they are
    before = {path: path.stat().st_mtime_ns for path in tmp_path.glob("*.vcf")}
    code, _out, err = crm_sync(config, "push-customers")
    assert code == 0, err
    assert {path: path.stat().st_mtime_ns for path in tmp_path.glob("*.vcf")} == before
