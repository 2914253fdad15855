"""The drop folder source on files as people and programs really write them:
broken bytes, NUL bytes, a quote never closed, an XLSX from Excel, amounts in
either convention, UTF-16, semicolons, empty files, dates in year 9999."""

import json
import re
from datetime import date, datetime, timedelta

import openpyxl
import pytest

from sync_service.config import LinesFileConfig, SourceConfig, load
from sync_service.errors import ConfigError
from sync_service.sources.dropfolder import DropFolderSource

COLUMNS = {
    "external_id": "id",
    "issued_on": "date",
    "amount_total": "total",
    "customer_name": "customer",
}


def source(folder, kind="csv", **values):
    return DropFolderSource(
        SourceConfig(
            name="finance",
            kind=kind,
            folder=folder,
            processed_folder=folder / "processed",
            columns=COLUMNS,
            **values,
        )
    )


def read_all(drop, **values):
    """Every row of every file, as a run sends them, files moved aside."""
    rows = []
    for page in source(drop, **values).pages(None, 100):
        rows += page.rows
        page.acknowledge()
    return rows


def by_key(rows):
    return {row["external_id"]: row for row in rows if "reject_reason" not in row}


def rejected(rows):
    return [row["reject_reason"] for row in rows if "reject_reason" in row]


def test_invalid_utf8_rejects_its_lines_the_rest_goes_in(tmp_path):
    (tmp_path / "a.csv").write_bytes(
        b"id,date,total,customer\n"
        b"A1,2026-11-01,10,\xd7\x90\xd7\x9c\xd7\xa7\xd7\x98\xd7\xa8\xd7\x94\n"
        b"A2,2026-11-01,11,Caf\xe9 Latin-1\n"  # not UTF-8
        b"A3,2026-11-01,12,Ok\n"
    )
    (tmp_path / "b.csv").write_text("id,date,total,customer\nB1,2026-11-02,5,B\n")
    rows = read_all(tmp_path)
    assert set(by_key(rows)) == {"A1", "A3", "B1"}
    assert by_key(rows)["A1"]["customer"]["name"] == "אלקטרה"
    assert rejected(rows) == ["a.csv line 3: bytes that are not valid utf-8-sig"]
    [bad] = [row for row in rows if "reject_reason" in row]
    # what Odoo keeps of the line can be stored: no undecodable leftovers
    assert "Caf\ufffd Latin-1" in bad["payload"]["__raw__"]
    assert not list(tmp_path.glob("*.csv")), "both files done and moved aside"


def test_nul_byte_and_broken_quotes_reject_lines_not_the_run(tmp_path):
    (tmp_path / "a.csv").write_bytes(
        b"id,date,total,customer\n"
        b"N1,2026-11-01,10,Nul\x00Ltd\n"
        b'Q1,2026-11-01,10,"Quoted"Ltd\n'
        b"G1,2026-11-01,10,Good\n"
        b'U1,2026-11-01,10,"Never closed\n'
        b"U2,2026-11-01,10,Swallowed\n"
    )
    (tmp_path / "b.csv").write_text("id,date,total,customer\nB1,2026-11-02,5,B\n")
    rows = read_all(tmp_path)
    assert set(by_key(rows)) == {"G1", "B1"}
    reasons = rejected(rows)
    assert reasons[0] == "a.csv line 2: contains a NUL byte"
    assert reasons[1].startswith("a.csv line 3: not valid CSV: ")
    assert reasons[2].startswith("a.csv line 5: not valid CSV: unexpected end of data")
    assert "a quote is never closed (lines 5 to 6 not read)" in reasons[2]
    assert len(reasons) == 3


