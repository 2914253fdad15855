"""Invoice lines end to end: the real ``crm-sync`` reads a drop folder whose
rows are invoice lines into a live Odoo server with the addon: the assets of a
matched product, a code matching nothing reported once, a rerun writing
nothing, a changed invoice updating its lines and assets in place."""

import json

from sync_helpers import save_config, write_csv
from test_sync_e2e import (  # noqa: F401 - fixtures used by name
    RUN,
    SYNC_LOGIN,
    admin,
    crm_sync,
    done_event,
    e2e_odoo_table,
    setup,
)

HEADER = ["Invoice", "Date", "Total", "VAT No", "SKU", "Item", "Qty", "Price"]


def write_config(folder, odoo_url, database):
    odoo = e2e_odoo_table(odoo_url, database, timeout=60)
    text = f"""
{odoo}
[[sources]]
name = "lines-{RUN}"
kind = "csv"
folder = "{folder / "drop"}"
date_format = "%d/%m/%Y"
default_currency = "ILS"
[sources.columns]
external_id = "Invoice"
issued_on = "Date"
amount_total = "Total"
customer_vat = "VAT No"
[sources.line_columns]
product_code = "SKU"
description = "Item"
quantity = "Qty"
price_unit = "Price"
"""
    return save_config(folder, text)


def counts(event):
    return {key: event[key] for key in ("created", "updated", "unchanged", "rejected")}


def test_csv_lines_become_assets_once(admin, setup, odoo_server, tmp_path):  # noqa: F811
    code = f"E2E-INV-{RUN}"
    product = admin(
        "product.product",
        "create",
        {
            "name": f"E2E Inverter {RUN}",
            "default_code": code,
            "is_customer_asset": True,
            "asset_tracking": "unit",
            "warranty_duration": 12,
        },
    )
    config = write_config(tmp_path, odoo_server.url, odoo_server.database)
    drop = tmp_path / "drop"
    invoice = f"L-{RUN}"
    rows = [
        [invoice, "01/11/2026", "8500", "IL511111118", code, "Inverter", "2", "4000"],
        [invoice, "01/11/2026", "8500", "IL511111118", "NO-SUCH", "Cable", "1", "500"],
    ]
    write_csv(drop / "a.csv", HEADER, rows, encoding="utf-8")
    status, _out, err = crm_sync(config, "pull-invoices")
    assert status == 0, err
    assert counts(done_event(err)) == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }

    def assets():
        return admin(
            "crm.customer.asset",
            "search_read",
            [("product_id", "=", product), ("source", "=", "external")],
            fields=["state", "price_unit", "source_key"],
            order="source_key",
            context={"active_test": False},
        )

    def issues():
        return admin(
            "crm.sync.issue",
            "search_read",
            [("job_id.name", "=", f"lines-{RUN}")],
            fields=["record_key", "reason", "state"],
        )

    assert [(a["state"], a["price_unit"]) for a in assets()] == [
        ("active", 4000.0),
        ("active", 4000.0),
    ]
    [issue] = issues()
    assert issue["record_key"] == f"ext:{invoice}:3"
    assert "NO-SUCH" in issue["reason"]
    lines = admin(
        "crm.external.invoice.line",
        "search_read",
        [("invoice_id.external_id", "=", invoice)],
        fields=["product_code", "match_state", "amount"],
        order="sequence",
    )
    assert [(x["product_code"], x["match_state"], x["amount"]) for x in lines] == [
        (code, "matched", 8000.0),
        ("NO-SUCH", "unmatched", 500.0),
    ]
    # the same export again: nothing written, no second issue
    write_csv(drop / "b.csv", HEADER, rows, encoding="utf-8")
    status, _out, err = crm_sync(config, "pull-invoices")
    assert status == 0, err
    assert counts(done_event(err))["unchanged"] == 1
    assert len(assets()) == 2 and len(issues()) == 1
    # three units at a new price: the two updated, one more, none twice
    rows[0][6:8] = ["3", "3900"]
    write_csv(drop / "c.csv", HEADER, rows, encoding="utf-8")
    status, _out, err = crm_sync(config, "pull-invoices")
    assert status == 0, err
    assert counts(done_event(err))["updated"] == 1
    assert [(a["state"], a["price_unit"]) for a in assets()] == [
        ("active", 3900.0),
        ("active", 3900.0),
        ("active", 3900.0),
    ]
    assert len(issues()) == 1


