"""Local servers and config files for the sync service's tests."""

import csv
import http.server
import json
import time

from servers import LoopbackServer


class Recorder(LoopbackServer):
    """A webhook receiver or a tiny CardDAV server: answers any method from a
    script of (status, headers, delay), 200 when the script is done, keeps
    what it received: ``received`` (headers, body, status) and ``requests``
    (method, path, headers, body, status)."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.received = []
        self.requests = []
        super().__init__(_RecorderHandler, "/hook")


class _RecorderHandler(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, headers, delay = 200, {}, 0
        if self.server.answers:
            status, headers, delay = self.server.answers.pop(0)
        time.sleep(delay)
        self.server.received.append((dict(self.headers), body, status))
        self.server.requests.append(
            (self.command, self.path, dict(self.headers), body, status)
        )
        answer = json.dumps({"ok": status < 300}).encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_POST = do_PUT = do_GET = do_DELETE = _answer

    def log_message(self, *args):
        pass


class FakeOdoo(LoopbackServer):
    """Odoo's /jsonrpc as far as the sync client needs it: ``results`` maps
    (service, method) or (model, method) to a value or a function of the
    call's arguments; ``calls`` keeps (name, method, args) of every request;
    ``http_errors`` is a script of HTTP statuses served first."""

    def __init__(self, results=None, http_errors=()):
        self.results = {
            ("common", "authenticate"): 7,
            ("common", "version"): {"server_version": "18.0"},
            **(results or {}),
        }
        self.http_errors = list(http_errors)
        self.calls = []
        super().__init__(_FakeOdooHandler)


class _FakeOdooHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        server = self.server
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        params = request["params"]
        if params["service"] == "object":
            _db, _uid, _key, model, method, args, kwargs = params["args"]
            name, args = model, [*args, kwargs]
        else:
            name, method, args = params["service"], params["method"], params["args"]
        server.calls.append((name, method, args))
        if server.http_errors:
            status = server.http_errors.pop(0)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        result = server.results.get((name, method), True)
        if callable(result):
            result = result(*args)
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def odoo_table(url, db, login, key_env, **settings):
    """The ``[odoo]`` table of a configuration file, its API key read from
    the environment variable ``key_env``; ``settings`` add keys (TOML values
    as JSON writes them)."""
    lines = [
        "[odoo]",
        f'url = "{url}"',
        f'db = "{db}"',
        f'login = "{login}"',
        f'api_key = {{env = "{key_env}"}}',
        *(f"{key} = {json.dumps(value)}" for key, value in settings.items()),
    ]
    return "\n".join(lines) + "\n"


def save_config(folder, text):
    """``folder``/crm-sync.toml holding ``text``, with the drop folder its
    source reads made beside it."""
    (folder / "drop").mkdir(parents=True, exist_ok=True)
    path = folder / "crm-sync.toml"
    path.write_text(text)
    return path


def write_csv(path, header, rows, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