def test_a_file_that_is_not_a_workbook_is_one_rejected_row(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    good = openpyxl.Workbook()
    good.active.append(["id", "date", "total", "customer"])
    good.active.append(["X1", datetime(2026, 11, 3), 7, "Y"])
    good.save(tmp_path / "good.xlsx")
    rows = read_all(tmp_path, kind="xlsx")
    assert set(by_key(rows)) == {"X1"}
    [reason] = rejected(rows)
    assert reason.startswith("broken.xlsx line 1: not a readable XLSX workbook")


def test_xlsx_with_hebrew_and_date_cells(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "date", "total", "customer"])
    sheet.append(["H-1", datetime(2026, 11, 5), 1170.5, "אלקטרה שירותים בע״מ"])
    sheet.append(["H-2", date(2026, 12, 31), 99, "  Acme Ltd  "])
    sheet.append([None, None, None, None])  # an empty row, skipped
    sheet.append(["H-3", "not a date", 5, "Bad"])
    sheet["B3"].number_format = "DD/MM/YYYY"
    workbook.save(tmp_path / "export.xlsx")
    rows = read_all(tmp_path, kind="xlsx")
    found = by_key(rows)
    assert found["H-1"]["issued_on"] == "2026-11-05"
    assert found["H-1"]["amount_total"] == "1170.5"
    assert found["H-1"]["customer"]["name"] == "אלקטרה שירותים בע״מ"
    assert found["H-2"]["issued_on"] == "2026-12-31"
    assert found["H-2"]["amount_total"] == "99"
    assert found["H-2"]["customer"]["name"] == "Acme Ltd"
    assert rejected(rows) == [
        "export.xlsx line 5: column 'date': 'not a date' is not a date (%Y-%m-%d)"
    ]
    assert (tmp_path / "processed" / "export.xlsx").exists()


def test_check_names_the_missing_folder(tmp_path):
    with pytest.raises(ConfigError, match="folder: .* does not exist"):
        source(tmp_path / "nowhere").check()


def test_pdf_named_in_a_column_goes_with_its_row(tmp_path):
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "A1.pdf").write_bytes(b"%PDF-1.4 invoice A1")
    (tmp_path / "pdf" / "fake.pdf").write_bytes(b"not a pdf")
    (tmp_path / "a.csv").write_text(
        "id,date,total,customer,pdf\n"
        "A1,2026-11-01,10,Ok,pdf/A1.pdf\n"
        "A2,2026-11-01,10,Ok,pdf/missing.pdf\n"
        "A3,2026-11-01,10,Ok,pdf/fake.pdf\n"
        "A4,2026-11-01,10,Ok,../../etc/passwd\n"
        "A5,2026-11-01,10,Ok,\n"
    )
    drop = source(tmp_path)
    drop.config.columns = {**COLUMNS, "pdf_file": "pdf"}
    rows = []
    for page in drop.pages(None, 100):
        rows += page.rows
        page.acknowledge()
    good = by_key(rows)
    assert set(good) == {"A1", "A5"}
    assert good["A1"]["pdf_name"] == "A1.pdf"
    assert "pdf_base64" not in good["A5"]
    reasons = " | ".join(rejected(rows))
    assert "no file 'pdf/missing.pdf'" in reasons
    assert "'pdf/fake.pdf' is not a PDF" in reasons
    assert "outside the drop folder" in reasons
    assert (tmp_path / "pdf" / "A1.pdf").exists(), "PDFs stay where they are"


def write_rows(folder, name, lines, header="id,date,total,customer"):
    path = folder / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1,234.56", "1234.56"),
        ("1234.56", "1234.56"),
        ("1,234", "1234"),
        ("1,234,567.8", "1234567.8"),
        ("0.5", "0.5"),
        ("-12.50", "-12.50"),
        ("\u22121,234.56", "-1234.56"),
        ("(1,234.56)", "-1234.56"),
        ("₪1,234.56", "1234.56"),
        ("-₪ 12", "-12"),
        ("1,234.56 ILS", "1234.56"),
        ("12 ש״ח", "12"),
        ("1 234.56", "1234.56"),
        ("1\u00a0234.56", "1234.56"),
    ],
)
def test_amounts_with_a_decimal_point(tmp_path, written, read):
    assert _amount_read(tmp_path, written, default_currency="ILS") == read


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1.234,56", "1234.56"),
        ("12,5", "12.5"),
        ("1234,56", "1234.56"),
        ("1.234", "1234"),
        ("-1.234.567,89", "-1234567.89"),
        ("1 234,56 €", "1234.56"),
    ],
)
def test_amounts_with_a_decimal_comma(tmp_path, written, read):
    assert (
        _amount_read(tmp_path, written, decimal_comma=True, default_currency="EUR")
        == read
    )