def write_pair_config(folder, odoo_url, database):
    """Invoices in one file, their lines in another, joined on the number."""
    odoo = e2e_odoo_table(odoo_url, database, timeout=60)
    text = f"""
{odoo}
[[sources]]
name = "pair-{RUN}"
kind = "csv"
folder = "{folder / "pair"}"
date_format = "%d/%m/%Y"
default_currency = "ILS"
[sources.columns]
external_id = "Invoice ID"
number = "Number"
issued_on = "Date"
amount_total = "Total"
customer_vat = "VAT No"
[sources.line_columns]
key = "Line"
product_code = "SKU"
quantity = "Qty"
price_unit = "Price"
[sources.lines_file]
name = "invoice_lines*.csv"
invoices = "invoices*.csv"
invoice_column = "Invoice No"
match = "number"
"""
    (folder / "pair").mkdir(parents=True, exist_ok=True)
    path = folder / "crm-sync-pair.toml"
    path.write_text(text)
    return path


def write_pair(folder, stem, invoices, lines):
    write_csv(
        folder / f"invoices{stem}.csv",
        ["Invoice ID", "Number", "Date", "Total", "VAT No"],
        invoices,
        encoding="utf-8",
    )
    write_csv(
        folder / f"invoice_lines{stem}.csv",
        ["Invoice No", "Line", "SKU", "Qty", "Price"],
        lines,
        encoding="utf-8",
    )


def test_a_separate_lines_file_becomes_assets_once(
    admin,  # noqa: F811
    setup,  # noqa: F811
    odoo_server,
    tmp_path,
):
    code = f"E2E-PAIR-{RUN}"
    product = admin(
        "product.product",
        "create",
        {
            "name": f"E2E Battery {RUN}",
            "default_code": code,
            "is_customer_asset": True,
            "asset_tracking": "unit",
            "warranty_duration": 12,
        },
    )
    config = write_pair_config(tmp_path, odoo_server.url, odoo_server.database)
    drop = tmp_path / "pair"
    number = f"PN-{RUN}"
    invoices = [[f"P-{RUN}", number, "01/11/2026", "6000", "IL511111118"]]
    lines = [
        [number, "1", code, "2", "3000"],
        [f"NO-SUCH-{RUN}", "1", code, "1", "3000"],
    ]
    write_pair(drop, "-1", invoices, lines)
    status, _out, err = crm_sync(config, "pull-invoices")
    assert status == 2, err  # done, with a rejected row
    assert counts(done_event(err)) == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }

    def assets():
        return admin(
            "crm.customer.asset",
            "search_read",
            [("product_id", "=", product), ("source", "=", "external")],
            fields=["state", "price_unit"],
            context={"active_test": False},
        )

    def issues():
        return admin(
            "crm.sync.issue",
            "search_read",
            [("job_id.name", "=", f"pair-{RUN}")],
            fields=["record_key", "reason", "state"],
        )

    assert [(a["state"], a["price_unit"]) for a in assets()] == [
        ("active", 3000.0),
        ("active", 3000.0),
    ]
    [issue] = issues()
    assert issue["reason"] == (
        f"invoice_lines-1.csv line 3: column 'Invoice No': 'NO-SUCH-{RUN}' is no "
        "invoice of invoices-1.csv (column 'Number')"
    )
    assert sorted(p.name for p in (drop / "processed").iterdir()) == [
        "invoice_lines-1.csv",
        "invoices-1.csv",
    ]
    # the same invoice exported again: nothing written
    write_pair(drop, "-2", invoices, lines[:1])
    status, _out, err = crm_sync(config, "pull-invoices")
    assert status == 0, err
    assert counts(done_event(err))["unchanged"] == 1
    assert len(assets()) == 2
    # one unit more in the lines file: updated in place, one asset more
    write_pair(drop, "-3", invoices, [[number, "1", code, "3", "3000"]])
    status, _out, err = crm_sync(config, "pull-invoices")
    assert status == 0, err
    assert counts(done_event(err))["updated"] == 1
    assert [a["state"] for a in assets()] == ["active"] * 3
    # an invoices file whose lines file is not there yet waits, noted
    write_pair(drop, "-4", invoices, [])
    (drop / "invoice_lines-4.csv").unlink()
    status, _out, err = crm_sync(config, "pull-invoices")
    assert status == 0, err
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [event["message"] for event in events if event["event"] == "note"] == [
        "invoices-4.csv: not read yet, its lines file invoice_lines-4.csv is not "
        "in the folder"
    ]
    assert (drop / "invoices-4.csv").exists()
    assert counts(done_event(err))["updated"] == 0
