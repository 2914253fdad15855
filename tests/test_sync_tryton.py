"""The Tryton source against a real Tryton 7.0 server (trytond with
account_invoice on SQLite, see tryton_helpers.py): the scenario's invoices,
paging, bookmarks, invoices posted and paid after a read, bad logins, a
stopped server, 5xx and timeouts from a proxy in front of it, malformed rows;
then crm-sync end to end into a live Odoo."""

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from decimal import Decimal

import pytest
import test_sync_e2e
from servers import AnsweringHandler, LoopbackServer, free_port
from test_sync_e2e import RUN, crm_sync, e2e_odoo_table, invoices
from tryton_helpers import (
    EMAIL_ONLY,
    HEBREW_NAME,
    ISRAELI_TAX_ID,
    TrytonServer,
    tryton_python,
)

from sync_service.config import Secret, SourceConfig
from sync_service.errors import SourceError
from sync_service.sources.tryton import TrytonSource

# the live Odoo's fixtures, for the end-to-end test
admin = test_sync_e2e.admin
setup = test_sync_e2e.setup
SCENARIO = ("old", "open", "partly", "paid", "credit", "refunded", "refund", "euro")


@pytest.fixture(scope="session")
def tryton(tmp_path_factory):
    if tryton_python() is None:
        pytest.skip(
            "needs Tryton: `make tryton-venv` (.venv-tryton) or "
            "CRM_SYNC_TRYTON_PYTHON naming a python with trytond 7.0"
        )
    server = TrytonServer(tmp_path_factory.mktemp("tryton")).setup()
    server.start()
    yield server
    server.stop()


def source(url, database="crm", password=None, overlap=None, **values):
    values = {"page_size": 200, "timeout": 10.0, "max_retries": 3, **values}
    config = SourceConfig(
        name="tryton",
        kind="tryton",
        url=url,
        database=database,
        username="admin",
        password=Secret(password or "admin-Tryton-1"),
        **values,
    )
    sleeps = []
    return TrytonSource(config, sleep=sleeps.append, overlap=overlap), sleeps


def read(src, bookmark=None, page_size=500):
    pages = list(src.pages(bookmark, page_size))
    return pages, [row for page in pages for row in page.rows]


def by_id(rows):
    found = {}
    for row in rows:
        assert row["external_id"] not in found, f"{row['external_id']} twice"
        found[row["external_id"]] = row
    return found


def test_the_scenario_as_rows(tryton):
    src, sleeps = source(tryton.url)
    pages, rows = read(src)
    rows = by_id(rows)
    ids = {key: str(tryton.scenario[key]["id"]) for key in SCENARIO}
    assert set(ids.values()) <= set(rows)
    for not_read in tryton.scenario["not_read"]:
        assert str(not_read) not in rows, "drafts, validated, supplier: not read"
    today = date.today()

    def pick(key, *names):
        return tuple(rows[ids[key]][name] for name in names)

    names = ("kind", "status", "amount_untaxed", "amount_tax", "amount_total")
    assert pick("old", *names, "amount_due") == (
        "invoice",
        "paid",
        "500.00",
        "85.00",
        "585.00",
        "0.00",
    )
    assert pick("open", *names, "amount_due") == (
        "invoice",
        "open",
        "1000.00",
        "170.00",
        "1170.00",
        "1170.00",
    )
    assert pick("open", "issued_on", "due_on") == (
        (today - timedelta(days=40)).isoformat(),
        (today - timedelta(days=10)).isoformat(),
    ), "net 30: overdue"
    assert pick("partly", "status", "amount_total", "amount_due") == (
        "partly_paid",
        "2340.00",
        "1340.00",
    )
    assert pick("paid", "status", "amount_due") == ("paid", "0.00")
    # a credit note: negative in Tryton, positive amounts with its kind here
    assert pick("credit", *names, "amount_due") == (
        "credit_note",
        "open",
        "100.00",
        "17.00",
        "117.00",
        "117.00",
    )
    assert pick("refunded", "kind", "status", "amount_total") == (
        "invoice",
        "cancelled",
        "351.00",
    )
    assert pick("refund", "kind", "status", "amount_total", "amount_due") == (
        "credit_note",
        "paid",
        "351.00",
        "0.00",
    )
    assert pick("euro", "currency", "amount_tax", "amount_total") == (
        "EUR",
        "0.00",
        "400.00",
    )
    assert pick("old", "currency") == ("ILS",)
    hebrew = rows[ids["open"]]["customer"]
    assert hebrew == {
        "external_id": str(tryton.scenario["parties"]["hebrew"]),
        "vat": ISRAELI_TAX_ID,
        "email": "billing@electra.example",
        "name": HEBREW_NAME,
    }
    assert rows[ids["euro"]]["customer"] == {
        "external_id": str(tryton.scenario["parties"]["email_only"]),
        "vat": None,
        "email": EMAIL_ONLY,
        "name": "Only Email Ltd",
    }
    first = rows[ids["open"]]
    assert first["number"] == tryton.scenario["open"]["number"]
    assert first["number"].startswith("INV")
    assert first["source_url"] == (
        f"{tryton.url}/#crm/model/account.invoice/{ids['open']}"
    )
    # the payload is plain JSON (kept in Odoo) and gives the row back
    payload = json.loads(json.dumps(first["payload"], ensure_ascii=False))
    assert payload["party."]["name"] == HEBREW_NAME
    assert src.retry_row(payload) == first
    assert len(pages) == 1 and sleeps == []
    last = max(rows.values(), key=lambda r: r["payload"]["write_date"])
    assert pages[0].bookmark == f"{last['payload']['write_date']}#{last['external_id']}"


