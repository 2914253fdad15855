"""Local servers and config files for the sync service's tests."""

import base64
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path


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

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


class Recorder(http.server.ThreadingHTTPServer):
    """A webhook receiver: answers from a script of status codes, keeps what
    it received."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.received = []
        super().__init__(("127.0.0.1", 0), _RecorderHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.shutdown()
        self.server_close()


class _RecorderHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, headers, delay = 200, {}, 0
        if self.server.answers:
            status, headers, delay = self.server.answers.pop(0)
        time.sleep(delay)
        self.server.received.append((dict(self.headers), body, status))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(json.dumps({"ok": status < 300}).encode())

    def log_message(self, *args):
        pass
