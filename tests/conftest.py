"""Fixtures for tests that talk to a real Odoo server process.

`make test` passes the database of its run in ODOO_TEST_DB (with the addon
installed and demo data) and its Odoo config in ODOO_TEST_CONFIG; without them
these tests skip, and the harness says so.
"""

import os

import pytest
from servers import OdooServer


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