def test_small_pages_give_every_invoice_once(tryton):
    src, _sleeps = source(tryton.url, page_size=3)
    _pages, everything = read(src)
    pages, rows = read(src, page_size=500)  # the configured page size wins
    assert all(len(page.rows) <= 3 for page in pages)
    assert [page.progress for page in pages] == [
        (min(3 * n, len(rows)), len(rows)) for n in range(1, len(pages) + 1)
    ]
    assert len(pages) >= 3
    assert sorted(by_id(rows)) == sorted(by_id(everything))
    bookmarks = [page.bookmark for page in pages]
    assert bookmarks == sorted(bookmarks, key=_cursor) and len(set(bookmarks)) == len(
        bookmarks
    )


def _cursor(bookmark):
    stamp, _sep, last_id = bookmark.rpartition("#")
    return dt.datetime.fromisoformat(stamp), int(last_id)


def test_a_bookmark_resumes_after_what_was_read(tryton):
    src, _sleeps = source(tryton.url, page_size=3, overlap=timedelta(0))
    pages, rows = read(src)
    first_page = {row["external_id"] for row in pages[0].rows}
    _again, rest = read(src, pages[0].bookmark)
    assert {row["external_id"] for row in rest} == {
        row["external_id"] for row in rows
    } - first_page
    # at the end: nothing new, one empty page, the bookmark stays
    [end] = list(src.pages(pages[-1].bookmark, 500))
    assert end.rows == [] and end.bookmark == pages[-1].bookmark


def test_the_overlap_reads_again_but_never_moves_the_bookmark_back(tryton):
    src, _sleeps = source(tryton.url, page_size=3)  # 10 minutes by default
    pages, rows = read(src)
    again, reread = read(src, pages[1].bookmark)
    assert {row["external_id"] for row in reread} == {
        row["external_id"] for row in rows
    }, "all were written minutes ago: read again, Odoo skips them"
    assert all(_cursor(page.bookmark) >= _cursor(pages[1].bookmark) for page in again)
    assert again[-1].bookmark == pages[-1].bookmark


def test_start_date_leaves_older_invoices_out(tryton):
    src, _sleeps = source(tryton.url, start_date=date.today() - timedelta(days=100))
    _pages, rows = read(src)
    rows = by_id(rows)
    assert str(tryton.scenario["old"]["id"]) not in rows
    assert str(tryton.scenario["open"]["id"]) in rows


def test_a_foreign_bookmark_reads_from_the_start(tryton):
    src, _sleeps = source(tryton.url)
    _pages, rows = read(src, "2026-11-01..2026-11-22#end")  # a Morning one
    assert {str(tryton.scenario[key]["id"]) for key in SCENARIO} <= set(by_id(rows))


def test_bad_password_fails_at_once(tryton):
    src, sleeps = source(tryton.url, password="wrong")
    with pytest.raises(SourceError, match="login refused for user 'admin'") as error:
        read(src)
    assert tryton.url in str(error.value) and "HTTP 401" in str(error.value)
    assert sleeps == [], "not retried"


def test_unknown_database_fails_at_once(tryton):
    src, sleeps = source(tryton.url, database="nope")
    with pytest.raises(SourceError, match="no database 'nope'"):
        read(src)
    assert sleeps == []


def test_a_user_without_access_fails_clearly(tryton):
    tryton.script("user", "no-access", "no-access-Pass-1")
    src, sleeps = source(tryton.url, password="no-access-Pass-1")
    src.config.username = "no-access"
    with pytest.raises(SourceError) as error:
        read(src)
    message = str(error.value)
    assert message == (
        f"Tryton {tryton.url} database crm model.account.invoice.search_count: "
        'UserError: You are not allowed to access "Invoice".'
    )
    assert sleeps == []