def _amount_read(tmp_path, written, **settings):
    """The total of a one-row file writing it ``written``, read as an amount."""
    write_rows(tmp_path, "a.csv", [f'A1,2026-11-01,"{written}",X'])
    [row] = read_all(tmp_path, **settings)
    assert row.get("reject_reason") is None
    return row["amount_total"]


@pytest.mark.parametrize(
    ("decimal_comma", "written", "hint"),
    [
        # once read as 12345, 100 times too much
        (False, "123,45", "set decimal_comma = true"),
        (False, "1,23", "set decimal_comma = true"),
        (False, "1,2345.6", None),
        (False, "1.234,56", "set decimal_comma = true"),
        (False, "1,234.5.6", None),
        (False, "01,234", None),
        (False, "1,234 567", None),
        (False, "12-", None),
        (False, "(-12)", None),
        (False, ".5", None),
        (False, "1e3", None),
        (False, "NaN", None),
        (False, "$12", None),  # the row is in ILS
        # once read as 125 and as 1.23456
        (True, "12.5", "set decimal_comma = false"),
        (True, "1,234.56", "set decimal_comma = false"),
        (True, "1.23", None),
    ],
)
def test_ambiguous_amounts_are_rejected_with_line_column_and_value(
    tmp_path, decimal_comma, written, hint
):
    write_rows(
        tmp_path,
        "a.csv",
        [
            "A0,2026-11-01,10,Before",
            f'A1,2026-11-01,"{written}",X',
            "A2,2026-11-01,7,After",
        ],
    )
    rows = read_all(tmp_path, decimal_comma=decimal_comma, default_currency="ILS")
    assert set(by_key(rows)) == {"A0", "A2"}, "the rest of the file goes in"
    [reason] = rejected(rows)
    assert reason.startswith(f"a.csv line 3: column 'total': {written!r} ")
    if written == "$12":
        assert "is written in USD, the row's currency is ILS" in reason
    elif written == "(-12)":
        assert reason.endswith("has both parentheses and a sign")
    elif hint:
        assert hint in reason
    else:
        assert "is not an amount written like" in reason


def test_empty_total_names_the_column_file_and_line(tmp_path):
    write_rows(tmp_path, "a.csv", ["A1,2026-11-01,,X", "A2,2026-11-01,5,Y"])
    rows = read_all(tmp_path)
    assert set(by_key(rows)) == {"A2"}
    assert rejected(rows) == [
        "a.csv line 2: column 'total': empty, an amount is required"
    ]


def test_a_row_without_id_is_keyed_on_the_file_and_line(tmp_path):
    lines = [",2026-11-01,10,No id", "A2,2026-11-01,5", "A3,2026-11-01,5,Ok"]
    write_rows(tmp_path, "export.csv", lines)
    first = [row for row in read_all(tmp_path) if "reject_reason" in row]
    # the same export comes again (or is moved back from processed)
    write_rows(tmp_path, "export.csv", lines)
    again = [row for row in read_all(tmp_path) if "reject_reason" in row]
    keys = [row["record_key"] for row in first]
    assert keys == [row["record_key"] for row in again]
    assert keys[0] != keys[1] and all(k.startswith("export.csv@") for k in keys)
    assert keys[0].endswith(" line 2") and keys[1].endswith(" line 3")
    assert [row["external_id"] for row in first] == [None, None]
    assert first[0]["reject_reason"] == "export.csv line 2: column 'id': empty"
    assert first[1]["reject_reason"] == "export.csv line 3: 3 fields, 4 expected"
    # another content, another record: not merged with these
    write_rows(tmp_path, "export.csv", [*lines, "A4,2026-11-01,5,New"])
    other = [row for row in read_all(tmp_path) if "reject_reason" in row]
    assert other[0]["record_key"] != keys[0]


def test_rejected_row_with_an_id_is_keyed_on_it(tmp_path):
    write_rows(tmp_path, "a.csv", ["A1,2026-11-01,ten,X"])
    [row] = read_all(tmp_path)
    assert (row["external_id"], row["record_key"]) == ("A1", "A1")


