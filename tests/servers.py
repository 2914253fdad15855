"""The server processes the tests and the benchmarks talk to, started one way.

``ServerProcess`` starts a command on a free loopback port, waits until it
answers (or exits, or a timeout passes, naming its log), and stops it
(terminate, then kill). ``OdooServer`` (odoo-bin on a database, with its
JSON-RPC and an admin ``execute_kw``), ``Radicale`` (CardDAV, no auth) and, in
``tryton_helpers.py``, ``TrytonServer`` are its kinds. ``create_database``
makes an Odoo database with a module installed, for the benchmarks.

Stdlib only: ``tryton_helpers.py`` imports it in the Tryton venv too.
"""

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "tools") not in sys.path:
    sys.path.insert(0, str(REPO / "tools"))

from odoo_env import (  # noqa: E402
    database_exists,
    drop_database,
    free_port,
    odoo_command,
    odoo_path,
)

__all__ = [
    "OdooServer",
    "Radicale",
    "RpcError",
    "ServerProcess",
    "AnsweringHandler",
    "LoopbackServer",
    "create_database",
    "free_port",
]


class ServerProcess:
    """A server process on a loopback port; subclasses say how to start it
    (``command``, ``environment``, ``cwd``) and how to know it answers."""

    name = "server"
    poll_every = 0.3

    def __init__(self, log_path=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path) if log_path else None
        self.process = None
        self.log = None

    def command(self):
        raise NotImplementedError

    def environment(self):
        return None

    def cwd(self):
        return None

    def answers(self):
        raise NotImplementedError

    def start(self, timeout=60):
        output = subprocess.DEVNULL
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self.log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115
            output = self.log
        self.process = subprocess.Popen(
            self.command(),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=self.environment(),
            cwd=self.cwd(),
        )
        where = f", see {self.log_path}" if self.log_path else ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early{where}")
            if self.answers():
                return self
            time.sleep(self.poll_every)
        raise RuntimeError(f"{self.name} did not answer in {timeout} s{where}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.log:
            self.log.close()
            self.log = None


def _answers_get(url):
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


class RpcError(Exception):
    def __init__(self, error):
        self.error = error
        data = error.get("data") or {}
        self.name = data.get("name", "")
        self.message = data.get("message", error.get("message", ""))
        super().__init__(f"{self.name}: {self.message}")


class OdooServer(ServerProcess):
    """An odoo-bin process serving one database on a loopback port."""

    name = "Odoo"
    poll_every = 0.5

    def __init__(self, config, database):
        super().__init__()
        self.config = config
        self.database = database
        self.log_path = REPO / "var" / "test-logs" / f"odoo-server-{self.port}.log"

    def command(self):
        return odoo_command(
            self.config,
            "-d",
            self.database,
            f"--http-port={self.port}",
            "--max-cron-threads=0",
            "--log-level=warn",
        )

    def environment(self):
        return dict(os.environ, PYTHONPATH=str(odoo_path()))

    def answers(self):
        return _answers_get(f"{self.url}/web/health")

    def start(self, timeout=120):
        if self.log_path.exists():
            self.log_path.unlink()  # a log of this run only
        return super().start(timeout)

    def json_rpc(self, service, method, *args):
        """Call Odoo's /jsonrpc; returns the result or raises RpcError."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
            "id": 1,
        }
        request = urllib.request.Request(
            f"{self.url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
        if "error" in answer:
            raise RpcError(answer["error"])
        return answer.get("result")  # Odoo leaves out a None result

    def executor(self, login="admin", password="admin"):
        """``execute(model, method, *args, **kwargs)`` as ``login``."""
        uid = self.json_rpc("common", "login", self.database, login, password)

        def execute(model, method, *args, **kwargs):
            return self.json_rpc(
                "object",
                "execute_kw",
                self.database,
                uid,
                password,
                model,
                method,
                list(args),
                kwargs,
            )

        return execute


class Radicale(ServerProcess):
    """A real Radicale CardDAV server on a loopback port, no auth."""

    name = "Radicale"
    poll_every = 0.2

    def __init__(self, folder):
        super().__init__()
        self.folder = Path(folder)

    def command(self):
        return [
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
        ]

    def answers(self):
        return _answers_get(self.url + "/.web/")

    def start(self, timeout=30):
        return super().start(timeout)

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


class LoopbackServer(http.server.ThreadingHTTPServer):
    """An HTTP server of the test process itself (a fake Odoo, Morning, a
    webhook) on a free loopback port, served by a thread from the start;
    ``url`` is its address followed by ``path``."""

    def __init__(self, handler, path=""):
        super().__init__(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.shutdown()
        self.server_close()


class AnsweringHandler(http.server.BaseHTTPRequestHandler):
    """A request handler of a ``LoopbackServer`` with one way to answer."""

    def answer(self, status, body=b"", headers=(), content_type="application/json"):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def create_database(config, database, module, template=False):
    """A fresh database with ``module`` and no demo data. With ``template``
    (to develop faster) a copy of ``<database>_template``, installed the first
    time, where the module is updated."""
    drop_database(database)
    command = [
        "-d",
        database,
        "--without-demo=all",
        "--stop-after-init",
        "--log-level=warn",
    ]
    if template:
        source = f"{database}_template"
        if not database_exists(source):
            create_database(config, source, module)
        print(f"copying {source} to {database}, updating {module} ...", flush=True)
        subprocess.run(["createdb", "-T", source, database], check=True)
        command += ["-u", module]
    else:
        print(f"creating {database} with {module} ...", flush=True)
        command += ["-i", module]
    subprocess.run(
        odoo_command(config, *command),
        env=dict(os.environ, PYTHONPATH=str(odoo_path())),
        check=True,
    )
