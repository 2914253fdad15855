"""The uniform-format (מבנה אחיד 1.31) source against exports written per the
published spec by ``uniform_writer``: documents to invoice rows, paging and
resuming, exports moved aside, broken records rejected with the reason while
the others go through, and exports that cannot be read at all. No Odoo."""

import json
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from uniform_writer import Document, Line, Payment, write_export

from sync_service import job as job_module
from sync_service.config import Config, OdooConfig, Secret, SourceConfig
from sync_service.errors import SourceError
from sync_service.sources.uniform import (
    LAYOUTS,
    RECORD_LENGTHS,
    UniformSource,
)

VAT = "514000000"
D = Decimal


def documents():
    return [
        Document(
            305,
            "1001",
            "20261110",
            D("1180.00"),
            D("180.00"),
            customer_name='אלקטרה בע"מ',
            customer_vat="514000001",
            customer_key="C-17",
            value_date="20261210",
            lines=[Line("ייעוץ", D("2"), D("500"))],
        ),
        Document(
            300,
            "1002",
            "20261111",
            D("250.50"),
            customer_name="Dana Levi",
            customer_key="C-18",
        ),
        Document(
            320,
            "2001",
            "20261112",
            D("590.00"),
            D("90.00"),
            customer_name="מאפיית השרון",
            customer_vat="039337423",
            customer_key="C-19",
            payments=[Payment(D("590.00"), 3)],
        ),
        Document(
            330,
            "3001",
            "20261113",
            D("118.00"),
            D("18.00"),
            customer_name='אלקטרה בע"מ',
            customer_vat="514000001",
            customer_key="C-17",
        ),
        Document(
            400,
            "5001",
            "20261114",
            D("1180.00"),
            customer_name='אלקטרה בע"מ',
            customer_vat="514000001",
            customer_key="C-17",
            payments=[
                Payment(D("1000.00"), 2, "20261215"),
                Payment(D("180.00"), 1),
            ],
        ),
        Document(
            305,
            "1003",
            "20261115",
            D("59.00"),
            D("9.00"),
            customer_name="Dana Levi",
            customer_key="C-18",
            cancelled=True,
        ),
        Document(100, "7001", "20261116", D("999.00"), customer_name="הזמנה"),
        Document(200, "8001", "20261116", D("999.00"), customer_name="משלוח"),
    ]


def config(tmp_path, **values):
    return SourceConfig(
        name="books",
        kind="uniform",
        folder=tmp_path / "drop",
        processed_folder=tmp_path / "drop" / "processed",
        default_currency="ILS",
        **values,
    )


def read_all(source, bookmark=None, page_size=100, acknowledge=True):
    pages = []
    for page in source.pages(bookmark, page_size):
        pages.append(page)
        if acknowledge:
            page.acknowledge()
    return pages


def rows_of(pages):
    return [row for page in pages for row in page.rows]


def without_payload(row):
    return {key: value for key, value in row.items() if key != "payload"}


def customer(key, name, vat=None):
    return {"external_id": key, "vat": vat, "email": None, "name": name}