@pytest.mark.parametrize(
    ("encoding", "setting", "sign"),
    [
        ("utf-16", "utf-16", "a UTF-16 byte order mark"),
        ("utf-16-le", "utf-16-le", "a NUL byte next to every letter"),
        ("utf-16-be", "utf-16-be", "a NUL byte next to every letter"),
        ("utf-32", "utf-32", "a UTF-32 byte order mark"),
    ],
)
def test_utf16_file_says_which_encoding_to_set(tmp_path, encoding, setting, sign):
    text = "id,date,total,customer\nA1,2026-11-01,10,אלקטרה\n"
    (tmp_path / "a.csv").write_bytes(text.encode(encoding))
    [reason] = rejected(read_all(tmp_path))
    assert reason.startswith("a.csv line 1: the file is UTF-")
    assert f"({sign}" in reason
    assert f'not utf-8-sig: set encoding = "{setting}" for this source' in reason
    assert "NUL byte\n" not in reason and "contains a NUL byte" not in reason
    # with that setting, the file reads
    (tmp_path / "b.csv").write_bytes(text.encode(encoding))
    [row] = read_all(tmp_path, encoding=setting)
    assert row["customer"]["name"] == "אלקטרה"


@pytest.mark.parametrize(
    ("delimiter", "setting"), [(";", '";"'), ("\t", '"\\t"'), ("|", '"|"')]
)
def test_wrong_delimiter_says_which_to_set(tmp_path, delimiter, setting):
    lines = ["id;date;total;customer", "A1;2026-11-01;123,45;X", "A2;2026-11-01;5;Y"]
    (tmp_path / "a.csv").write_text(
        "\n".join(line.replace(";", delimiter) for line in lines) + "\n"
    )
    [reason] = rejected(read_all(tmp_path))
    assert reason == (
        "a.csv line 1: the header has no column 'id', 'date', 'total', 'customer': "
        f"the delimiter looks like {delimiter!r}, not ',': set delimiter = "
        f"{setting} for this source"
    )
    (tmp_path / "b.csv").write_text(
        "\n".join(line.replace(";", delimiter) for line in lines) + "\n"
    )
    rows = read_all(tmp_path, delimiter=delimiter, decimal_comma=True)
    assert by_key(rows)["A1"]["amount_total"] == "123.45"


def test_header_without_the_configured_columns_names_them(tmp_path):
    write_rows(tmp_path, "a.csv", ["A1,2026-11-01,10,X"], header="id,date,sum,customer")
    [reason] = rejected(read_all(tmp_path))
    assert reason == (
        "a.csv line 1: the header has no column 'total' "
        "(its columns: 'id', 'date', 'sum', 'customer')"
    )
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "date", "sum", "customer"])
    workbook.active.append(["X1", datetime(2026, 11, 3), 7, "Y"])
    workbook.save(tmp_path / "b.xlsx")
    [reason] = rejected(read_all(tmp_path, kind="xlsx"))
    assert reason.startswith("b.xlsx line 1: the header has no column 'total'")


def test_empty_and_header_only_files_are_noted(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"")
    write_rows(tmp_path, "b.csv", [])
    write_rows(tmp_path, "c.csv", ["C1,2026-11-01,10,X"])
    pages = list(source(tmp_path).pages(None, 100))
    assert [page.note for page in pages] == [
        "a.csv: no invoice rows (an empty file)",
        "b.csv: no invoice rows",
        None,
    ]
    assert [len(page.rows) for page in pages] == [0, 0, 1]
    for page in pages:
        page.acknowledge()
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == [
        "a.csv",
        "b.csv",
        "c.csv",
    ]


def test_dates_beyond_the_horizon_are_rejected(tmp_path):
    soon = date.today() + timedelta(days=30)
    late = date.today() + timedelta(days=400)
    write_rows(
        tmp_path,
        "a.csv",
        [
            f"A1,{soon},10,Soon",
            "A2,9999-12-31,10,Never",
            f"A3,{late},10,Late",
        ],
    )
    rows = read_all(tmp_path)
    assert set(by_key(rows)) == {"A1"}
    assert rejected(rows) == [
        "a.csv line 3: column 'date': '9999-12-31' is more than 365 days ahead "
        "(max_future_days)",
        f"a.csv line 4: column 'date': '{late}' is more than 365 days ahead "
        "(max_future_days)",
    ]
    write_rows(tmp_path, "b.csv", [f"B1,{late},10,Late"])
    assert set(by_key(read_all(tmp_path, max_future_days=500))) == {"B1"}
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "date", "total", "customer"])
    workbook.active.append(["X1", datetime(9999, 12, 31), 7, "Y"])
    workbook.save(tmp_path / "c.xlsx")
    [reason] = rejected(read_all(tmp_path, kind="xlsx"))
    assert "'9999-12-31' is more than 365 days ahead" in reason


