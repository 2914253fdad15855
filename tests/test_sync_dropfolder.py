"""The drop folder source on files as people and programs really write them:
broken bytes, NUL bytes, a quote never closed, an XLSX from Excel."""

from datetime import date, datetime

import openpyxl
import pytest

from sync_service.config import ConfigError, SourceConfig
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
