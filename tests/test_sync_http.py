"""One HTTP client, one retry policy (sync_service/http.py) for every client
of the service: Odoo, Tryton, Morning, CardDAV and webhooks, each against a
local server that answers from a script; Odoo's 413."""

import functools
import http.server
import json
import time
from datetime import date

import pytest
import requests
from servers import LoopbackServer

from sync_service.config import OdooConfig, Secret, SourceConfig, TargetConfig
from sync_service.errors import OdooError, OdooRequestTooLarge, OdooUnreachable
from sync_service.http import Session
from sync_service.odoo import JsonRpcTransport, OdooClient
from sync_service.sources.morning import MorningSource
from sync_service.sources.tryton import TrytonSource
from sync_service.targets.carddav import CardDavTarget
from sync_service.targets.webhook import WebhookTarget


class Script(LoopbackServer):
    """Answers every request from ``answers`` — (status, headers, delay) —
    then with 200 and ``body``; keeps (method, path, headers) of each."""

    def __init__(self, answers=(), body=b"{}"):
        self.answers = list(answers)
        self.body = body
        self.requests = []
        super().__init__(_ScriptHandler)


class _ScriptHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        status, headers, delay = 200, {}, 0
        if self.server.answers:
            status, headers, delay = self.server.answers.pop(0)
        time.sleep(delay)
        body = self.server.body if status == 200 else b'{"error": "scripted"}'
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up waiting

    do_GET = do_POST = do_PUT = do_DELETE = do_PROPFIND = _answer

    def log_message(self, *args):
        pass


def _odoo(url, sleeps, retries=4):
    transport = JsonRpcTransport(
        OdooConfig(url, "crm", "sync", Secret("k"), timeout=1, max_retries=retries),
        sleep=sleeps.append,
    )
    transport.uid = 7  # logged in
    return transport


# each kind of source or target: its class, its configuration's class, the path
# after the server's URL, and the settings besides kind, timeout and retries
OPENED = {
    "morning": (
        MorningSource,
        SourceConfig,
        "",
        {
            "name": "morning",
            "api_id": "id",
            "api_secret": Secret("s"),
            "start_date": date(2026, 1, 1),
        },
    ),
    "tryton": (
        TrytonSource,
        SourceConfig,
        "",
        {
            "name": "tryton",
            "database": "crm",
            "username": "admin",
            "password": Secret("pw"),
        },
    ),
    "carddav": (CardDavTarget, TargetConfig, "/book/", {"name": "phones"}),
    "webhook": (
        WebhookTarget,
        TargetConfig,
        "/hook",
        {"name": "hook", "secret": Secret("s")},
    ),
}


def _opened(kind, url, sleeps, retries=4):
    opened_class, config_class, path, settings = OPENED[kind]
    config = config_class(
        kind=kind,
        url=url + path,
        timeout=1,
        max_retries=retries,
        **settings,
    )
    return opened_class(config, sleep=sleeps.append)


CUSTOMER = {
    "partner_id": 1,
    "uid": "crm-test-partner-1",
    "name": "Acme",
    "is_company": True,
    "content_hash": "h",
    "write_date": "2026-11-20 10:00:00",
    "binding": False,
}
# one thing each client does that the server answers 200 to
CLIENTS = {
    "odoo": (_odoo, lambda odoo: odoo.call("res.partner", "read", retry_safe=True)),
    "tryton": (
        functools.partial(_opened, "tryton"),
        lambda tryton: tryton._call("common.version", [], auth=False),
    ),
    "morning": (
        functools.partial(_opened, "morning"),
        lambda morning: morning._post("/account/token", {}, auth=False),
    ),
    "carddav": (
        functools.partial(_opened, "carddav"),
        lambda carddav: carddav.apply({"upserts": [CUSTOMER], "deletes": []}),
    ),
    "webhook": (
        functools.partial(_opened, "webhook"),
        lambda webhook: webhook.apply({"upserts": [CUSTOMER], "deletes": []}),
    ),
}
JSON_RPC = json.dumps(
    {"jsonrpc": "2.0", "id": 1, "result": {"token": "t", "run_id": 1}}
).encode()