def test_pages_are_cut_by_bytes_and_a_row_too_big_is_rejected(tmp_path):
    (tmp_path / "pdf").mkdir()
    lines = []
    for index in range(6):
        size = 300_000 if index == 3 else 40_000
        (tmp_path / "pdf" / f"{index}.pdf").write_bytes(b"%PDF-1.4" + b"x" * size)
        lines.append(f"A{index},2026-11-01,10,X,pdf/{index}.pdf")
    write_rows(tmp_path, "a.csv", lines, header="id,date,total,customer,pdf")
    drop = source(tmp_path)
    drop.config.columns = {**COLUMNS, "pdf_file": "pdf"}
    budget = 120_000
    pages = list(drop.pages(None, 100, max_bytes=budget))
    sizes = [sum(len(json.dumps(row)) + 2 for row in page.rows) for page in pages]
    assert all(size <= budget for size in sizes), sizes
    rows = [row for page in pages for row in page.rows]
    assert [row["external_id"] for row in rows] == [f"A{i}" for i in range(6)]
    assert set(by_key(rows)) == {"A0", "A1", "A2", "A4", "A5"}
    [reason] = rejected(rows)
    assert reason.startswith("a.csv line 5: the row with the PDF 3.pdf (293 KB)")
    assert "more than the 117 KB of rows a request to Odoo may carry" in reason
    # each page resumes where the one before ended
    assert [len(page.rows) for page in pages] == [2, 3, 1]
    assert [page.bookmark.rpartition("#")[2] for page in pages] == ["2", "5", "end"]
    again = list(drop.pages(pages[0].bookmark, 100, max_bytes=budget))
    assert [row["external_id"] for row in again[0].rows] == ["A2", "A3", "A4"]


LINE_COLUMNS = {
    "product_code": "sku",
    "description": "item",
    "quantity": "qty",
    "price_unit": "price",
}


def test_repeated_invoice_rows_bring_its_lines(tmp_path):
    (tmp_path / "a.csv").write_text(
        "id,date,total,customer,sku,item,qty,price\n"
        'L1,2026-11-01,"8,200.00",Negev,SI-10K,Inverter,2,"4,000.00"\n'
        "L2,2026-11-02,50,Arava,,Visit,1,50\n"
        'L1,2026-11-01,"8,200.00",Negev,CABLE-DC,Cable,"62.5",3.20\n'
        "L3,2026-11-03,10,Arava,X,,,\n"
    )
    rows = read_all(tmp_path, line_columns=LINE_COLUMNS)
    invoices = by_key(rows)
    assert list(invoices) == ["L1", "L2"]
    assert invoices["L1"]["lines"] == [
        {
            "key": "2",
            "sequence": 1,
            "product_code": "SI-10K",
            "barcode": None,
            "description": "Inverter",
            "quantity": "2",
            "price_unit": "4000.00",
            "amount": None,
        },
        {
            "key": "4",
            "sequence": 2,
            "product_code": "CABLE-DC",
            "barcode": None,
            "description": "Cable",
            "quantity": "62.5",
            "price_unit": "3.20",
            "amount": None,
        },
    ]
    assert invoices["L2"]["lines"][0]["product_code"] is None
    assert rejected(rows) == [
        "a.csv line 5: invoice line 5: column 'price': empty, a price or an "
        "amount is required"
    ]


def test_line_keys_from_a_column_and_bad_quantity_names_the_line(tmp_path):
    (tmp_path / "a.csv").write_text(
        "id,date,total,customer,line,sku,qty,amount\n"
        "K1,2026-11-01,20,N,10,A,1,10\n"
        "K1,2026-11-01,20,N,20,B,1,10\n"
        "K2,2026-11-01,20,N,10,A,one,10\n"
    )
    columns = {
        "key": "line",
        "product_code": "sku",
        "quantity": "qty",
        "amount": "amount",
    }
    rows = read_all(tmp_path, line_columns=columns)
    assert [line["key"] for line in by_key(rows)["K1"]["lines"]] == ["10", "20"]
    [reason] = rejected(rows)
    assert reason.startswith("a.csv line 4: invoice line 4: column 'qty': 'one'")


