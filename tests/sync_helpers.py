"""Local servers and config files for the sync service's tests."""

import base64
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Radicale:
    """A real Radicale CardDAV server on a loopback port, no auth."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--server-hosts",
                f"127.0.0.1:{self.port}",
                "--storage-filesystem-folder",
                str(self.folder / "collections"),
                "--auth-type",
                "none",
                "--rights-type",
                "authenticated",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/.web/", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Radicale did not start")

    def make_address_book(self, name):
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<mkcol xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">'
            "<set><prop><resourcetype><collection/><CR:addressbook/></resourcetype>"
            f"<displayname>{name}</displayname></prop></set></mkcol>"
        )
        request = urllib.request.Request(
            f"{self.url}/test/{name}/",
            data=body.encode(),
            method="MKCOL",
            headers={"Content-Type": "application/xml", **self.auth},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
        return f"{self.url}/test/{name}/"

    # auth type "none" takes any password; the user name makes the principal
    auth = {"Authorization": "Basic " + base64.b64encode(b"test:x").decode()}

    def get(self, href):
        request = urllib.request.Request(self.url + href, headers=self.auth)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.read().decode()

    def cards(self, book):
        """{href: (etag, vCard text)} of every card in the address book at
        the URL ``book``, as Radicale has them now."""
        request = urllib.request.Request(
            book,
            data=b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/>'
            b"</prop></propfind>",
            method="PROPFIND",
            headers={"Depth": "1", "Content-Type": "application/xml", **self.auth},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            tree = ElementTree.fromstring(answer.read())
        cards = {}
        for response in tree.iter("{DAV:}response"):
            href = response.findtext("{DAV:}href")
            etag = response.findtext(".//{DAV:}getetag")
            if href and href.endswith(".vcf"):
                cards[href] = (etag, self.get(href))
        return cards

    def exists(self, href):
        try:
            self.get(href)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                return False
            raise
        return True

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


class Recorder(http.server.ThreadingHTTPServer):
    """A webhook receiver or a tiny CardDAV server: answers any method from a
    script of (status, headers, delay), 200 when the script is done, keeps
    what it received: ``received`` (headers, body, status) and ``requests``
    (method, path, headers, body, status)."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.received = []
        self.requests = []
        super().__init__(("127.0.0.1", 0), _RecorderHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.shutdown()
        self.server_close()


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


class FakeOdoo(http.server.ThreadingHTTPServer):
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
        super().__init__(("127.0.0.1", 0), _FakeOdooHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.shutdown()
        self.server_close()


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
