"""The Morning (Green Invoice) source against a local server speaking its
documented endpoints: token, paged search, 429 with Retry-After, 500s,
timeouts, an expired token."""

import json
import time
from datetime import date

import pytest
from servers import AnsweringHandler, LoopbackServer

from sync_service.config import Secret, SourceConfig
from sync_service.errors import SourceError
from sync_service.sources.morning import MorningSource


def document(number, doc_type=305, status=0, amount=1170.0, day="2026-11-10"):
    return {
        "id": f"doc-{number}",
        "number": number,
        "type": doc_type,
        "status": status,
        "documentDate": day,
        "currency": "ILS",
        "amount": amount,
        "vat": round(amount - amount / 1.17, 2),
        "client": {
            "id": "cl-1",
            "name": "אלקטרה",
            "taxId": "514000000",
            "emails": ["a@b.co"],
        },
        "url": {"origin": f"https://app.greeninvoice.co.il/d/{number}"},
    }


class FakeMorning(LoopbackServer):
    def __init__(self, documents):
        self.documents = documents
        self.faults = []  # (path, status, headers, delay) served before normal answers
        self.calls = []
        self.tokens = 0
        self.valid_token = None
        super().__init__(_Handler, "/api/v1")


class _Handler(AnsweringHandler):
    def _answer(self, status, payload=None, headers=None):
        body = json.dumps(payload or {}).encode()
        self.answer(status, body, (headers or {}).items())

    def do_POST(self):
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        path = self.path.removeprefix("/api/v1")
        server.calls.append((path, body))
        for fault in list(server.faults):
            if fault[0] == path:
                server.faults.remove(fault)
                time.sleep(fault[3])
                return self._answer(fault[1], {"errorMessage": "fault"}, fault[2])
        if path == "/account/token":
            if body != {"id": "api-id", "secret": "api-secret"}:
                return self._answer(401, {"errorMessage": "bad credentials"})
            server.tokens += 1
            server.valid_token = f"token-{server.tokens}"
            return self._answer(200, {"token": server.valid_token, "expires": 3600})
        if self.headers.get("Authorization") != f"Bearer {server.valid_token}":
            return self._answer(401, {"errorMessage": "expired"})
        if path == "/documents/search":
            selected = [
                d
                for d in server.documents
                if body["fromDate"] <= d["documentDate"] <= body["toDate"]
            ]
            size, page = body["pageSize"], body["page"]
            pages = max(1, -(-len(selected) // size))
            return self._answer(
                200,
                {
                    "total": len(selected),
                    "page": page,
                    "pageSize": size,
                    "pages": pages,
                    "items": selected[(page - 1) * size : page * size],
                },
            )
        return self._answer(404)

    def log_message(self, *args):
        pass


@pytest.fixture
def morning():
    server = FakeMorning(
        [document(n, day=f"2026-11-{10 + n % 10:02d}") for n in range(1, 26)]
    )
    server.documents.append(document(99, doc_type=10))  # a quote: not an invoice
    server.documents.append(document(100, doc_type=330, status=1, amount=117.0))
    yield server
    server.close()


def source(server, **values):
    config = SourceConfig(
        name="morning",
        kind="morning",
        url=server.url,
        api_id="api-id",
        api_secret=Secret("api-secret"),
        start_date=date(2026, 11, 1),
        overlap_days=7,
        page_size=10,
        timeout=1.0,
        max_retries=3,
        **values,
    )
    sleeps = []
    return MorningSource(config, today=date(2026, 11, 22), sleep=sleeps.append), sleeps


def test_paged_window_and_normalised_rows(morning):
    src, _sleeps = source(morning)
    pages = list(src.pages(None, 500))
    assert [p.bookmark for p in pages] == [
        "2026-11-01..2026-11-22#1",
        "2026-11-01..2026-11-22#2",
        "2026-11-01..2026-11-22#end",
    ]
    rows = [row for page in pages for row in page.rows]
    assert len(rows) == 26, "25 invoices and a credit note, no quote"
    credit = next(r for r in rows if r["external_id"] == "doc-100")
    assert (credit["kind"], credit["status"], credit["amount_due"]) == (
        "credit_note",
        "paid",
        "0",
    )
    first = next(r for r in rows if r["external_id"] == "doc-1")
    assert first["customer"] == {
        "external_id": "cl-1",
        "vat": "514000000",
        "email": "a@b.co",
        "name": "אלקטרה",
    }
    assert first["amount_total"] == "1170.00" and first["amount_untaxed"] == "1000.00"


def test_next_run_overlaps_the_last_window(morning):
    src, _sleeps = source(morning)
    pages = list(src.pages("2026-11-01..2026-11-15#end", 500))
    assert pages[0].bookmark.startswith("2026-11-08..2026-11-22#")
    assert morning.calls[-1][1]["fromDate"] == "2026-11-08"


def test_resumes_inside_a_window(morning):
    src, _sleeps = source(morning)
    pages = list(src.pages("2026-11-01..2026-11-22#1", 500))
    assert pages[0].bookmark == "2026-11-01..2026-11-22#2"


def test_429_500_and_timeouts_are_retried(morning):
    morning.faults += [
        ("/documents/search", 429, {"Retry-After": "7"}, 0),
        ("/documents/search", 500, {}, 0),
        ("/documents/search", 200, {}, 2.0),  # slower than the 1 s timeout
    ]
    src, sleeps = source(morning)
    pages = list(src.pages(None, 500))
    assert len(pages) == 3
    assert sleeps == [7.0, 2, 4]


def test_gives_up_clearly(morning):
    morning.faults += [("/documents/search", 503, {}, 0)] * 4
    src, _sleeps = source(morning)
    with pytest.raises(SourceError, match="gave up after 4 attempts"):
        list(src.pages(None, 500))


def test_expired_token_is_renewed_once(morning):
    src, _sleeps = source(morning)
    list(src.pages(None, 500))
    morning.valid_token = "rotated"
    list(src.pages(None, 500))
    assert morning.tokens == 2


def test_bad_credentials_fail_clearly(morning):
    src, _sleeps = source(morning)
    src.config.api_secret = Secret("wrong")
    with pytest.raises(SourceError, match="HTTP 401"):
        list(src.pages(None, 500))


def test_bad_amount_is_a_rejected_row(morning):
    morning.documents.append({**document(200), "amount": "abc"})
    src, _sleeps = source(morning)
    rows = [row for page in src.pages(None, 500) for row in page.rows]
    bad = next(r for r in rows if r["external_id"] == "doc-200")
    assert "amount" in bad["reject_reason"]


def test_income_rows_become_lines(morning):
    income = [
        {
            "catalogNum": "SI-10K",
            "description": "ממיר",
            "quantity": 2,
            "price": 4000,
            "amount": 8000,
            "currency": "ILS",
            "vatType": 0,
        },
        {"description": "התקנה", "quantity": 1, "price": 350.5},
    ]
    morning.documents.append({**document(300, amount=8775.0), "income": income})
    morning.documents.append(
        {**document(301, doc_type=330, amount=4680.0), "income": income[:1]}
    )
    morning.documents.append(
        {**document(302), "income": [{"quantity": "x", "price": 1}]}
    )
    src, _sleeps = source(morning)
    rows = {
        row["external_id"]: row for page in src.pages(None, 500) for row in page.rows
    }
    assert rows["doc-300"]["lines"] == [
        {
            "key": "1",
            "sequence": 1,
            "product_code": "SI-10K",
            "description": "ממיר",
            "quantity": "2",
            "price_unit": "4000",
            "amount": "8000",
        },
        {
            "key": "2",
            "sequence": 2,
            "product_code": None,
            "description": "התקנה",
            "quantity": "1",
            "price_unit": "350.5",
            "amount": None,
        },
    ]
    assert rows["doc-301"]["kind"] == "credit_note"
    assert rows["doc-301"]["lines"][0]["product_code"] == "SI-10K"
    assert (
        "lines" not in rows["doc-1"]
    ), "no income in the answer: lines left as they are"
    assert rows["doc-302"]["reject_reason"] == (
        "document doc-302: income row 1: quantity 'x' is not a number"
    )
    # a retry reads the kept document again, lines and all
    assert src.retry_row(rows["doc-300"]["payload"]) == rows["doc-300"]