def test_pages_never_split_an_invoice_and_a_retry_rereads_its_lines(tmp_path):
    lines = "".join(f"P{n // 3},2026-11-01,30,N,S{n},1,10\n" for n in range(9))
    (tmp_path / "a.csv").write_text("id,date,total,customer,sku,qty,price\n" + lines)
    columns = {"product_code": "sku", "quantity": "qty", "price_unit": "price"}
    pages = list(source(tmp_path, line_columns=columns).pages(None, 2))
    assert [len(page.rows) for page in pages] == [2, 1]
    assert [len(row["lines"]) for page in pages for row in page.rows] == [3, 3, 3]
    assert pages[0].bookmark.endswith("#2")
    # resuming after the first page reads the third invoice only
    again = list(source(tmp_path, line_columns=columns).pages(pages[0].bookmark, 2))
    assert [row["external_id"] for row in again[0].rows] == ["P2"]
    payload = json.loads(json.dumps(pages[0].rows[0]["payload"]))
    retried = source(tmp_path, line_columns=columns).retry_row(payload)
    assert retried["lines"] == pages[0].rows[0]["lines"]


def test_line_columns_missing_from_the_header_are_named(tmp_path):
    (tmp_path / "a.csv").write_text("id,date,total,customer\nA,2026-11-01,1,N\n")
    [row] = read_all(tmp_path, line_columns=LINE_COLUMNS)
    assert (
        "the header has no column 'sku', 'item', 'qty', 'price'" in row["reject_reason"]
    )


# -- invoice lines in a file of their own -------------------------------------

PAIR = LinesFileConfig(
    name="invoice_lines*.csv", invoices="invoices*.csv", invoice_column="invoice"
)
PAIR_LINES = {"product_code": "sku", "quantity": "qty", "price_unit": "price"}


def write_pair(folder, stem="", invoices=None, lines=None):
    if invoices is not None:
        (folder / f"invoices{stem}.csv").write_text(
            "id,date,total,customer\n" + "".join(f"{row}\n" for row in invoices)
        )
    if lines is not None:
        (folder / f"invoice_lines{stem}.csv").write_text(
            "invoice,sku,qty,price\n" + "".join(f"{row}\n" for row in lines)
        )


def test_a_lines_file_gives_the_invoices_their_lines(tmp_path):
    write_pair(
        tmp_path,
        invoices=["H1,2026-11-01,8200,Negev", "H2,2026-11-02,50,Arava"],
        lines=["H1,SI-10K,2,4000", "H2,VISIT,1,50", "H1,CABLE,1,200"],
    )
    rows = read_all(tmp_path, line_columns=PAIR_LINES, lines_file=PAIR)
    invoices = by_key(rows)
    assert list(invoices) == ["H1", "H2"]
    assert [
        (line["key"], line["sequence"], line["product_code"], line["quantity"])
        for line in invoices["H1"]["lines"]
    ] == [("2", 1, "SI-10K", "2"), ("4", 2, "CABLE", "1")]
    assert invoices["H2"]["lines"][0]["price_unit"] == "50"
    assert rejected(rows) == []
    # both files moved aside together
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == [
        "invoice_lines.csv",
        "invoices.csv",
    ]


def test_a_line_of_no_invoice_is_rejected_naming_file_line_and_value(tmp_path):
    write_pair(
        tmp_path,
        invoices=["H1,2026-11-01,10,N", "H2,2026-11-01,10,N"],
        lines=["H1,A,1,10", "H9,B,1,5", ",C,1,5", "H2,D,one,10"],
    )
    rows = read_all(tmp_path, line_columns=PAIR_LINES, lines_file=PAIR)
    assert list(by_key(rows)) == ["H1"]
    assert rejected(rows) == [
        "invoices.csv line 3: invoice_lines.csv line 5: column 'qty': 'one' is "
        "not an amount written like 1,234.56 (decimal point, thousands in groups "
        "of three)",
        "invoice_lines.csv line 3: column 'invoice': 'H9' is no invoice of "
        "invoices.csv (column 'id')",
        "invoice_lines.csv line 4: column 'invoice': empty, the line names no "
        "invoice",
    ]
    orphan = next(row for row in rows if "H9" in row.get("reject_reason", ""))
    assert orphan["external_id"] is None
    assert orphan["record_key"].startswith("invoice_lines.csv@")
    assert orphan["record_key"].endswith(" line 3")
    assert orphan["payload"]["file"] == "invoice_lines.csv"


