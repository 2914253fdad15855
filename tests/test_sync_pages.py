"""Pages cut to what a request to Odoo may weigh: a local JSON-RPC server
that refuses bodies over its limit with HTTP 413, as Odoo (128 MiB) or a
proxy in front of it (often 1 MB) does, and applies pages with their
bookmarks as Odoo's ``crm.sync.api.import_page`` does."""

import http.server
import json
import threading

import pytest
from servers import LoopbackServer

from sync_service.config import Config, OdooConfig, Secret, SourceConfig
from sync_service.job import EXIT_FAILED, EXIT_REJECTED, Job, pull_invoices
from sync_service.sources import Page

KB = 1024


class SizeLimitedOdoo(LoopbackServer):
    """Odoo's pull API as the sync sees it, refusing bodies over
    ``max_body`` with 413. ``invoices``: {external id: row}; ``issues``:
    {record key: reason}; ``bodies``: the size of every request;
    ``fail_calls``: numbers of import_page calls that fail in Odoo (a
    JSON-RPC error, not retried) before anything is applied,
    ``lose_answers``: numbers of calls applied whose answer is lost (HTTP 504,
    retried by the client)."""

    def __init__(self, max_body):
        self.max_body = max_body
        self.bookmark = False
        self.invoices, self.issues, self.queued = {}, {}, []
        self.bodies, self.pages = [], []
        self.fail_calls, self.lose_answers = set(), set()
        self.lock = threading.Lock()
        super().__init__(_Handler)

    def call(self, model, method, args):
        if (model, method) == ("common", "authenticate"):
            return 7
        if method == "start_run":
            return {"run_id": 1, "bookmark": self.bookmark}
        if method == "pending_retries":
            return self.queued
        if method == "finish_run":
            return True
        if method == "import_page":
            return self.import_page(*args[:5])
        raise AssertionError(f"unexpected call {model}.{method}")

    def import_page(self, _job, _run_id, rows, before, after, dry_run=False):
        self.pages.append((len(rows), before, after))
        if (self.bookmark or False) != (before or False):
            return {"applied": False, "bookmark": self.bookmark}
        counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
        for row in rows:
            if row.get("reject_reason"):
                counts["rejected"] += 1
                self.issues[row.get("record_key") or row.get("external_id")] = row[
                    "reject_reason"
                ]
                continue
            known = self.invoices.get(row["external_id"])
            counts[
                "unchanged" if known == row else "updated" if known else "created"
            ] += 1
            if not dry_run:
                self.invoices[row["external_id"]] = row
        if not dry_run:
            self.bookmark = after
        return {**counts, "bookmark": after, "applied": not dry_run}


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        length = int(self.headers["Content-Length"])
        server.bodies.append(length)
        if length > server.max_body:
            # as werkzeug does: refused unread, the connection closed
            self._answer(413, b"<h1>Request Entity Too Large</h1>")
            self.close_connection = True
            return
        request = json.loads(self.rfile.read(length))
        params = request["params"]
        if params["service"] == "object":
            _db, _uid, _key, model, method, args, _kwargs = params["args"]
        else:
            model, method, args = params["service"], params["method"], params["args"]
        with server.lock:
            number = len(server.pages) + 1
            if method == "import_page" and number in server.fail_calls:
                server.fail_calls.discard(number)
                server.pages.append(("failed", args[3], args[4]))
                error = {"message": "Odoo Server Error", "data": {"name": "Error"}}
                body = {"jsonrpc": "2.0", "id": request["id"], "error": error}
                self._answer(200, json.dumps(body).encode(), "application/json")
                return
            result = server.call(model, method, args)
            if method == "import_page" and number in server.lose_answers:
                server.lose_answers.discard(number)
                self._answer(504, b"Gateway Timeout")
                return
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result})
        self._answer(200, body.encode(), "application/json")

    def _answer(self, status, body, content_type="text/html"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def odoo():
    server = SizeLimitedOdoo(max_body=400 * KB)
    yield server
    server.close()


def make_job(tmp_path, url, sources, max_page_bytes, page_size=500):
    odoo = OdooConfig(url, "crm", "sync", Secret("k"), page_size=page_size)
    # set after: a client that does not know the key sends pages whole
    odoo.max_page_bytes = max_page_bytes
    config = Config(odoo, list(sources), [], tmp_path / "lock", tmp_path)
    return Job(config, terminal=False)


def pdf_source(tmp_path, sizes):
    """A drop folder with one CSV, a row per PDF of the given sizes."""
    drop = tmp_path / "drop"
    (drop / "pdf").mkdir(parents=True)
    lines = ["id,date,total,pdf"]
    for index, size in enumerate(sizes):
        (drop / "pdf" / f"INV-{index}.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * size)
        lines.append(f"INV-{index},2026-11-01,10,pdf/INV-{index}.pdf")
    (drop / "export.csv").write_text("\n".join(lines) + "\n")
    return SourceConfig(
        name="finance",
        kind="csv",
        folder=drop,
        processed_folder=drop / "processed",
        columns={
            "external_id": "id",
            "issued_on": "date",
            "amount_total": "total",
            "pdf_file": "pdf",
        },
        default_currency="ILS",
    )


def test_a_page_of_pdfs_goes_in_requests_under_the_limit(tmp_path, odoo):
    # 12 invoices with a 60 KB PDF each: one page of rows, 1 MB as one request
    sizes = [60 * KB] * 12
    sizes[5] = 500 * KB  # too big for any request the limit allows
    source = pdf_source(tmp_path, sizes)
    job = make_job(tmp_path, odoo.url, [source], max_page_bytes=300 * KB)
    totals = pull_invoices(job, source)
    assert job.failures == []
    assert max(odoo.bodies) <= 300 * KB, "no request over odoo.max_page_bytes"
    assert len([page for page in odoo.pages if page[0]]) > 1, "the page went in parts"
    assert sorted(odoo.invoices) == sorted(f"INV-{i}" for i in range(12) if i != 5)
    assert odoo.invoices["INV-0"]["pdf_name"] == "INV-0.pdf"
    [reason] = odoo.issues.values()
    assert reason.startswith(
        "export.csv line 7: the row with the PDF INV-5.pdf (500 KB)"
    )
    assert "(odoo.max_page_bytes)" in reason
    assert totals["created"] == 11 and totals["rejected"] == 1
    assert job.exit_code() == EXIT_REJECTED
    assert odoo.bookmark.startswith("export.csv@") and odoo.bookmark.endswith("#end")
    assert (source.processed_folder / "export.csv").exists()


def test_queued_retries_go_in_requests_under_the_limit(tmp_path, odoo):
    source = pdf_source(tmp_path, [60 * KB] * 8)
    (source.folder / "export.csv").unlink()  # only the retries this time
    odoo.queued = [
        {
            "issue_id": 100 + index,
            "payload": {
                "file": "export.csv",
                "line": index + 2,
                "id": f"INV-{index}",
                "date": "2026-11-01",
                "total": "10",
                "pdf": f"pdf/INV-{index}.pdf",
            },
        }
        for index in range(8)
    ]
    odoo.bookmark = "earlier.csv@1#end"
    job = make_job(tmp_path, odoo.url, [source], max_page_bytes=200 * KB)
    pull_invoices(job, source)
    assert job.failures == []
    assert max(odoo.bodies) <= 200 * KB
    assert len(odoo.invoices) == 8
    assert all(
        before == after == "earlier.csv@1#end" for _n, before, after in odoo.pages
    ), "retries leave the bookmark where it is"


class HeavyRows:
    """A source that does not cut its pages by size: two pages of ten rows
    of 30 KB each; ``read_from`` keeps the bookmarks it was asked for."""

    def __init__(self):
        self.read_from = []

    def retry_row(self, payload):
        return None

    def pages(self, bookmark, page_size):
        self.read_from.append(bookmark)
        for number, mark in enumerate(("b1", "b2")):
            if bookmark == "b2" or (bookmark == "b1" and mark == "b1"):
                continue
            rows = [
                {
                    "external_id": f"R{number}-{index}",
                    "payload": {"text": "x" * 30 * KB},
                }
                for index in range(10)
            ]
            yield Page(rows=rows, bookmark=mark)


def test_a_run_stopped_between_parts_resumes_from_the_part_odoo_has(tmp_path, odoo):
    source = SourceConfig(name="heavy", kind="tryton")
    heavy = HeavyRows()
    # 100 KB a request: 3 rows of 30 KB a part, 4 parts a page
    job = make_job(tmp_path, odoo.url, [source], max_page_bytes=100 * KB + 16 * KB)
    odoo.fail_calls = {6}  # the second part of the second page
    pull_invoices(job, source, heavy)
    assert job.exit_code() == EXIT_FAILED
    assert odoo.bookmark == "b1 +part 1"
    assert len(odoo.invoices) == 13
    # the next run reads the second page again and goes on from its part 1;
    # an answer lost on the way is not a part applied twice
    odoo.lose_answers = {8}
    job = make_job(tmp_path, odoo.url, [source], max_page_bytes=100 * KB + 16 * KB)
    totals = pull_invoices(job, source, heavy)
    assert job.failures == []
    assert heavy.read_from == [False, "b1"]
    assert odoo.bookmark == "b2"
    assert len(odoo.invoices) == 20
    assert totals["read"] == 10
    # the rows of the lost answer are in Odoo's counts of the run, which this
    # server does not answer: the client's sums leave them out
    assert totals["created"] == 4 and totals["unchanged"] == 3
    assert max(odoo.bodies) <= 116 * KB
    resumed = [page for page in odoo.pages if page[0] != "failed"][-5:]
    assert [(before, after) for _n, before, after in resumed] == [
        ("b1 +part 1", "b1 +part 2"),
        ("b1 +part 2", "b1 +part 3"),
        ("b1 +part 2", "b1 +part 3"),  # the lost answer, asked again
        ("b1 +part 3", "b1 +part 4"),
        ("b1 +part 4", "b2"),
    ]