def test_documents_become_invoice_rows(tmp_path):
    write_export(tmp_path / "drop", documents())
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    assert [without_payload(row) for row in rows] == [
        {
            "external_id": "514000000/305/1001",
            "number": "1001",
            "kind": "invoice",
            "status": "open",
            "issued_on": "2026-11-10",
            "due_on": None,
            "currency": "ILS",
            "amount_untaxed": "1000.00",
            "amount_tax": "180.00",
            "amount_total": "1180.00",
            "amount_due": None,
            "customer": customer("C-17", 'אלקטרה בע"מ', "514000001"),
            "source_url": None,
            "lines": [
                {
                    "key": "1",
                    "sequence": 1,
                    "product_code": "SKU-1",
                    "description": "ייעוץ",
                    "quantity": "2.0000",
                    "price_unit": "500.00",
                    "amount": "1000.00",
                }
            ],
        },
        {
            "external_id": "514000000/300/1002",
            "number": "1002",
            "kind": "invoice",
            "status": "open",
            "issued_on": "2026-11-11",
            "due_on": None,
            "currency": "ILS",
            "amount_untaxed": "250.50",
            "amount_tax": "0.00",
            "amount_total": "250.50",
            "amount_due": None,
            "customer": customer("C-18", "Dana Levi"),
            "source_url": None,
        },
        {
            "external_id": "514000000/320/2001",
            "number": "2001",
            "kind": "invoice",
            "status": "paid",
            "issued_on": "2026-11-12",
            "due_on": None,
            "currency": "ILS",
            "amount_untaxed": "500.00",
            "amount_tax": "90.00",
            "amount_total": "590.00",
            "amount_due": "0",
            "customer": customer("C-19", "מאפיית השרון", "039337423"),
            "source_url": None,
        },
        {
            "external_id": "514000000/330/3001",
            "number": "3001",
            "kind": "credit_note",
            "status": "open",
            "issued_on": "2026-11-13",
            "due_on": None,
            "currency": "ILS",
            "amount_untaxed": "100.00",
            "amount_tax": "18.00",
            "amount_total": "118.00",
            "amount_due": None,
            "customer": customer("C-17", 'אלקטרה בע"מ', "514000001"),
            "source_url": None,
        },
        {
            "external_id": "514000000/400/5001",
            "number": "5001",
            "kind": "receipt",
            "status": "paid",
            "issued_on": "2026-11-14",
            "due_on": None,
            "currency": "ILS",
            "amount_untaxed": "1180.00",
            "amount_tax": "0.00",
            "amount_total": "1180.00",
            "amount_due": "0",
            "customer": customer("C-17", 'אלקטרה בע"מ', "514000001"),
            "source_url": None,
        },
        {
            "external_id": "514000000/305/1003",
            "number": "1003",
            "kind": "invoice",
            "status": "cancelled",
            "issued_on": "2026-11-15",
            "due_on": None,
            "currency": "ILS",
            "amount_untaxed": "50.00",
            "amount_tax": "9.00",
            "amount_total": "59.00",
            "amount_due": "0",
            "customer": customer("C-18", "Dana Levi"),
            "source_url": None,
        },
    ]  # the order (100) and the delivery note (200) are not invoices
    # every row can be sent to Odoo as it is
    json.dumps(rows)


def test_payload_keeps_the_record_for_audit(tmp_path):
    write_export(tmp_path / "drop", documents())
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    invoice, receipt = rows[0], rows[4]
    payload = invoice["payload"]
    assert payload["file"] == "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT"
    assert payload["line"] == 2
    assert payload["record"] == "C100"
    assert payload["text"].startswith("C1000000000025140000003051001 ")
    assert payload["fields"]["customer_name"] == 'אלקטרה בע"מ'
    assert payload["fields"]["value_date"] == "20261210"
    assert payload["fields"]["amount_including_vat"] == "+00000000118000"
    assert receipt["payload"]["payments"] == [
        {"line": 9, "method": "2", "amount": "1000.00", "due_date": "20261215"},
        {"line": 10, "method": "1", "amount": "180.00"},
    ]