def test_lines_join_on_the_invoice_number(tmp_path):
    (tmp_path / "invoices.csv").write_text(
        "id,number,date,total,customer\n7001,INV-1,2026-11-01,10,N\n"
    )
    (tmp_path / "invoice_lines.csv").write_text("invoice,sku,qty,price\nINV-1,A,1,10\n")
    pair = LinesFileConfig(
        name="invoice_lines.csv",
        invoices="invoices.csv",
        invoice_column="invoice",
        match="number",
    )
    rows = drop_source(
        tmp_path,
        columns={**COLUMNS, "number": "number"},
        line_columns=PAIR_LINES,
        lines_file=pair,
    )
    assert [(row["external_id"], len(row["lines"])) for row in rows] == [("7001", 1)]


def drop_source(folder, **values):
    rows = []
    for page in DropFolderSource(
        SourceConfig(
            name="finance",
            kind="csv",
            folder=folder,
            processed_folder=folder / "processed",
            **values,
        )
    ).pages(None, 100):
        rows += page.rows
        page.acknowledge()
    return rows


def test_a_file_waits_for_its_pair_and_other_names_are_noted(tmp_path):
    write_pair(tmp_path, "-01", invoices=["A1,2026-11-01,10,N"])
    write_pair(tmp_path, "-02", lines=["B1,X,1,10"])
    write_pair(tmp_path, "-03", invoices=["C1,2026-11-01,10,N"], lines=["C1,X,1,10"])
    (tmp_path / "export.csv").write_text("id,date,total,customer\n")
    pages = list(
        source(tmp_path, line_columns=PAIR_LINES, lines_file=PAIR).pages(None, 100)
    )
    assert [row["external_id"] for page in pages for row in page.rows] == ["C1"]
    assert [page.note for page in pages if page.note] == [
        "export.csv: left in the folder, its name is neither an invoices file "
        "(invoices*.csv) nor a lines file (invoice_lines*.csv)",
        "invoices-01.csv: not read yet, its lines file invoice_lines-01.csv is "
        "not in the folder",
        "invoice_lines-02.csv: not read yet, its invoices file invoices-02.csv "
        "is not in the folder",
    ]
    # the notes keep the bookmark of the last file read
    assert pages[-1].bookmark == pages[0].bookmark
    assert pages[0].bookmark.startswith("invoices-03.csv@")


def test_a_pair_resumes_by_invoice_and_rereads_when_either_file_changes(tmp_path):
    write_pair(
        tmp_path,
        invoices=[f"P{n},2026-11-01,10,N" for n in range(3)],
        lines=[f"P{n % 3},S{n},1,5" for n in range(6)],
    )
    paged = source(tmp_path, line_columns=PAIR_LINES, lines_file=PAIR)
    pages = list(paged.pages(None, 2))
    assert [[row["external_id"] for row in page.rows] for page in pages] == [
        ["P0", "P1"],
        ["P2"],
    ]
    assert [len(row["lines"]) for row in pages[0].rows] == [2, 2]
    again = list(paged.pages(pages[0].bookmark, 2))
    assert [row["external_id"] for row in again[0].rows] == ["P2"]
    # a retry reads the lines again from the payload, naming the lines file
    payload = json.loads(json.dumps(pages[0].rows[0]["payload"]))
    assert paged.retry_row(payload)["lines"] == pages[0].rows[0]["lines"]
    # the lines file changed (not the invoices file): read as new
    write_pair(tmp_path, lines=[f"P{n % 3},S{n},2,5" for n in range(6)])
    fresh = list(paged.pages(pages[0].bookmark, 2))
    assert [row["external_id"] for row in fresh[0].rows] == ["P0", "P1"]
    assert fresh[0].rows[0]["lines"][0]["quantity"] == "2"