def test_unreachable_server_is_retried_then_fails_clearly():
    url = f"http://127.0.0.1:{free_port()}"
    src, sleeps = source(url)
    with pytest.raises(SourceError) as error:
        read(src)
    message = str(error.value)
    assert url in message and "gave up after 4 attempts" in message
    assert "Connection refused" in message
    assert sleeps == [1, 2, 4]


def test_expired_session_logs_in_again(tryton):
    src, _sleeps = source(tryton.url)
    read(src)
    src.session = "Session " + "YWRtaW46MTpub3BlCg=="  # admin:1:nope
    _pages, rows = read(src)
    assert rows


class Proxy(LoopbackServer):
    """Forwards to Tryton; serves scripted faults first, can rewrite the
    answers of search_read."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.faults = []  # (status, headers, delay) served before forwarding
        self.rewrite = None  # function(rows) for search_read answers
        self.calls = []
        super().__init__(_ProxyHandler)


class _ProxyHandler(AnsweringHandler):
    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        method = json.loads(body)["method"]
        server.calls.append(method)
        if server.faults and method.endswith("search_read"):
            status, headers, delay = server.faults.pop(0)
            time.sleep(delay)
            if not status:
                return None  # the client gave up meanwhile: no answer
            return self.answer(status, b'{"error": "fault"}', headers.items())
        headers = {
            key: value
            for key, value in self.headers.items()
            if key.lower() in ("content-type", "authorization")
        }
        request = urllib.request.Request(
            server.upstream + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, payload = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        if status == 200 and server.rewrite and method.endswith("search_read"):
            answer = json.loads(payload)
            answer["result"] = server.rewrite(answer["result"])
            payload = json.dumps(answer).encode()
        return self.answer(status, payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(tryton):
    server = Proxy(tryton.url)
    yield server
    server.close()


def test_429_5xx_and_timeouts_are_retried(tryton, proxy):
    proxy.faults += [
        (429, {"Retry-After": "3"}, 0),
        (503, {}, 0),
        (0, {}, 6.0),  # slower than the timeout, then forwarded
        (502, {}, 0),
    ]
    # a timeout a loaded machine's real Tryton answers well within
    src, sleeps = source(proxy.url, timeout=3.0, max_retries=4)
    _pages, rows = read(src)
    assert {str(tryton.scenario[key]["id"]) for key in SCENARIO} <= set(by_id(rows))
    assert sleeps == [3.0, 2, 4, 8]


def test_gives_up_after_max_retries_naming_the_source(tryton, proxy):
    proxy.faults += [(500, {}, 0)] * 4
    src, sleeps = source(proxy.url)
    with pytest.raises(SourceError) as error:
        read(src)
    message = str(error.value)
    assert proxy.url in message and "database crm" in message
    assert "gave up after 4 attempts (HTTP 500)" in message
    assert sleeps == [1, 2, 4]


def test_a_stopped_server_is_waited_for_and_the_read_resumes(tryton):
    src, _sleeps = source(tryton.url, page_size=3, overlap=timedelta(0))
    everything = by_id(read(src)[1])
    pages = src.pages(None, 500)
    first = next(pages)
    tryton.stop()
    restarted = []

    def sleep(seconds):
        restarted.append(seconds)
        if len(restarted) == 2:
            tryton.start()

    src.sleep = sleep
    try:
        rest = [row for page in pages for row in page.rows]
    finally:
        if tryton.process is None:
            tryton.start()
    assert restarted[:2] == [1, 2]
    assert sorted(by_id(first.rows + rest)) == sorted(everything)
    # stopped for good: a clear failure naming the server
    tryton.stop()
    try:
        src.sleep = restarted.append
        with pytest.raises(SourceError, match=f"Tryton {tryton.url} .*gave up"):
            read(src, first.bookmark)
    finally:
        tryton.start()


def test_malformed_rows_are_rejected_with_the_reason(tryton, proxy):
    bad_total, no_currency = (
        str(tryton.scenario["open"]["id"]),
        str(tryton.scenario["paid"]["id"]),
    )

    def rewrite(rows):
        for row in rows:
            if str(row["id"]) == bad_total:
                row["total_amount"] = "12,3.4"
            if str(row["id"]) == no_currency:
                row["currency."] = None
        return rows

    proxy.rewrite = rewrite
    src, _sleeps = source(proxy.url)
    rows = by_id(read(src)[1])
    assert rows[bad_total]["reject_reason"] == (
        f"invoice {tryton.scenario['open']['number']}: total_amount '12,3.4' "
        "is not a number"
    )
    assert rows[bad_total]["payload"]["total_amount"] == "12,3.4"
    assert "no currency code" in rows[no_currency]["reject_reason"]
    good = [row for row in rows.values() if "reject_reason" not in row]
    assert len(good) == len(rows) - 2
    # fixed in the payload, a retry gives the row
    fixed = dict(rows[bad_total]["payload"], total_amount="1170.00")
    assert src.retry_row(fixed)["amount_total"] == "1170.00"
    assert src.retry_row("not a dict") is None


def test_invoices_posted_and_paid_after_a_read_come_next(tryton):
    src, _sleeps = source(tryton.url, overlap=timedelta(0))
    pages, _rows = read(src)
    bookmark = pages[-1].bookmark
    party = tryton.scenario["parties"]["hebrew"]
    new = tryton.script("invoice", party, "250")
    open_id = tryton.scenario["open"]["id"]
    tryton.script("pay", open_id, "170")
    pages, rows = read(src, bookmark)
    rows = by_id(rows)
    assert set(rows) == {str(new["id"]), str(open_id)}
    assert (rows[str(new["id"])]["status"], rows[str(new["id"])]["amount_total"]) == (
        "open",
        "292.50",
    )
    assert (rows[str(open_id)]["status"], rows[str(open_id)]["amount_due"]) == (
        "partly_paid",
        "1000.00",
    )
    # the rest paid: the reconciliation makes it paid, it comes again
    tryton.script("pay", open_id, "1000")
    pages, rows = read(src, pages[-1].bookmark)
    assert [(r["external_id"], r["status"]) for r in rows] == [(str(open_id), "paid")]
    _pages, rows = read(src, pages[-1].bookmark)
    assert rows == []


# -- end to end: crm-sync pulls from Tryton into a live Odoo ----------------


def _write_sync_config(folder, odoo_server, tryton_url, name):
    odoo = e2e_odoo_table(
        odoo_server.url, odoo_server.database, page_size=3, timeout=20
    )
    path = folder / "crm-sync.toml"
    path.write_text(
        f"""
{odoo}
[[sources]]
name = "{name}"
kind = "tryton"
url = "{tryton_url}"
database = "crm"
username = "admin"
password = {{env = "CRM_SYNC_TRYTON_PASSWORD"}}
page_size = 4
""",
        encoding="utf-8",
    )
    return path


def test_crm_sync_pulls_tryton_invoices_into_odoo(
    tryton, odoo_server, admin, setup, tmp_path, monkeypatch
):
    monkeypatch.setenv("CRM_SYNC_TRYTON_PASSWORD", tryton.password)
    customers = {}
    for key, values in (
        ("hebrew", {"name": "E2E Tryton אלקטרה", "vat": f"IL{ISRAELI_TAX_ID}"}),
        ("email_only", {"name": "E2E Tryton Only Email", "email": EMAIL_ONLY}),
    ):
        field = "vat" if "vat" in values else "email"
        found = admin("res.partner", "search", [(field, "=", values[field])])
        customers[key] = (
            found[0]
            if found
            else admin("res.partner", "create", {**values, "is_company": True})
        )
    name = f"tryton-{RUN}"
    config = _write_sync_config(tmp_path, odoo_server, tryton.url, name)
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    landed = {row["external_id"]: row for row in invoices(admin, name)}
    ids = {key: str(tryton.scenario[key]["id"]) for key in SCENARIO}
    assert set(ids.values()) <= set(landed)
    assert landed[ids["open"]]["partner_id"][0] == customers["hebrew"]
    assert landed[ids["euro"]]["partner_id"][0] == customers["email_only"]
    assert landed[ids["credit"]]["kind"] == "credit_note"
    [record] = admin(
        "crm.external.invoice",
        "search_read",
        [("job_id.name", "=", name), ("external_id", "=", ids["credit"])],
        fields=["amount_signed", "status", "number"],
    )
    assert (record["amount_signed"], record["status"]) == (-117.0, "open")
    # a rerun changes nothing
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    done = [
        json.loads(line)
        for line in err.splitlines()
        if line.startswith("{") and '"event": "done"' in line
    ]
    assert done and done[-1]["created"] == 0 and done[-1]["updated"] == 0, err
    assert {row["external_id"] for row in invoices(admin, name)} == set(landed)
    # paid in Tryton after the runs: the next one updates it
    tryton.script("pay", ids["partly"], "1340")
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    done = [json.loads(line) for line in err.splitlines() if '"event": "done"' in line]
    assert (done[-1]["created"], done[-1]["updated"]) == (0, 1), err
    [record] = admin(
        "crm.external.invoice",
        "search_read",
        [("job_id.name", "=", name), ("external_id", "=", ids["partly"])],
        fields=["status", "amount_due"],
    )
    assert (record["status"], record["amount_due"]) == ("paid", 0.0)


def test_invoice_lines_come_with_their_invoices(tryton):
    src, _sleeps = source(tryton.url)
    rows = by_id(read(src)[1])
    ids = {key: str(tryton.scenario[key]["id"]) for key in SCENARIO}
    [line] = rows[ids["open"]]["lines"]
    assert (
        line["product_code"],
        line["description"],
        line["quantity"],
        line["price_unit"],
        line["amount"],
    ) == ("SI-10K", "Solar inverter", "1.0", "1000", "1000.00")
    # the credit note of "refunded": negative in Tryton, signed by Odoo
    [credited] = rows[ids["refund"]]["lines"]
    assert credited["product_code"] == "SI-10K"
    assert Decimal(credited["quantity"]) == -1
    assert Decimal(credited["amount"]) == -300
    assert rows[ids["old"]]["lines"][0]["product_code"] is None
    # the lines are in the payload: a retry gives them again
    payload = json.loads(json.dumps(rows[ids["open"]]["payload"], default=str))
    assert src.retry_row(payload)["lines"] == rows[ids["open"]]["lines"]


def test_credit_notes_name_the_invoice_they_credit(tryton):
    src, _sleeps = source(tryton.url)
    rows = by_id(read(src)[1])
    ids = {key: str(tryton.scenario[key]["id"]) for key in SCENARIO}
    # Tryton's credit wizard: each line's origin is the credited line
    assert rows[ids["credit"]]["origin"] == ids["paid"]
    assert rows[ids["refund"]]["origin"] == ids["refunded"]
    assert not any("origin" in rows[ids[key]] for key in ("open", "paid", "euro"))
    # kept in the payload: a retry names it again
    payload = json.loads(json.dumps(rows[ids["refund"]]["payload"], default=str))
    assert src.retry_row(payload)["origin"] == ids["refunded"]


def test_a_credit_note_returns_the_assets_of_the_invoice_it_credits(
    tryton, odoo_server, admin, setup, tmp_path, monkeypatch
):
    """Two invoices of the same product for one customer, the older one
    credited: its units come back, not the newer invoice's (which the
    customer's latest assets would be without the origin: the same date,
    the newer first)."""
    monkeypatch.setenv("CRM_SYNC_TRYTON_PASSWORD", tryton.password)
    vat = f"IL{ISRAELI_TAX_ID}"
    if not admin("res.partner", "search", [("vat", "=", vat)]):
        admin(
            "res.partner",
            "create",
            {"name": "E2E Tryton אלקטרה", "vat": vat, "is_company": True},
        )
    products = admin("product.product", "search", [("default_code", "=", "SI-10K")])
    values = {"is_customer_asset": True, "asset_tracking": "unit"}
    if products:
        admin("product.product", "write", products, values)
    else:
        products = [
            admin(
                "product.product",
                "create",
                {"name": "Solar Inverter", "default_code": "SI-10K", **values},
            )
        ]
    party = tryton.scenario["parties"]["hebrew"]
    older = tryton.script("invoice", party, "1000", 2)
    newer = tryton.script("invoice", party, "1000", 1)
    credit = tryton.script("credit", older["id"])
    name = f"tryton-origin-{RUN}"
    config = _write_sync_config(tmp_path, odoo_server, tryton.url, name)
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    [note] = admin(
        "crm.external.invoice",
        "search_read",
        [("job_id.name", "=", name), ("external_id", "=", str(credit["id"]))],
        fields=["kind", "origin_external_id"],
    )
    assert (note["kind"], note["origin_external_id"]) == (
        "credit_note",
        str(older["id"]),
    )

    def states(invoice):
        assets = admin(
            "crm.customer.asset",
            "search_read",
            [
                ("external_line_id.invoice_id.job_id.name", "=", name),
                ("external_line_id.invoice_id.external_id", "=", str(invoice["id"])),
            ],
            fields=["state", "returned_quantity"],
            context={"active_test": False},
        )
        return sorted((a["state"], a["returned_quantity"]) for a in assets)

    assert states(older) == [("returned", 1.0), ("returned", 1.0)]
    assert states(newer) == [("active", 0.0)]
    # a rerun changes nothing
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    assert states(older) == [("returned", 1.0), ("returned", 1.0)]
    assert states(newer) == [("active", 0.0)]
