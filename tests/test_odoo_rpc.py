"""External API clients (the sync service, integrations) over JSON-RPC and
XML-RPC (the service's two transports) against a real Odoo server: bad input is
refused with the field named, nothing is written, and what is written shows in
the customer history."""

import pytest

from sync_service.config import OdooConfig, Secret
from sync_service.errors import OdooError
from sync_service.odoo import transport

ADMIN = ("admin", "admin")  # the demo database's administrator
# XML-RPC names only the family of an error: a ValidationError is a UserError
VALIDATION_ERROR = {
    "jsonrpc": "odoo.exceptions.ValidationError",
    "xmlrpc": "odoo.exceptions.UserError",
}


@pytest.fixture(scope="module", params=["jsonrpc", "xmlrpc"])
def protocol(request):
    return request.param


@pytest.fixture(scope="module")
def rpc(odoo_server, protocol):
    config = OdooConfig(
        url=odoo_server.url,
        db=odoo_server.database,
        login=ADMIN[0],
        api_key=Secret(ADMIN[1]),
        protocol=protocol,
    )
    client = transport(config)
    assert client.login()
    return client.call


@pytest.fixture
def customer(rpc):
    partner_id = rpc("res.partner", "create", {"name": "RPC Test Customer בע״מ"})
    yield partner_id
    interaction_ids = rpc(
        "crm.interaction", "search", [("partner_id", "=", partner_id)]
    )
    rpc("crm.interaction", "unlink", interaction_ids)
    rpc("res.partner", "unlink", [partner_id])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"channel": "pigeon"}, "not a valid Channel"),
        ({"direction": "sideways"}, "not a valid Direction"),
        ({"duration": -1}, "Duration cannot be negative"),
        ({"partner_id": False}, "field Customer is required"),
    ],
)
def test_bad_interaction_is_refused_with_the_field_named(
    rpc, protocol, customer, values, message
):
    with pytest.raises(OdooError) as raised:
        rpc("crm.interaction", "create", [{"partner_id": customer, **values}])
    assert raised.value.name == VALIDATION_ERROR[protocol]
    assert message in raised.value.message
    assert rpc("crm.interaction", "search_count", [("partner_id", "=", customer)]) == 0


def test_logged_call_shows_in_the_history(rpc, customer):
    rpc(
        "crm.interaction",
        "create",
        [{"partner_id": customer, "name": "Called from the API", "duration": 0.5}],
    )
    rows = rpc(
        "crm.customer.timeline",
        "search_read",
        [("partner_id", "=", customer)],
        fields=["kind", "title", "channel"],
    )
    assert [(r["kind"], r["title"], r["channel"]) for r in rows] == [
        ("interaction", "Called from the API", "call")
    ]
    partner = rpc("res.partner", "read", [customer], ["interaction_count"])[0]
    assert partner["interaction_count"] == 1