def test_a_lines_file_without_its_columns_is_one_rejection(tmp_path):
    write_pair(tmp_path, invoices=["H1,2026-11-01,10,N"])
    (tmp_path / "invoice_lines.csv").write_text("invoice;sku;qty;price\nH1;A;1;10\n")
    rows = read_all(tmp_path, line_columns=PAIR_LINES, lines_file=PAIR)
    # the invoice goes without lines: Odoo keeps the lines it has
    assert "lines" not in by_key(rows)["H1"]
    [reason] = rejected(rows)
    assert reason.startswith(
        "invoice_lines.csv line 1: the header has no column 'sku', 'qty', "
        "'price', 'invoice': the delimiter looks like ';'"
    )


def test_lines_file_settings_are_checked(tmp_path):
    base = f"""
[odoo]
url = "http://localhost:8069"
db = "x"
login = "sync"
api_key = "k"
[[sources]]
name = "drop"
kind = "csv"
folder = "{tmp_path}"
[sources.columns]
external_id = "id"
issued_on = "date"
amount_total = "total"
"""
    lines = '[sources.line_columns]\nprice_unit = "price"\n'
    cases = {
        'name = "lines*.csv"\ninvoices = "invoices.csv"\ninvoice_column = "inv"\n': (
            "must both have a * or neither"
        ),
        'name = "lines.xlsx"\ninvoices = "invoices.csv"\ninvoice_column = "inv"\n': (
            "must end in .csv"
        ),
        'name = "a/l.csv"\ninvoices = "i.csv"\ninvoice_column = "inv"\n': (
            "must be a file name in the folder"
        ),
        'name = "l.csv"\ninvoices = "i.csv"\ninvoice_column = "inv"\n'
        'match = "number"\n': "'number' has no column in sources[0].columns",
        'name = "l.csv"\ninvoices = "i.csv"\n': "invoice_column: missing",
    }
    for table, message in cases.items():
        path = tmp_path / "crm-sync.toml"
        path.write_text(base + lines + "[sources.lines_file]\n" + table)
        with pytest.raises(ConfigError, match=re.escape(message)):
            load(path)
    path.write_text(
        base
        + '[sources.lines_file]\nname = "l.csv"\ninvoices = "i.csv"\n'
        + 'invoice_column = "inv"\n'
    )
    with pytest.raises(ConfigError, match="needs sources.0..line_columns"):
        load(path)
    path.write_text(
        base
        + lines
        + '[sources.lines_file]\nname = "l.csv"\ninvoices = "i.csv"\n'
        + 'invoice_column = "inv"\n'
    )
    [source_config] = load(path).sources
    assert source_config.lines_file == LinesFileConfig("l.csv", "i.csv", "inv")


def test_xlsx_pairs_too(tmp_path):
    for name, rows in (
        (
            "invoices.xlsx",
            [["id", "date", "total", "customer"], ["X1", date(2026, 11, 1), 30, "N"]],
        ),
        (
            "invoice_lines.xlsx",
            [["invoice", "sku", "qty", "price"], ["X1", "A", 3, 10.5]],
        ),
    ):
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(tmp_path / name)
    pair = LinesFileConfig(
        name="invoice_lines.xlsx", invoices="invoices.xlsx", invoice_column="invoice"
    )
    rows = read_all(tmp_path, kind="xlsx", line_columns=PAIR_LINES, lines_file=pair)
    [line] = by_key(rows)["X1"]["lines"]
    assert (line["product_code"], line["quantity"], line["price_unit"]) == (
        "A",
        "3",
        "10.5",
    )


def test_an_unreadable_invoices_file_is_one_rejection_with_its_lines_file(tmp_path):
    (tmp_path / "invoices.csv").write_text(
        "id;date;total;customer\nH1;2026-11-01;1;N\n"
    )
    write_pair(tmp_path, lines=["H1,A,1,10", "H1,B,1,10"])
    rows = read_all(tmp_path, line_columns=PAIR_LINES, lines_file=PAIR)
    [reason] = rejected(rows)
    assert reason.startswith("invoices.csv line 1: the header has no column")
    assert len(list((tmp_path / "processed").iterdir())) == 2
