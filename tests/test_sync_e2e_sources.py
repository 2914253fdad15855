"""Bad input from a drop folder, end to end: the real ``crm-sync`` against a
live Odoo server with the addon: what the rejected rows, the run and the
output say, pages cut by size with real PDFs, a dry run counted as the run."""

import codecs
import json
from datetime import date, timedelta

import pytest
from sync_helpers import odoo_table, save_config
from test_sync_e2e import (  # noqa: F401 - fixtures used by name
    HEADER,
    RUN,
    SYNC_LOGIN,
    admin,
    crm_sync,
    done_event,
    invoices,
    job_bookmark,
    setup,
    write_csv,
)


def write_config(
    folder, odoo_url, database, extra_odoo="", extra_source="", protocol="jsonrpc"
):
    columns = dict(
        zip(
            (
                "external_id",
                "number",
                "kind",
                "issued_on",
                "due_on",
                "currency",
                "amount_total",
                "amount_due",
                "status",
                "customer_vat",
            ),
            HEADER,
            strict=True,
        )
    )
    odoo = odoo_table(
        odoo_url,
        database,
        SYNC_LOGIN,
        "CRM_SYNC_E2E_KEY",
        protocol=protocol,
        timeout=60,
    )
    text = f"""
{odoo}{extra_odoo}

[[sources]]
name = "{source_name(folder)}"
kind = "csv"
folder = "{folder / 'drop'}"
date_format = "%d/%m/%Y"
{extra_source}
[sources.columns]
{"".join(f'{key} = "{value}"{chr(10)}' for key, value in columns.items())}
[sources.kind_values]
"Tax Invoice" = "invoice"
"Credit" = "credit_note"
"""
    return save_config(folder, text)


def source_name(folder):
    return f"finance-{folder.name}-{RUN}"


def row(key, total="100.50", issued="01/11/2026", vat="IL511111118", **more):
    values = {
        "Invoice ID": key,
        "Number": key,
        "Type": "Tax Invoice",
        "Date": issued,
        "Due": "",
        "Currency": "ILS",
        "Total": total,
        "Due Amount": total,
        "Status": "open",
        "Customer VAT": vat,
        **more,
    }
    return [values[column] for column in HEADER]


def issues(admin, source):  # noqa: F811 - the fixture's value
    return admin(
        "crm.sync.issue",
        "search_read",
        [("job_id.name", "=", source)],
        fields=["record_key", "reason", "state"],
        order="id",
    )


def runs(admin, source):  # noqa: F811
    return admin(
        "crm.sync.run",
        "search_read",
        [("job_id.name", "=", source)],
        fields=["status", "error", "count_created", "count_updated", "dry_run"],
        order="id",
    )


def counts(event):
    keys = ("read", "created", "updated", "unchanged", "rejected")
    return {key: event[key] for key in keys}


@pytest.fixture
def csv_source(odoo_protocol, setup, odoo_server, tmp_path):  # noqa: F811
    """(the configuration file, the source's name, its drop folder) of a CSV
    source into the live Odoo, over each of the service's transports."""
    config = write_config(
        tmp_path, odoo_server.url, odoo_server.database, protocol=odoo_protocol
    )
    return config, source_name(tmp_path), tmp_path / "drop"


def test_a_dry_run_counts_an_id_in_two_files_once(
    admin,  # noqa: F811
    csv_source,
):
    config, source, drop = csv_source
    write_csv(drop / "2026-11-01.csv", [row("D-1"), row("D-2"), row("D-3")])
    # the next export repeats D-1 as it was and D-2 with another total
    write_csv(drop / "2026-11-02.csv", [row("D-1"), row("D-2", "99"), row("D-4")])
    code, _out, err = crm_sync(config, "pull-invoices", "--dry-run")
    assert code == 0, err
    dry = counts(done_event(err))
    assert dry == {"read": 6, "created": 4, "updated": 1, "unchanged": 1, "rejected": 0}
    assert invoices(admin, source) == []
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    assert counts(done_event(err)) == dry, "the dry run counted what the run did"
    assert len(invoices(admin, source)) == 4


def test_empty_and_header_only_files_are_noted_in_the_run(
    admin,  # noqa: F811
    csv_source,
):
    config, source, drop = csv_source
    (drop / "2026-11-01.csv").write_bytes(b"")
    write_csv(drop / "2026-11-02.csv", [])
    write_csv(drop / "2026-11-03.csv", [row("E-1")])
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 0, err
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    notes = [event["message"] for event in events if event["event"] == "note"]
    assert notes == [
        "2026-11-01.csv: no invoice rows (an empty file)",
        "2026-11-02.csv: no invoice rows",
    ]
    [run] = runs(admin, source)
    assert run["status"] == "done"
    assert run["error"] == "\n".join(notes)
    assert len(list((drop / "processed").glob("*.csv"))) == 3