def test_hebrew_is_read_from_iso_8859_8(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    data = (export / "BKMVDATA.TXT").read_bytes()
    assert "מאפיית השרון".encode("iso8859_8") in data  # one byte a letter
    assert "מאפיית השרון".encode() not in data
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    assert rows[2]["customer"]["name"] == "מאפיית השרון"


def test_cp862_export_when_ini_says_so(tmp_path):
    export = write_export(tmp_path / "drop", documents(), charset=2)
    data = (export / "BKMVDATA.TXT").read_bytes()
    assert "מאפיית השרון".encode("cp862") in data
    assert "מאפיית השרון".encode("iso8859_8") not in data
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    assert [row["customer"]["name"] for row in rows][:3] == [
        'אלקטרה בע"מ',
        "Dana Levi",
        "מאפיית השרון",
    ]
    assert all("reject_reason" not in row for row in rows)


def test_pages_and_resume_from_a_bookmark(tmp_path):
    write_export(tmp_path / "drop", documents())
    source = UniformSource(config(tmp_path))
    pages = read_all(source, page_size=4, acknowledge=False)
    key = "OPENFRMT/51400000.26/11301200@"
    assert [len(page.rows) for page in pages] == [4, 2]
    assert pages[0].bookmark.startswith(key) and pages[0].bookmark.endswith("#4")
    assert pages[1].bookmark.endswith("#end")
    # a run killed after the first page resumes with the rest of the file
    again = read_all(source, bookmark=pages[0].bookmark, page_size=4)
    assert [row["number"] for row in rows_of(again)] == ["5001", "1003"]
    assert again[-1].bookmark == pages[1].bookmark


def test_export_moves_aside_after_its_last_page_and_is_never_read_again(
    tmp_path,
):
    export = write_export(tmp_path / "drop", documents())
    source = UniformSource(config(tmp_path))
    pages = list(source.pages(None, 4))
    pages[0].acknowledge()
    assert export.is_dir()  # not before its last page is applied
    pages[1].acknowledge()
    assert not export.exists()
    assert not (tmp_path / "drop" / "OPENFRMT").exists()
    moved = tmp_path / "drop" / "processed" / "OPENFRMT" / "51400000.26" / "11301200"
    assert sorted(path.name for path in moved.iterdir()) == [
        "BKMVDATA.TXT",
        "INI.TXT",
    ]
    assert list(source.pages(pages[1].bookmark, 4)) == []
    assert list(source.pages(None, 4)) == []


def test_run_killed_before_the_move_only_moves_it(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    source = UniformSource(config(tmp_path))
    last = read_all(source, acknowledge=False)[-1]
    assert export.is_dir()
    assert list(source.pages(last.bookmark, 100)) == []
    assert not export.exists()


def test_exports_are_read_in_path_order_with_stable_ids(tmp_path):
    first = write_export(tmp_path / "drop", documents()[:2])
    # the same period exported again later, and another business
    second = write_export(
        tmp_path / "drop", documents()[:3], when=datetime(2026, 12, 1, 9, 30)
    )
    other = write_export(
        tmp_path / "drop", documents()[:1], vat="039337423", primary_id=777
    )
    pages = read_all(UniformSource(config(tmp_path)))
    assert [page.bookmark.partition("@")[0] for page in pages] == [
        "OPENFRMT/03933742.26/11301200",
        "OPENFRMT/51400000.26/11301200",
        "OPENFRMT/51400000.26/12010930",
    ]
    assert [[row["external_id"] for row in page.rows] for page in pages] == [
        ["039337423/305/1001"],
        ["514000000/305/1001", "514000000/300/1002"],
        ["514000000/305/1001", "514000000/300/1002", "514000000/320/2001"],
    ]
    assert not (first.exists() or second.exists() or other.exists())


def test_bkmvdata_zip_next_to_ini(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    data = export / "BKMVDATA.TXT"
    with zipfile.ZipFile(export / "BKMVDATA.zip", "w") as archive:
        archive.writestr("BKMVDATA.TXT", data.read_bytes())
    data.unlink()
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    assert len(rows) == 6
    assert rows[0]["payload"]["file"] == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.zip!BKMVDATA.TXT"
    )


def test_unreadable_bkmvdata_zip_stops_the_source_naming_it(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    (export / "BKMVDATA.TXT").unlink()
    (export / "BKMVDATA.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SourceError) as error:
        read_all(UniformSource(config(tmp_path)))
    assert str(error.value) == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.zip: not a readable zip"
    )


def zip_tree(archive, folder):
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                handle.write(path, path.relative_to(folder).as_posix())


def test_zip_of_an_export_dropped_in_the_folder(tmp_path):
    write_export(tmp_path / "made", documents())
    (tmp_path / "drop").mkdir()
    zip_tree(tmp_path / "drop" / "OPENFRMT.zip", tmp_path / "made")
    pages = read_all(UniformSource(config(tmp_path)))
    assert pages[0].bookmark.startswith(
        "OPENFRMT.zip.unzipped/OPENFRMT/51400000.26/11301200@"
    )
    assert len(rows_of(pages)) == 6
    processed = tmp_path / "drop" / "processed"
    assert (processed / "OPENFRMT.zip").is_file()
    assert (
        processed / "OPENFRMT.zip.unzipped/OPENFRMT/51400000.26/11301200/INI.TXT"
    ).is_file()
    assert sorted(path.name for path in (tmp_path / "drop").iterdir()) == ["processed"]


def test_zip_with_an_unsafe_member_stops_the_source(tmp_path):
    (tmp_path / "drop").mkdir()
    with zipfile.ZipFile(tmp_path / "drop" / "export.zip", "w") as handle:
        handle.writestr("../../INI.TXT", "A000")
    with pytest.raises(SourceError) as error:
        read_all(UniformSource(config(tmp_path)))
    assert str(error.value) == "export.zip: unsafe member name '../../INI.TXT'"
    assert not (tmp_path / "INI.TXT").exists()
    assert (tmp_path / "drop" / "export.zip").is_file()


def replace_lines(path, replacements, encoding="iso8859_8"):
    lines = path.read_bytes().decode(encoding).split("\r\n")
    for number, change in replacements.items():
        lines[number - 1] = change(lines[number - 1])
    path.write_bytes("\r\n".join(lines).encode(encoding))


def put(column, value):
    """A change writing ``value`` at 1-based ``column`` of a line."""
    return lambda line: line[: column - 1] + value + line[column - 1 + len(value) :]


def test_broken_records_are_rejected_and_the_others_go_through(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    data = export / "BKMVDATA.TXT"
    # lines: 1 A100, 2 C100 1001, 3 D110, 4 C100 1002, 5 C100 2001, 6 D120,
    # 7 C100 3001, 8 C100 5001, 9-10 D120, 11 C100 1003, 12-13 C100 100/200,
    # 14 Z900
    replace_lines(
        data,
        {
            2: put(401, "20261345"),  # document date
            4: put(348, "+0000000001x050"),  # amount including VAT
            5: lambda line: line[:300],  # cut short: no total
            7: put(14, "999999999"),  # not the business of INI.TXT
            3: lambda line: "X110" + line[4:],  # unknown record code
        },
    )
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    where = "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT line"
    rejected = [(row["external_id"], row.get("reject_reason")) for row in rows]
    assert rejected[:5] == [
        (
            "514000000/305/1001",
            f"{where} 2: C100 field 1230 (document date): '20261345' is not "
            "a date (YYYYMMDD)",
        ),
        (None, f"{where} 3: unknown record code 'X110'"),
        (
            "514000000/300/1002",
            f"{where} 4: C100 field 1223 (amount including VAT): "
            "'+0000000001x050' is not an amount (a sign and digits, 2 implied "
            "decimals)",
        ),
        (
            "514000000/320/2001",
            f"{where} 5: C100 field 1223 (amount including VAT) - the line ends "
            "at column 300, the record is 444 long: empty",
        ),
        (
            "999999999/330/3001",
            f"{where} 7: C100 field 1202 (business VAT number): 999999999 is not "
            "the business of INI.TXT (514000000)",
        ),
    ]
    # the rest went through, and the unknown record shows in the counts
    assert [row["number"] for row in rows[5:7]] == ["5001", "1003"]
    assert rows[7]["reject_reason"] == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT: the record counts of "
        "OPENFRMT/51400000.26/11301200/INI.TXT disagree: D110 1 announced, "
        "0 read. Every complete document in the file was read; re-export the "
        "period to be sure none is missing"
    )
    assert len(rows) == 8
    # a rejected row keeps the record text for the issue in Odoo
    assert rows[0]["payload"]["text"].startswith("C100000000002514000000305")
    json.dumps(rows)


def test_bytes_outside_the_charset_and_duplicates_are_rejected(tmp_path):
    export = write_export(tmp_path / "drop", documents()[:2])
    data = export / "BKMVDATA.TXT"
    raw = data.read_bytes().split(b"\r\n")
    raw[1] = raw[1][:57] + b"\xff" + raw[1][58:]  # 0xFF is not ISO-8859-8
    raw[3] = raw[3][:25] + b"1001                " + raw[3][45:]  # 1002 -> 1001
    raw[3] = raw[3][:22] + b"305" + raw[3][25:]
    data.write_bytes(b"\r\n".join(raw))
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    where = "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT line"
    assert [row.get("reject_reason") for row in rows] == [
        f"{where} 2: byte 0xFF at column 58 is not a ISO-8859-8-i character",
        None,
    ]
    # the first 1001 was unreadable, so the second one is the document
    assert rows[1]["external_id"] == "514000000/305/1001"

    export = write_export(tmp_path / "drop2", documents()[:2])
    data = export / "BKMVDATA.TXT"
    replace_lines(data, {4: lambda line: line[:22] + "3051001" + line[29:]})
    source = UniformSource(
        SourceConfig(
            name="b",
            kind="uniform",
            folder=tmp_path / "drop2",
            processed_folder=tmp_path / "done2",
        )
    )
    rows = rows_of(read_all(source))
    assert rows[1]["reject_reason"] == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT line 4: document "
        "514000000/305/1001 appears twice in the export (first at line 2)"
    )
    assert rows[0]["amount_total"] == "1180.00"


def test_truncated_file_keeps_the_documents_before_the_break(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    data = export / "BKMVDATA.TXT"
    # a copy cut in the middle of line 7 (the credit note)
    cut = data.read_bytes()
    data.write_bytes(cut[: cut.index(b"C100000000007") + 200])
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    assert [row["number"] for row in rows[:3]] == ["1001", "1002", "2001"]
    assert all("reject_reason" not in row for row in rows[:3])
    assert rows[3]["reject_reason"] == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT line 7: C100 field 1223 "
        "(amount including VAT) - the line ends at column 200, the record is "
        "444 long: empty"
    )
    assert rows[4]["external_id"] is None
    assert rows[4]["reject_reason"] == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT: there is no closing "
        "record Z900: the file looks cut short after 7 records; "
        "OPENFRMT/51400000.26/11301200/INI.TXT field 1002 announces "
        "'000000000000014' records, the file holds 7; the record counts of "
        "OPENFRMT/51400000.26/11301200/INI.TXT disagree: C100 8 announced, "
        "4 read, D120 3 announced, 1 read, Z900 1 announced, 0 read. Every "
        "complete document in the file was read; re-export the period to be "
        "sure none is missing"
    )
    assert rows[4]["payload"]["ini_total"] == "000000000000014"
    assert len(rows) == 5


def test_ini_of_another_export_is_reported(tmp_path):
    export = write_export(tmp_path / "drop", documents()[:1])
    other = write_export(tmp_path / "other", documents()[:1], primary_id=555)
    (export / "INI.TXT").write_bytes((other / "INI.TXT").read_bytes())
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    assert rows[0]["amount_total"] == "1180.00"
    assert rows[1]["reject_reason"].startswith(
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT: the primary ids differ "
        "(INI.TXT field 1004 000000000000555, A100 field 1103 "
        "100000000000042, Z900 field 1153 100000000000042): INI.TXT may "
        "belong to another export."
    )


def test_records_after_the_closing_record_are_rejected(tmp_path):
    export = write_export(tmp_path / "drop", documents()[:1])
    data = export / "BKMVDATA.TXT"
    lines = data.read_bytes().split(b"\r\n")
    data.write_bytes(b"\r\n".join(lines[:-1] + [lines[1], b""]))
    rows = rows_of(read_all(UniformSource(config(tmp_path))))
    assert rows[1]["reject_reason"] == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT line 5: a record after "
        "the closing record Z900 (line 4)"
    )
    assert (
        "Z900 field 1155 announces '000000000000004' records, the file holds 5"
        in rows[2]["reject_reason"]
    )


