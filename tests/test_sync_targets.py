"""Targets against real local servers: Radicale (CardDAV) and a webhook
receiver; office files on disk. No Odoo needed."""

import csv
import hashlib
import hmac
import json
import urllib.request

import pytest
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
    assert headers["Idempotency-Key"] == "crm-test-partner-5:hash-5-"
    assert json.loads(body)["customer"]["city"] == "תל אביב"
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