def test_bad_rows_and_files_are_named_in_the_issues(
    admin,  # noqa: F811
    csv_source,
):
    config, source, drop = csv_source
    late = (date.today() + timedelta(days=400)).strftime("%d/%m/%Y")
    write_csv(
        drop / "2026-11-01.csv",
        [
            row("B-ok"),
            row("B-empty-total", total=""),
            row("B-9999", issued="31/12/9999"),
            row("B-late", issued=late),
            row("B-comma", total="123,45"),
            row(""),
            ["B-short", "B/12"],
        ],
    )
    (drop / "2026-11-02.csv").write_bytes(
        codecs.BOM_UTF16_LE + (",".join(HEADER) + "\n").encode("utf-16-le")
    )
    (drop / "2026-11-03.csv").write_text(
        ";".join(HEADER) + "\n" + ";".join(row("S-1")) + "\n"
    )
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 2, err
    assert [i["external_id"] for i in invoices(admin, source)] == ["B-ok"]
    reasons = [issue["reason"] for issue in issues(admin, source)]
    expected = [
        "2026-11-01.csv line 3: column 'Total': empty, an amount is required",
        "2026-11-01.csv line 4: column 'Date': '31/12/9999' is more than 365 days "
        "ahead (max_future_days)",
        f"2026-11-01.csv line 5: column 'Date': '{late}' is more than 365 days "
        "ahead (max_future_days)",
        "2026-11-01.csv line 6: column 'Total': '123,45' is not an amount written "
        "like 1,234.56",
        "2026-11-01.csv line 7: column 'Invoice ID': empty",
        "2026-11-01.csv line 8: 2 fields, 10 expected",
        "2026-11-02.csv line 1: the file is UTF-16 text (a UTF-16 byte order mark), "
        'not utf-8-sig: set encoding = "utf-16" for this source',
        "2026-11-03.csv line 1: the header has no column 'Invoice ID', 'Number', ",
    ]
    assert len(reasons) == len(expected)
    for reason, start in zip(sorted(reasons), expected, strict=True):
        assert reason.startswith(start), (reason, start)
    assert sorted(reasons)[-1].endswith(
        "the delimiter looks like ';', not ',': set delimiter = \";\" for this source"
    )
    assert not any("None" in reason for reason in reasons)


def test_pages_with_pdfs_go_in_parts_under_max_page_bytes(
    odoo_protocol,
    admin,  # noqa: F811
    setup,  # noqa: F811
    odoo_server,
    tmp_path,
):
    config = write_config(
        tmp_path,
        odoo_server.url,
        odoo_server.database,
        extra_odoo="max_page_bytes = 262144",
        protocol=odoo_protocol,
    )
    text = config.read_text()
    config.write_text(
        text.replace("[sources.columns]\n", '[sources.columns]\npdf_file = "PDF"\n')
    )
    source = source_name(tmp_path)
    drop = tmp_path / "drop"
    (drop / "pdf").mkdir()
    lines = [",".join([*HEADER, "PDF"])]
    for index in range(20):
        size = 400 * 1024 if index == 7 else 40 * 1024
        pdf = b"%PDF-1.4\n" + bytes([index]) * size
        (drop / "pdf" / f"P-{index}.pdf").write_bytes(pdf)
        lines.append(",".join([*row(f"P-{index}"), f"pdf/P-{index}.pdf"]))
    (drop / "2026-11-01.csv").write_text("\n".join(lines) + "\n")
    code, _out, err = crm_sync(config, "pull-invoices")
    assert code == 2, err
    found = admin(
        "crm.external.invoice",
        "search_read",
        [("job_id.name", "=", source)],
        fields=["external_id", "attachment_id"],
    )
    assert sorted(i["external_id"] for i in found) == sorted(
        f"P-{i}" for i in range(20) if i != 7
    )
    assert all(invoice["attachment_id"] for invoice in found)
    [issue] = issues(admin, source)
    assert issue["record_key"] == "P-7"
    assert issue["reason"].startswith(
        "2026-11-01.csv line 9: the row with the PDF P-7.pdf (400 KB) weighs"
    )
    assert "(odoo.max_page_bytes)" in issue["reason"]
    pages = [
        json.loads(line)
        for line in err.splitlines()
        if line.startswith('{"') and '"page"' in line
    ]
    assert len(pages) > 3, "the file went in several pages"
    assert job_bookmark(admin, source).endswith("#end")


def test_a_wrong_database_names_the_key(odoo_protocol, odoo_server, tmp_path):
    config = write_config(
        tmp_path, odoo_server.url, f"no_such_db_{RUN}", protocol=odoo_protocol
    )
    for command in ("status", "pull-invoices"):
        code, out, err = crm_sync(config, command)
        assert code == 1, err
        assert (
            f"odoo.db: Odoo at {odoo_server.url} has no database 'no_such_db_{RUN}'"
            in err
        )
        assert "psycopg2" not in err + out
