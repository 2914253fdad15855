"""External API clients (the sync service, integrations) over JSON-RPC against
a real Odoo server: bad input is refused with the field named, nothing is
written, and what is written shows in the customer history."""

import pytest
from conftest import RpcError

ADMIN = ("admin", "admin")  # the demo database's administrator


@pytest.fixture(scope="module")
def rpc(odoo_server):
    uid = odoo_server.json_rpc("common", "login", odoo_server.database, *ADMIN)
    assert uid

    def execute(model, method, *args, **kwargs):
        return odoo_server.json_rpc(
            "object",
            "execute_kw",
            odoo_server.database,
            uid,
            ADMIN[1],
            model,
            method,
            list(args),
            kwargs,
        )

    return execute


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
    rpc, customer, values, message
):
    with pytest.raises(RpcError) as raised:
        rpc("crm.interaction", "create", [{"partner_id": customer, **values}])
    assert raised.value.name == "odoo.exceptions.ValidationError"
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
