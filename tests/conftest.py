"""Fixtures for tests that talk to a real Odoo server process.

`make test` passes the database of its run in ODOO_TEST_DB (with the addon
installed and demo data) and its Odoo config in ODOO_TEST_CONFIG; without them
these tests skip, and the harness says so.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

from odoo_env import free_port, odoo_command, odoo_path  # noqa: E402


class OdooServer:
    """An odoo-bin process serving one database on a loopback port."""

    def __init__(self, config, database):
        self.config = config
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log = None
        self.log_path = REPO / "var" / "test-logs" / f"odoo-server-{self.port}.log"

    def start(self, timeout=120):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "w")
        command = odoo_command(
            self.config,
            "-d",
            self.database,
            f"--http-port={self.port}",
            "--max-cron-threads=0",
            "--log-level=warn",
        )
        env = dict(os.environ, PYTHONPATH=str(odoo_path()))
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited early, see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"Odoo did not answer in {timeout} s, see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log:
            self.log.close()

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


class RpcError(Exception):
    def __init__(self, error):
        self.error = error
        data = error.get("data") or {}
        self.name = data.get("name", "")
        self.message = data.get("message", error.get("message", ""))
        super().__init__(f"{self.name}: {self.message}")


@pytest.fixture(scope="session")
def odoo_server():
    config, database = (
        os.environ.get("ODOO_TEST_CONFIG"),
        os.environ.get("ODOO_TEST_DB"),
    )
    if not (config and database):
        pytest.skip("needs a running Odoo: run through `make test`")
    server = OdooServer(config, database).start()
    yield server
    server.stop()


@pytest.fixture(params=["jsonrpc", "xmlrpc"])
def odoo_protocol(request):
    """Each test that takes it runs over both of the service's transports."""
    return request.param