def test_missing_ini_stops_the_source_naming_the_file(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    (export / "INI.TXT").unlink()
    with pytest.raises(SourceError) as error:
        read_all(UniformSource(config(tmp_path)))
    assert str(error.value) == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT: no INI.TXT next to it; "
        "an export is read with its INI.TXT (character set, record counts)"
    )
    assert (export / "BKMVDATA.TXT").exists()  # left for the operator


def test_missing_bkmvdata_stops_the_source_naming_the_file(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    (export / "BKMVDATA.TXT").unlink()
    with pytest.raises(SourceError, match="INI.TXT: no BKMVDATA.TXT"):
        read_all(UniformSource(config(tmp_path)))


def test_unknown_character_set_stops_the_source_naming_the_field(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    replace_lines(export / "INI.TXT", {1: put(396, "7")})
    with pytest.raises(SourceError) as error:
        read_all(UniformSource(config(tmp_path)))
    assert str(error.value) == (
        "OPENFRMT/51400000.26/11301200/INI.TXT: A000 field 1029 (character "
        "set) is '7': the spec knows 1 (ISO-8859-8-i) and 2 (CP-862), so the "
        "Hebrew text cannot be decoded"
    )
    assert export.is_dir()


def test_not_an_ini_file_stops_the_source(tmp_path):
    export = write_export(tmp_path / "drop", documents())
    (export / "INI.TXT").write_text("hello\r\n")
    with pytest.raises(SourceError, match="INI.TXT: the first record is not the A000"):
        read_all(UniformSource(config(tmp_path)))


def test_missing_drop_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="drop folder"):
        read_all(UniformSource(config(tmp_path)))


def test_retry_row_reads_the_kept_record_again(tmp_path):
    write_export(tmp_path / "drop", documents())
    source = UniformSource(config(tmp_path))
    rows = rows_of(read_all(source))
    # e.g. rejected in Odoo for an unknown customer, then queued for retry
    assert source.retry_row(json.loads(json.dumps(rows[4]["payload"]))) == rows[4]
    assert source.retry_row({"something": "else"}) is None


def test_d110_lines_of_an_invoice_and_a_credit_note(tmp_path):
    invoice = Document(
        305,
        "1101",
        "20261110",
        D("9558.00"),
        D("1458.00"),
        customer_key="C-17",
        lines=[
            Line("Inverter", D("2"), D("4000"), code="SI-10K"),
            Line("DC cable", D("1.5"), D("66.6667"), code="CABLE-DC"),
        ],
    )
    credit = Document(
        330,
        "3101",
        "20261120",
        D("4720.00"),
        D("720.00"),
        customer_key="C-17",
        base_type=305,
        base_number="1101",
        lines=[Line("Inverter returned", D("1"), D("4000"), code="SI-10K")],
    )
    write_export(tmp_path / "drop", [invoice, credit])
    source = UniformSource(config(tmp_path))
    first, second = rows_of(read_all(source))
    assert [
        (line["key"], line["product_code"], line["quantity"], line["price_unit"])
        for line in first["lines"]
    ] == [("1", "SI-10K", "2.0000", "4000.00"), ("2", "CABLE-DC", "1.5000", "66.67")]
    assert first["lines"][1]["amount"] == "100.00"
    assert "origin" not in first
    assert second["kind"] == "credit_note"
    assert second["origin"] == "514000000/305/1101"
    assert second["lines"][0]["amount"] == "4000.00", "Odoo gives the sign"
    # the lines' records stay in the payload: a retry reads them again
    assert source.retry_row(json.loads(json.dumps(first["payload"]))) == first


def test_broken_d110_rejects_its_document_naming_line_and_field(tmp_path):
    export = write_export(tmp_path / "drop", documents()[:2])
    # line 3 is the D110 of document 1001: its quantity (1264, column 224)
    replace_lines(export / "BKMVDATA.TXT", {3: put(224, "+0000000000ab0000")})
    first, second = rows_of(read_all(UniformSource(config(tmp_path))))
    assert first["external_id"] == "514000000/305/1001"
    assert first["reject_reason"] == (
        "OPENFRMT/51400000.26/11301200/BKMVDATA.TXT line 3: D110 field 1264 "
        "(quantity): '+0000000000ab0000' is not an amount (a sign and digits, "
        "4 implied decimals)"
    )
    assert "reject_reason" not in second


def test_retry_of_a_broken_record_is_rejected_again(tmp_path):
    export = write_export(tmp_path / "drop", documents()[:1])
    replace_lines(export / "BKMVDATA.TXT", {2: put(401, "20261345")})
    source = UniformSource(config(tmp_path))
    rejected = rows_of(read_all(source))[0]
    # Odoo keeps the whole rejected row as the payload
    again = source.retry_row(json.loads(json.dumps(rejected)))
    assert again["reject_reason"] == rejected["reject_reason"]


def test_field_tables_tile_the_spec_record_lengths():
    for code, layout in LAYOUTS.items():
        column = 1
        for number, name, start, width, _kind in layout:
            assert start == column, (code, number, name)
            column += width
        assert column - 1 == RECORD_LENGTHS[code], code


class FakeOdoo:
    """The addon's sync API as pull_invoices uses it: counts rejected rows
    the way the server does and keeps the bookmark."""

    def __init__(self):
        self.bookmark = None
        self.imported = []
        self.finished = None

    def sync_start(self, name, direction, dry_run):
        return {"run_id": 1, "bookmark": self.bookmark}

    def sync_pending_retries(self, name):
        return []

    def sync_import_page(self, run_id, name, rows, before, after, dry_run):
        assert before == self.bookmark
        rejected = sum(1 for row in rows if row.get("reject_reason"))
        self.imported += [row for row in rows if not row.get("reject_reason")]
        self.bookmark = after
        return {
            "created": len(rows) - rejected,
            "updated": 0,
            "unchanged": 0,
            "rejected": rejected,
            "bookmark": after,
            "applied": True,
        }

    def sync_finish(self, run_id, status, error=None):
        self.finished = (status, error)


def pull(tmp_path, client, monkeypatch):
    monkeypatch.setattr(job_module, "open_source", UniformSource)
    source = config(tmp_path)
    job = job_module.Job(
        config=Config(
            odoo=OdooConfig("http://odoo", "crm", "sync", Secret("k"), page_size=3),
            sources=[source],
            targets=[],
            lock_file=tmp_path / "lock",
            path=tmp_path / "crm-sync.toml",
        ),
        client=client,
    )
    job.log = lambda event, **values: None
    job_module.pull_invoices(job, source)
    return job


def test_a_run_with_broken_records_exits_2_and_moves_the_export(tmp_path, monkeypatch):
    export = write_export(tmp_path / "drop", documents())
    replace_lines(export / "BKMVDATA.TXT", {4: put(401, "20261345")})
    client = FakeOdoo()
    job = pull(tmp_path, client, monkeypatch)
    assert job.exit_code() == 2
    assert client.finished == ("done_with_rejects", None)
    assert [row["number"] for row in client.imported] == [
        "1001",
        "2001",
        "3001",
        "5001",
        "1003",
    ]
    assert not export.exists()
    # the next run finds nothing new
    again = pull(tmp_path, client, monkeypatch)
    assert again.exit_code() == 0
    assert len(client.imported) == 5


def test_a_run_on_an_unreadable_export_exits_1_naming_the_file(tmp_path, monkeypatch):
    export = write_export(tmp_path / "drop", documents())
    (export / "INI.TXT").unlink()
    job = pull(tmp_path, FakeOdoo(), monkeypatch)
    assert job.exit_code() == 1
    assert job.failures == [
        "books: OPENFRMT/51400000.26/11301200/BKMVDATA.TXT: no INI.TXT next "
        "to it; an export is read with its INI.TXT (character set, record counts)"
    ]
    assert (export / "BKMVDATA.TXT").exists()