@pytest.mark.parametrize("name", CLIENTS)
def test_every_client_retries_the_same_answers_the_same_way(name):
    """408, then 429 asking for 5 seconds, then 500, then 503, then the
    answer: every client sends the request again after each, waiting 1 s,
    the 5 s asked for, 4 s and 8 s. (Before: the CardDAV target, Morning
    and Tryton did not retry 408, Odoo neither 408 nor 500.)"""
    make, act = CLIENTS[name]
    server = Script(
        [
            (408, {}, 0),
            (429, {"Retry-After": "5"}, 0),
            (500, {}, 0),
            (503, {}, 0),
        ],
        body=JSON_RPC,
    )
    sleeps = []
    try:
        act(make(server.url, sleeps))
    finally:
        server.close()
    assert sleeps == [1, 5, 4, 8]
    sent = [(method, path) for method, path, _headers in server.requests]
    assert sent[:5] == [sent[0]] * 5, "the same request five times"
    assert sent[5:] in ([], [("GET", sent[0][1])]), "(CardDAV: then its ETag)"
    assert server.requests[0][2]["User-Agent"].startswith("crm-sync/")


@pytest.mark.parametrize("name", CLIENTS)
def test_no_client_waits_longer_than_five_minutes(name):
    """A Retry-After of a day is waited for 300 s at most, then the request
    goes again (Morning and Tryton waited a day)."""
    make, act = CLIENTS[name]
    server = Script([(429, {"Retry-After": "86400"}, 0)], body=JSON_RPC)
    sleeps = []
    try:
        act(make(server.url, sleeps))
    finally:
        server.close()
    assert sleeps == [300]


@pytest.mark.parametrize("status", [500, 503])
def test_a_call_that_is_not_safe_to_repeat_is_sent_once(status):
    """Odoo's start_run opens a run: after a 500 or 503 it may have, so it
    is not sent again; a 408 or 429 (Odoo did not act) is."""
    server = Script([(status, {}, 0)], body=JSON_RPC)
    sleeps = []
    try:
        client = OdooClient(_odoo(server.url, sleeps))
        with pytest.raises(OdooError, match=f"HTTP {status}"):
            client.sync_start("job", "pull")
        server.answers = [(408, {}, 0), (429, {}, 0)]
        client.sync_start("job", "pull")
    finally:
        server.close()
    assert len(server.requests) == 4
    assert sleeps == [1, 2]


def test_a_lost_answer_is_sent_again_only_when_safe():
    """A timeout after the request went out: a POST marked safe (or carrying
    an Idempotency-Key) goes again, any other POST does not."""
    server = Script([(200, {}, 1.5), (200, {}, 0)])
    sleeps = []
    session = Session(timeout=0.5, max_retries=3, pause=sleeps.append)
    try:
        assert session.post(server.url, data=b"x", retry_safe=True).ok
        assert sleeps == [1]
        server.answers = [(200, {}, 1.5)]
        with pytest.raises(requests.ReadTimeout) as error:
            session.post(server.url, data=b"x")
        assert session.explain(error.value) == "no answer within 0.5 s"
    finally:
        session.close()
        server.close()
    assert len(server.requests) == 3


def test_a_connection_refused_is_tried_again_for_any_call():
    sleeps = []
    client = OdooClient(_odoo("http://127.0.0.1:9", sleeps, retries=2))
    with pytest.raises(OdooUnreachable) as error:
        client.sync_start("job", "pull")
    assert "gave up after 3 attempts" in str(error.value)
    assert "Connection refused" in str(error.value)
    assert sleeps == [1, 2]


def test_odoo_413_says_the_request_is_too_large_and_is_not_retried():
    """Odoo (or a proxy in front of it) refuses a page larger than it
    accepts: the message says so, with the page's size and rows, and does
    not send the reader to odoo.url; sending it again cannot help."""
    server = Script([(413, {"Retry-After": "1"}, 0)] * 3, body=JSON_RPC)
    sleeps = []
    rows = [{"external_id": str(n), "pdf": "x" * 60_000} for n in range(3)]
    try:
        client = OdooClient(_odoo(server.url, sleeps))
        with pytest.raises(OdooRequestTooLarge) as error:
            client.sync_import_page(5, "finance", rows, "", "f.csv#3")
    finally:
        server.close()
    message = str(error.value)
    assert "crm.sync.api.import_page with 3 records" in message
    assert "too large (HTTP 413)" in message and "0.2 MB" in message
    assert "odoo.url" not in message
    assert error.value.size > 180_000
    assert len(server.requests) == 1 and sleeps == []
