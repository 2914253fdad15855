"""Invoices from exports in the Israeli uniform file format (מבנה אחיד 1.31).

Every certified Israeli bookkeeping program exports its documents as two
fixed-width text files, INI.TXT and BKMVDATA.TXT, written under
``OPENFRMT/<VAT number, 8 digits>.<YY>/<MMDDhhmm>/`` (spec section 2.2; the
data file may come compressed as ``BKMVDATA.zip``, 2.2(ד)). An *export* is a
folder holding the two; the drop folder may hold any number of them, found
recursively (the processed folder excepted) and read in the order of their
paths. After its last page an export folder moves to the processed folder
with its sub-path, never read again; a run killed before the move finds the
bookmark ``<export path>@<digest of both files>#end`` and only moves it.
Mid-export the bookmark is ``<export path>@<digest>#<rows done>``. A zip
dropped in the folder (the OPENFRMT tree as handed to an auditor) is unpacked
next to itself as ``<name>.zip.unzipped`` and the zip moves to the processed
folder at once (also in a dry run; its exports stay until applied); members
that would land outside the folder stop the source.

Spec: Israel Tax Authority, "הוראות להפקת קבצים במבנה אחיד", version 1.31
(the ``&OF1.31&`` of fields 1005/1104/1154). Field tables below are
(field number, name, first column (1-based), width, kind), transcribed from
the spec's record tables, section 3 for INI.TXT (A000, fields 1000-1035; the
count lines, 1050-1051) and section 4 for BKMVDATA.TXT (A100 1100-1105, Z900
1150-1156, C100 1200-1235, D120 1300-1324); record lengths from 2.5. Cancelled
fields ("שדה מבוטל", X(0): 1227, 1229, 1232, 1316-1319, 1321) take no
columns. Cross-checked field by field between three independent public
implementations: the Linet accounting program's ``openformat`` table
(github adam2314/linet3, protected/data/company.sql), a Python exporter with
section references (``DOCUMENT_TYPES``/``LAYOUTS``, spec 2.3-2.5) and a
TypeScript point-of-sale exporter whose schemas carry every column range;
Oracle Cloud's "Open Format for Israel" appendix 6 agrees on A100. A fourth,
the ``@accounter`` SHAAM generator (github Urigo/accounter-fullstack,
packages/shaam-uniform-format-generator/documentation/c100.csv), agrees up
to column 399 of C100, then its transcription slips a row from 1227 on
(giving the cancelled fields widths, 445 columns); the spec's record length
of C100 is 444, which the layout below tiles exactly.

Kinds: X text (left-aligned, space-filled), N 9(n) digits (right-aligned,
zero-filled), D date YYYYMMDD (zeros or blanks: none), T time hhmm,
A a signed amount X9(n)V99: a sign then digits with two implied decimals,
``+00000000012345`` is 123.45 and ``-00000000012345`` is -123.45 (2.3(ו));
blanks mean "not given". Digits without a sign are read as positive (some
programs leave the sign out); anything else is rejected.

Mapping to invoice rows (appendix 1, the document types):

* 300 חשבונית/חשבונית עסקה, 305 חשבונית מס, 310 חשבונית ריכוז -> invoice;
  320 חשבונית מס/קבלה -> invoice, paid; 330 חשבונית מס זיכוי -> credit_note;
  400 קבלה, 405 קבלה על תרומות -> receipt, paid. Every other type (orders,
  delivery notes, purchase documents, stock movements, 340/345) is skipped.
* external_id ``<business VAT>/<document type>/<document number>``
  (1202/1203/1204): what the spec itself uses to tie records to a document
  (2.4(ד)), so it is the same in every re-export of the period.
* issued_on the document date (1230), else the issue date (1205); amounts
  1221 (after discount, before VAT), 1222 (VAT), 1223 (total) in the
  business's leading currency (A000 field 1032, else the configured default):
  1219-1223 are in shekels even on an export invoice, whose foreign total is
  1217/1218 and stays in the payload. Signs are kept as written: the spec
  writes credit notes positive (their type reverses them) and a negative
  amount reverses a document's effect. On receipts the amount received is in
  1219/1221/1223 with zero VAT (הבהרה 4).
* The format records no payment state for invoices and credit notes: they
  come as ``open`` with no amount due and no due date (1216 "value date" is
  in the payload; used as a due date it would flag every paid invoice
  overdue). 320/400/405 are ``paid`` with nothing due; the cancelled flag
  (1228 = 1) makes any of them ``cancelled``.
* customer: 1215 (customer VAT number) -> vat, 1225 (customer key) ->
  external_id, 1207 -> name.
* The payload keeps the file, the line number, the raw record text and its
  fields by name (and, for receipts, the D120 payment lines), so a rejected
  row is auditable and ``retry_row`` re-reads the record text.

Bad input never stops the other rows. A record that cannot be read (a short
line missing a field, an undecodable byte, an unknown record code, a bad date
such as 20261345, a non-numeric amount, the business's VAT number differing
from INI.TXT's, a document number seen twice, a record after the closing
Z900) is a rejected row naming the file, the line, the field and the value.
Counts are checked the way an accountant would: the first record must be
A100, the last Z900; Z900's total (1155), INI.TXT's total (1002) and its
per-record-type count lines must match the records read, and the primary id
(1004 = 1103 = 1153) must tie INI.TXT to BKMVDATA.TXT. A disagreement (a
truncated copy, a stale INI.TXT) is one rejected row for the export saying
what disagrees; every complete document read is still imported, since each
C100 carries all its figures and the same documents from a fuller re-export
update them in place (stable external ids). Only what makes the export
unreadable stops the source with an error naming the file: a missing INI.TXT
or BKMVDATA.TXT, an INI.TXT that is not A000, a character-set code (1029)
other than 1 (ISO-8859-8-i) or 2 (CP-862).

Hebrew order: 2.4(ח) asks for logical order (ISO-8859-8-i, the "-i" being
implicit directionality, i.e. logical). Text is taken in the order written,
never reversed: a DOS program writing CP-862 in visual order would show its
names reversed; we do not guess, and the raw record is in the payload.
Lines shorter than their record are read as if blank-padded (programs that
trim trailing spaces); a field that falls past the end is then empty, and a
required one rejects the record saying where the line ends. One export's
rows (about 2 KB each with their payload) are held in memory while it is
paged. Only records this source uses are read field by field (A100, C100, D110,
D120, Z900); B100, B110 and M100 are counted, not checked.

Lines: the D110 records of a document (tied by business VAT, document type and
number, 1252-1254) become its ``lines``: key the line number (1255), product
code the internal catalogue number (1259), description 1260, quantity 1264
(X9(12)V9999, four implied decimals), unit price 1265, amount the line total
after its discount (1267), as written (Odoo signs a credit note's lines). A
credit note's base document (1256/1257) becomes its ``origin``, the id of the
invoice it credits. A D110 that cannot be read rejects its document, naming
the line and the field; its record texts stay in the payload (``d110``) so a
retry re-reads them.
"""

import functools
import hashlib
import os
import shutil
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, overload

from ..errors import RowError, SourceError
from . import FolderSource, Page, Row, parse_bookmark
from .base import Bookmark

SYSTEM_CONSTANT = "&OF1.31&"
INI_NAME, DATA_NAME, DATA_ZIP_NAME = "INI.TXT", "BKMVDATA.TXT", "BKMVDATA.ZIP"

# field 1029 (3.1): the character set of both files
CHARSETS = {"1": ("iso8859_8", "ISO-8859-8-i"), "2": ("cp862", "CP-862")}

# 2.5: record lengths without the CR LF ending each record
RECORD_LENGTHS = {
    "A000": 466,
    "A100": 95,
    "B100": 317,
    "B110": 376,
    "C100": 444,
    "D110": 339,
    "D120": 222,
    "M100": 298,
    "Z900": 110,
}
BKMVDATA_CODES = ("A100", "B100", "B110", "C100", "D110", "D120", "M100", "Z900")

# INI.TXT header record, fields 1000-1035 (section 3; 466 long)
A000_FIELDS = (
    (1000, "record_code", 1, 4, "X"),
    (1001, "reserved", 5, 5, "X"),
    (1002, "total_records", 10, 15, "N"),
    (1003, "business_vat", 25, 9, "N"),
    (1004, "primary_id", 34, 15, "N"),
    (1005, "system_constant", 49, 8, "X"),
    (1006, "software_registration", 57, 8, "N"),
    (1007, "software_name", 65, 20, "X"),
    (1008, "software_version", 85, 20, "X"),
    (1009, "vendor_vat", 105, 9, "N"),
    (1010, "vendor_name", 114, 20, "X"),
    (1011, "software_type", 134, 1, "N"),
    (1012, "output_path", 135, 50, "X"),
    (1013, "accounting_type", 185, 1, "N"),
    (1014, "balance_required", 186, 1, "N"),
    (1015, "company_number", 187, 9, "N"),
    (1016, "withholding_file", 196, 9, "N"),
    (1017, "reserved_2", 205, 10, "X"),
    (1018, "business_name", 215, 50, "X"),
    (1019, "business_street", 265, 50, "X"),
    (1020, "business_house_number", 315, 10, "X"),
    (1021, "business_city", 325, 30, "X"),
    (1022, "business_zip", 355, 8, "X"),
    (1023, "tax_year", 363, 4, "N"),
    (1024, "range_start", 367, 8, "D"),
    (1025, "range_end", 375, 8, "D"),
    (1026, "process_date", 383, 8, "D"),
    (1027, "process_time", 391, 4, "T"),
    (1028, "language", 395, 1, "N"),
    (1029, "charset", 396, 1, "N"),
    (1030, "compressor", 397, 20, "X"),
    (1032, "leading_currency", 417, 3, "X"),
    (1034, "has_branches", 420, 1, "N"),
    (1035, "reserved_3", 421, 46, "X"),
)
# INI.TXT count line, fields 1050-1051 (19), one per record type of BKMVDATA
COUNT_FIELDS = (
    (1050, "record_code", 1, 4, "X"),
    (1051, "count", 5, 15, "N"),
)
# BKMVDATA.TXT opening record A100, fields 1100-1105 (95)
A100_FIELDS = (
    (1100, "record_code", 1, 4, "X"),
    (1101, "record_number", 5, 9, "N"),
    (1102, "business_vat", 14, 9, "N"),
    (1103, "primary_id", 23, 15, "N"),
    (1104, "system_constant", 38, 8, "X"),
    (1105, "reserved", 46, 50, "X"),
)
# BKMVDATA.TXT closing record Z900, fields 1150-1156 (110)
Z900_FIELDS = (
    (1150, "record_code", 1, 4, "X"),
    (1151, "record_number", 5, 9, "N"),
    (1152, "business_vat", 14, 9, "N"),
    (1153, "primary_id", 23, 15, "N"),
    (1154, "system_constant", 38, 8, "X"),
    (1155, "total_records", 46, 15, "N"),
    (1156, "reserved", 61, 50, "X"),
)
# document header C100, fields 1200-1235 (444)
C100_FIELDS = (
    (1200, "record_code", 1, 4, "X"),
    (1201, "record_number", 5, 9, "N"),
    (1202, "business_vat", 14, 9, "N"),
    (1203, "document_type", 23, 3, "N"),
    (1204, "document_number", 26, 20, "X"),
    (1205, "issue_date", 46, 8, "D"),
    (1206, "issue_time", 54, 4, "T"),
    (1207, "customer_name", 58, 50, "X"),
    (1208, "customer_street", 108, 50, "X"),
    (1209, "customer_house_number", 158, 10, "X"),
    (1210, "customer_city", 168, 30, "X"),
    (1211, "customer_zip", 198, 8, "X"),
    (1212, "customer_country", 206, 30, "X"),
    (1213, "customer_country_code", 236, 2, "X"),
    (1214, "customer_phone", 238, 15, "X"),
    (1215, "customer_vat", 253, 9, "N"),
    (1216, "value_date", 262, 8, "D"),
    (1217, "foreign_currency_amount", 270, 15, "A"),
    (1218, "currency_code", 285, 3, "X"),
    (1219, "amount_before_discount", 288, 15, "A"),
    (1220, "document_discount", 303, 15, "A"),
    (1221, "amount_after_discount", 318, 15, "A"),
    (1222, "vat_amount", 333, 15, "A"),
    (1223, "amount_including_vat", 348, 15, "A"),
    (1224, "withholding_amount", 363, 12, "A"),
    (1225, "customer_key", 375, 15, "X"),
    (1226, "matching_field", 390, 10, "X"),
    (1228, "cancelled", 400, 1, "X"),
    (1230, "document_date", 401, 8, "D"),
    (1231, "branch_id", 409, 7, "X"),
    (1233, "user_name", 416, 9, "X"),
    (1234, "link_to_lines", 425, 7, "N"),
    (1235, "reserved", 432, 13, "X"),
)
# receipt / payment line D120, fields 1300-1324 (222)
D120_FIELDS = (
    (1300, "record_code", 1, 4, "X"),
    (1301, "record_number", 5, 9, "N"),
    (1302, "business_vat", 14, 9, "N"),
    (1303, "document_type", 23, 3, "N"),
    (1304, "document_number", 26, 20, "X"),
    (1305, "line_number", 46, 4, "N"),
    (1306, "payment_method", 50, 1, "N"),
    (1307, "bank_number", 51, 10, "N"),
    (1308, "bank_branch", 61, 10, "N"),
    (1309, "bank_account", 71, 15, "N"),
    (1310, "cheque_number", 86, 10, "N"),
    (1311, "payment_due_date", 96, 8, "D"),
    (1312, "amount", 104, 15, "A"),
    (1313, "card_acquirer", 119, 1, "N"),
    (1314, "card_name", 120, 20, "X"),
    (1315, "card_transaction_type", 140, 1, "N"),
    (1320, "branch_id", 141, 7, "X"),
    (1322, "document_date", 148, 8, "D"),
    (1323, "link_to_header", 156, 7, "N"),
    (1324, "reserved", 163, 60, "X"),
)
# document line D110, fields 1250-1275 (339); 1269 and 1271 are cancelled
D110_FIELDS = (
    (1250, "record_code", 1, 4, "X"),
    (1251, "record_number", 5, 9, "N"),
    (1252, "business_vat", 14, 9, "N"),
    (1253, "document_type", 23, 3, "N"),
    (1254, "document_number", 26, 20, "X"),
    (1255, "line_number", 46, 4, "N"),
    (1256, "base_document_type", 50, 3, "N"),
    (1257, "base_document_number", 53, 20, "X"),
    (1258, "transaction_type", 73, 1, "N"),
    (1259, "internal_catalogue_number", 74, 20, "X"),
    (1260, "description", 94, 30, "X"),
    (1261, "manufacturer_name", 124, 50, "X"),
    (1262, "serial_number", 174, 30, "X"),
    (1263, "unit_description", 204, 20, "X"),
    (1264, "quantity", 224, 17, "A"),
    (1265, "unit_price", 241, 15, "A"),
    (1266, "line_discount", 256, 15, "A"),
    (1267, "line_total", 271, 15, "A"),
    (1268, "vat_rate", 286, 4, "N"),
    (1270, "branch_id", 290, 7, "X"),
    (1272, "document_date", 297, 8, "D"),
    (1273, "link_to_header", 305, 7, "N"),
    (1274, "base_document_branch_id", 312, 7, "X"),
    (1275, "reserved", 319, 21, "X"),
)
LAYOUTS = {
    "A000": A000_FIELDS,
    "A100": A100_FIELDS,
    "C100": C100_FIELDS,
    "D110": D110_FIELDS,
    "D120": D120_FIELDS,
    "Z900": Z900_FIELDS,
}

# appendix 1: document type -> (kind, paid when issued)
DOCUMENT_KINDS: dict[int, tuple[str | None, bool]] = {
    300: ("invoice", False),
    305: ("invoice", False),
    310: ("invoice", False),
    320: ("invoice", True),
    330: ("credit_note", False),
    400: ("receipt", True),
    405: ("receipt", True),
}
PAYMENT_DOCUMENT_TYPES = (320, 400, 405)


class UniformSource(FolderSource):
    # -- exports ------------------------------------------------------------

    def _exports(self) -> list[Path]:
        """Folders holding an INI.TXT or a BKMVDATA file, in path order."""
        root = self._folder
        processed = self._processed_folder.resolve()
        found: list[Path] = []
        for directory, subdirectories, names in os.walk(root):
            subdirectories[:] = sorted(
                name
                for name in subdirectories
                if (Path(directory) / name).resolve() != processed
                and not name.endswith(".partial")
            )
            upper = {name.upper() for name in names}
            if upper & {INI_NAME, DATA_NAME, DATA_ZIP_NAME}:
                found.append(Path(directory))
        return sorted(found, key=lambda path: _relative(root, path))

    def _unpack_archives(self) -> None:
        """A zip dropped in the folder (say the OPENFRMT tree of an export) is
        unpacked next to itself as ``<name>.unzipped`` and moves to the
        processed folder; its exports are then read like any other."""
        root = self._folder
        processed = self._processed_folder.resolve()
        archives: list[Path] = []
        for directory, subdirectories, names in os.walk(root):
            subdirectories[:] = [
                name
                for name in subdirectories
                if (Path(directory) / name).resolve() != processed
                and not name.endswith(".partial")
            ]
            archives += [
                Path(directory) / name
                for name in names
                if name.upper().endswith(".ZIP") and name.upper() != DATA_ZIP_NAME
            ]
        for archive in sorted(archives):
            target = archive.with_name(f"{archive.name}.unzipped")
            if not target.exists():
                partial = archive.with_name(f"{archive.name}.partial")
                shutil.rmtree(partial, ignore_errors=True)
                _unzip(archive, partial, _relative(root, archive))
                partial.rename(target)
            destination = processed / _relative(root, archive)
            if destination.exists():
                destination = destination.with_name(
                    f"{destination.name}.{datetime.now():%Y%m%d%H%M%S}"
                )
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(archive), str(destination))

    def _move_aside(self, export: Path) -> None:
        root, processed = self._folder, self._processed_folder
        relative = _relative(root, export)
        stamp = f"{datetime.now():%Y%m%d%H%M%S}"
        if relative == ".":
            # an export straight in the drop folder: move its two files
            destination = processed / f"export-{stamp}"
            destination.mkdir(parents=True)
            for path in export.iterdir():
                if path.is_file() and path.name.upper() in (
                    INI_NAME,
                    DATA_NAME,
                    DATA_ZIP_NAME,
                ):
                    shutil.move(str(path), str(destination / path.name))
            return
        destination = processed / relative
        if destination.exists():
            destination = destination.with_name(f"{destination.name}.{stamp}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(export), str(destination))
        # drop the emptied OPENFRMT/<vat>.<yy> folders left behind
        parent = export.parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def pages(self, bookmark: Bookmark, page_size: int) -> Iterator[Page]:
        done_key, done_rows = parse_bookmark(bookmark)
        if not self._folder.is_dir():
            raise FileNotFoundError(f"drop folder {self._folder} does not exist")
        self._unpack_archives()
        for export in self._exports():
            files = _ExportFiles(self._folder, export)
            key = f"{files.relative}@{files.digest()}"
            skip = done_rows if key == done_key else 0
            if isinstance(skip, str):  # "end": every row of the export applied
                self._move_aside(export)
                continue
            rows = self._read(files)
            total = len(rows)
            for start in range(skip, total, page_size):
                chunk = rows[start : start + page_size]
                yield self._page(chunk, key, start + len(chunk), total, export)
            if total == 0 or skip >= total:
                yield Page(
                    rows=[],
                    bookmark=f"{key}#end",
                    acknowledge=functools.partial(self._move_aside, export),
                )

    def retry_row(self, payload: dict[str, Any]) -> Row | None:
        """The row of a document queued for retry (e.g. after its customer was
        created), re-read from the record text kept in its payload."""
        if (
            isinstance(payload, dict)
            and "reject_reason" in payload
            and isinstance(payload.get("payload"), dict)
        ):
            payload = payload["payload"]  # a row this source rejected
        if not isinstance(payload, dict) or payload.get("record") != "C100":
            return None
        text = payload.get("text")
        if not isinstance(text, str):
            return None
        row = _document_row(
            text,
            str(payload.get("file") or "retry"),
            payload.get("line"),
            payload.get("ini") or {},
            payload.get("payments"),
        )
        if row and "reject_reason" not in row and payload.get("d110"):
            row["payload"]["d110"] = payload["d110"]
            row = _with_lines(row, str(payload.get("file") or "retry"))
        return row

    # -- reading ------------------------------------------------------------

    def _read(self, files: "_ExportFiles") -> list[Row]:
        """The rows of one export: documents, rejected records, and one
        rejected row for the export when its counts disagree."""
        ini = self._ini(files)
        encoding, charset_name = CHARSETS[ini["charset"]]
        context = {
            "vat": ini["business_vat"],
            "currency": ini["leading_currency"]
            or self.config.default_currency
            or "ILS",
            "charset": charset_name,
        }
        data_name = files.data_label
        rows: list[Row] = []
        seen: dict[str, int] = {}
        payments: dict[str, list[dict[str, Any]]] = {}
        document_lines: dict[str, list[dict[str, Any]]] = {}
        counts = dict.fromkeys(BKMVDATA_CODES, 0)
        records = 0
        first_code: str | None = None
        closing: dict[str, Any] | None = None
        for number, raw in files.data_lines():
            records += 1
            code = raw[:4].decode("ascii", "replace")
            if code in counts:
                counts[code] += 1
            if first_code is None:
                first_code = code
            where = f"{data_name} line {number}"
            if closing is not None:
                rows.append(
                    _rejected(
                        None,
                        f"{where}: a record after the closing record Z900 "
                        f"(line {closing['line']})",
                        _raw_payload(data_name, number, raw, encoding),
                    )
                )
                continue
            try:
                text = _decode(raw, encoding, charset_name)
            except RowError as error:
                rows.append(
                    _rejected(
                        None,
                        f"{where}: {error}",
                        _raw_payload(data_name, number, raw, encoding),
                    )
                )
                continue
            if code not in RECORD_LENGTHS or code == "A000":
                rows.append(
                    _rejected(
                        None,
                        f"{where}: unknown record code {code!r}",
                        _raw_payload(data_name, number, raw, encoding),
                    )
                )
            elif code == "C100":
                row = _document_row(text, data_name, number, context)
                if row is None:
                    continue
                external_id = row.get("external_id")
                if external_id and external_id in seen and "reject_reason" not in row:
                    row = _rejected(
                        external_id,
                        f"{where}: document {external_id} appears twice in "
                        f"the export (first at line {seen[external_id]})",
                        row["payload"],
                    )
                elif external_id and "reject_reason" not in row:
                    seen[external_id] = number
                rows.append(row)
            elif code == "D110":
                _collect_line(text, number, document_lines)
            elif code == "D120":
                _collect_payment(text, number, payments)
            elif code == "Z900":
                closing = {**_fields(text, Z900_FIELDS), "line": number}
            elif code == "A100" and records == 1:
                opening = _fields(text, A100_FIELDS)
                context["primary_id"] = opening["primary_id"]
        for index, row in enumerate(rows):
            key = row.get("external_id")
            if key in payments and "reject_reason" not in row:
                row["payload"]["payments"] = payments[key]
            if key in document_lines and "reject_reason" not in row:
                row["payload"]["d110"] = document_lines[key]
                rows[index] = _with_lines(row, data_name)
        problems = _count_problems(
            ini, files, first_code, closing, records, counts, context
        )
        if problems:
            rows.append(
                _rejected(
                    None,
                    f"{data_name}: "
                    + "; ".join(problems)
                    + ". Every complete document in the file was read; "
                    "re-export the period to be sure none is missing",
                    {
                        "file": data_name,
                        "records": records,
                        "counts": {code: n for code, n in counts.items() if n},
                        "ini_total": ini["total_records"],
                        "ini_counts": ini["counts"],
                        "z900_total": closing["total_records"] if closing else None,
                    },
                )
            )
        return rows

    def _ini(self, files: "_ExportFiles") -> dict[str, Any]:
        """INI.TXT's header fields and count lines; SourceError when the
        export cannot be read at all."""
        lines = list(files.ini_lines())
        label = files.ini_label
        if not lines or not lines[0][1].startswith(b"A000"):
            raise SourceError(
                f"{label}: the first record is not the A000 header of a "
                "uniform-format INI.TXT"
            )
        # the codes and numbers are ASCII; latin-1 keeps byte = column
        header: dict[str, Any] = _fields(lines[0][1].decode("latin-1"), A000_FIELDS)
        charset = header["charset"]
        if charset not in CHARSETS:
            raise SourceError(
                f"{label}: A000 field 1029 (character set) is {charset!r}: the "
                "spec knows 1 (ISO-8859-8-i) and 2 (CP-862), so the Hebrew "
                "text cannot be decoded"
            )
        encoding = CHARSETS[charset][0]
        header = _fields(lines[0][1].decode(encoding, "replace"), A000_FIELDS)
        counts: dict[str, int] = {}
        bad: list[str] = []
        for number, raw in lines[1:]:
            text = raw.decode("latin-1").rstrip()
            code, digits = text[:4], text[4:19].strip()
            if len(text) > 19 or not (digits.isascii() and digits.isdigit()):
                bad.append(f"{label} line {number} {text[:30]!r} is not a count line")
                continue
            counts[code] = counts.get(code, 0) + int(digits)
        header["counts"] = counts
        header["bad_count_lines"] = bad
        header["leading_currency"] = header["leading_currency"].upper()
        return header


class _ExportFiles:
    """The INI.TXT and BKMVDATA.TXT (or BKMVDATA.zip) of one export folder."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.folder = folder
        self.relative = _relative(root, folder)
        by_name = {
            path.name.upper(): path for path in folder.iterdir() if path.is_file()
        }
        prefix = "" if self.relative == "." else f"{self.relative}/"
        ini = by_name.get(INI_NAME)
        data = by_name.get(DATA_NAME) or by_name.get(DATA_ZIP_NAME)
        if data is None:
            # an export folder holds one of the two (``_exports``)
            assert ini is not None
            raise SourceError(
                f"{prefix}{ini.name}: no BKMVDATA.TXT (or BKMVDATA.zip) next to it"
            )
        if ini is None:
            raise SourceError(
                f"{prefix}{data.name}: no INI.TXT next to it; an export is "
                "read with its INI.TXT (character set, record counts)"
            )
        self.ini, self.data = ini, data
        self.ini_label = f"{prefix}{self.ini.name}"
        self.data_label = f"{prefix}{self.data.name}"
        self.member: str | None = None
        if self.data.name.upper() == DATA_ZIP_NAME:
            self.member = self._zip_member()
            self.data_label += f"!{self.member}"

    def _zip_member(self) -> str:
        try:
            with zipfile.ZipFile(self.data) as archive:
                names = [
                    name
                    for name in archive.namelist()
                    if name.replace("\\", "/").rsplit("/", 1)[-1].upper() == DATA_NAME
                ]
        except zipfile.BadZipFile:
            raise SourceError(f"{self.data_label}: not a readable zip") from None
        if len(names) != 1:
            raise SourceError(
                f"{self.data_label}: holds {len(names)} BKMVDATA.TXT files, "
                "1 expected"
            )
        return names[0]

    def digest(self) -> str:
        digest = hashlib.sha256()
        for path in (self.ini, self.data):
            with path.open("rb") as handle:
                for block in iter(functools.partial(handle.read, 1 << 20), b""):
                    digest.update(block)
            digest.update(b"\0")
        return digest.hexdigest()[:16]

    def ini_lines(self) -> Iterator[tuple[int, bytes]]:
        with self.ini.open("rb") as handle:
            yield from _lines(handle)

    def data_lines(self) -> Iterator[tuple[int, bytes]]:
        if self.member is None:
            with self.data.open("rb") as handle:
                yield from _lines(handle)
            return
        try:
            with (
                zipfile.ZipFile(self.data) as archive,
                archive.open(self.member) as handle,
            ):
                yield from _lines(handle)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise SourceError(f"{self.data_label}: {error}") from None


def _unzip(archive: Path, target: Path, label: str) -> None:
    """Unpack ``archive`` into ``target``, refusing members that would land
    outside it."""
    try:
        with zipfile.ZipFile(archive) as handle:
            for member in handle.infolist():
                name = member.filename.replace("\\", "/")
                parts = [part for part in name.split("/") if part not in ("", ".")]
                if name.startswith("/") or ".." in parts or ":" in name:
                    raise SourceError(f"{label}: unsafe member name {name!r}")
                if member.is_dir() or not parts:
                    continue
                path = target.joinpath(*parts)
                path.parent.mkdir(parents=True, exist_ok=True)
                with handle.open(member) as source, path.open("wb") as copy:
                    shutil.copyfileobj(source, copy)
    except zipfile.BadZipFile:
        raise SourceError(f"{label}: not a readable zip archive") from None


def _lines(handle: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank record, CR LF (or LF) removed;
    a DOS end-of-file mark (Ctrl-Z) is no record."""
    for number, raw in enumerate(handle, start=1):
        raw = raw.rstrip(b"\r\n").rstrip(b"\x1a")
        if raw.strip():
            yield number, raw


def _decode(raw: bytes, encoding: str, charset_name: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        raise RowError(
            f"byte 0x{raw[error.start]:02X} at column {error.start + 1} is not "
            f"a {charset_name} character"
        ) from None


def _fields(
    text: str, layout: Iterable[tuple[int, str, int, int, str]]
) -> dict[str, Any]:
    """{name: stripped text} of a record, short lines padded with blanks
    (programs that trim trailing spaces)."""
    return {
        name: text[start - 1 : start - 1 + width].strip()
        for _number, name, start, width, _kind in layout
    }


FIELD_INFO = {
    name: (number, start, width) for number, name, start, width, _kind in C100_FIELDS
}
FIELD_LABELS = {
    "document_type": "document type",
    "document_number": "document number",
    "issue_date": "issue date",
    "document_date": "document date",
    "business_vat": "business VAT number",
    "customer_vat": "customer VAT number",
    "amount_after_discount": "amount after discount, before VAT",
    "vat_amount": "VAT amount",
    "amount_including_vat": "amount including VAT",
    "cancelled": "cancelled document",
}


class _Record:
    """A C100 record's fields, read with errors naming the field."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.fields: dict[str, str] = _fields(text, C100_FIELDS)

    def label(self, name: str) -> str:
        number, start, width = FIELD_INFO[name]
        text = f"C100 field {number} ({FIELD_LABELS.get(name, name)})"
        if len(self.text) < start - 1 + width:
            text += (
                f" - the line ends at column {len(self.text)}, the record is "
                f"{RECORD_LENGTHS['C100']} long"
            )
        return text

    @overload
    def number(self, name: str, required: Literal[True]) -> str: ...

    @overload
    def number(self, name: str, required: bool = False) -> str | None: ...

    def number(self, name: str, required: bool = False) -> str | None:
        raw = self.fields[name]
        if not raw:
            if required:
                raise RowError(f"{self.label(name)}: empty")
            return None
        if not (raw.isascii() and raw.isdigit()):
            raise RowError(f"{self.label(name)}: {raw!r} is not a number")
        return raw

    def date(self, name: str) -> str | None:
        raw = self.fields[name]
        if not raw or set(raw) == {"0"}:
            return None
        try:
            if not (raw.isascii() and raw.isdigit() and len(raw) == 8):
                raise ValueError
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat()
        except ValueError:
            raise RowError(
                f"{self.label(name)}: {raw!r} is not a date (YYYYMMDD)"
            ) from None

    def amount(self, name: str, required: bool = False) -> str | None:
        raw = self.fields[name]
        if not raw:
            if required:
                raise RowError(f"{self.label(name)}: empty")
            return None
        try:
            return _amount(raw)
        except RowError as error:
            raise RowError(f"{self.label(name)}: {error}") from None


def _amount(raw: str, decimals: int = 2) -> str:
    """X9(n)V99: a sign, then digits with two (or ``decimals``) implied
    decimals."""
    digits = raw[1:] if raw[0] in "+-" else raw
    if not (digits.isascii() and digits.isdigit()):
        raise RowError(
            f"{raw!r} is not an amount (a sign and digits, {decimals} implied "
            "decimals)"
        )
    value = Decimal(int(digits)).scaleb(-decimals)
    return str(-value if raw[0] == "-" else value)


def _document_row(
    text: str,
    file: str,
    line: int | None,
    context: dict[str, Any],
    payments: list[dict[str, Any]] | None = None,
) -> Row | None:
    """The invoice row of a C100 record; None for document types that are not
    invoices (quotes, orders, delivery notes, ...)."""
    record = _Record(text)
    fields = record.fields
    length = RECORD_LENGTHS["C100"]
    payload: dict[str, Any] = {
        "file": file,
        "line": line,
        "record": "C100",
        "text": text.rstrip(),
        "ini": {key: context.get(key) for key in ("vat", "currency", "charset")},
        "fields": {k: v for k, v in fields.items() if k != "reserved" and v},
    }
    if payments:
        payload["payments"] = payments
    where = f"{file} line {line}"
    external_id = None
    try:
        document_type = record.number("document_type", required=True)
        kind, paid = DOCUMENT_KINDS.get(int(document_type), (None, False))
        if kind is None:
            return None
        if len(text) > length and text[length:].strip():
            raise RowError(
                f"the line is {len(text)} characters, a C100 record is {length}"
            )
        business_vat = record.number("business_vat", required=True)
        number = fields["document_number"]
        if not number:
            raise RowError(f"{record.label('document_number')}: empty")
        external_id = f"{business_vat}/{int(document_type)}/{number}"
        expected = str(context.get("vat") or "")
        if expected.isdigit() and int(business_vat) != int(expected):
            raise RowError(
                f"{record.label('business_vat')}: {business_vat} is not the "
                f"business of INI.TXT ({context['vat']})"
            )
        issued_on = record.date("document_date") or record.date("issue_date")
        if not issued_on:
            raise RowError(f"{record.label('document_date')}: empty")
        cancelled = fields["cancelled"]
        if cancelled not in ("", "0", "1"):
            raise RowError(f"{record.label('cancelled')}: {cancelled!r} is not 1")
        customer_vat = record.number("customer_vat")
        if customer_vat and set(customer_vat) == {"0"}:
            customer_vat = None
        amounts = {
            "amount_untaxed": record.amount("amount_after_discount"),
            "amount_tax": record.amount("vat_amount"),
            "amount_total": record.amount("amount_including_vat", required=True),
        }
        for name in (
            "amount_before_discount",
            "document_discount",
            "withholding_amount",
            "foreign_currency_amount",
        ):
            record.amount(name)  # checked: a garbled amount is a broken record
        record.date("value_date")
        record.date("issue_date")
    except RowError as error:
        return _rejected(external_id, f"{where}: {error}", payload)
    if cancelled == "1":
        status, due = "cancelled", "0"
    elif paid:
        status, due = "paid", "0"
    else:
        status, due = "open", None  # the format has no payment state
    return {
        "external_id": external_id,
        "number": number,
        "kind": kind,
        "status": status,
        "issued_on": issued_on,
        "due_on": None,
        "currency": context.get("currency") or "ILS",
        **amounts,
        "amount_due": due,
        "customer": {
            "external_id": fields["customer_key"] or None,
            "vat": customer_vat,
            "email": None,
            "name": fields["customer_name"] or None,
        },
        "source_url": None,
        "payload": payload,
    }


def _collect_payment(
    text: str, line: int, payments: dict[str, list[dict[str, Any]]]
) -> None:
    """A D120 payment line, kept with its receipt's payload (not used for the
    totals, which C100 carries)."""
    fields = _fields(text, D120_FIELDS)
    try:
        document_type = int(fields["document_type"])
    except ValueError:
        return
    if document_type not in PAYMENT_DOCUMENT_TYPES:
        return
    key = f"{fields['business_vat']}/{document_type}/{fields['document_number']}"
    payment: dict[str, Any] = {"line": line, "method": fields["payment_method"]}
    try:
        payment["amount"] = _amount(fields["amount"] or "+0")
    except RowError:
        payment["amount_text"] = fields["amount"]
    if fields["payment_due_date"].strip("0"):
        payment["due_date"] = fields["payment_due_date"]
    payments.setdefault(key, []).append(payment)


def _collect_line(
    text: str, line: int, document_lines: dict[str, list[dict[str, Any]]]
) -> None:
    """A D110 line's record text, kept for its document (read with it)."""
    fields = _fields(text, D110_FIELDS)
    try:
        document_type = int(fields["document_type"])
    except ValueError:
        return
    if document_type not in DOCUMENT_KINDS:
        return
    key = f"{fields['business_vat']}/{document_type}/{fields['document_number']}"
    document_lines.setdefault(key, []).append({"line": line, "text": text.rstrip()})


D110_LABELS = {
    "line_number": "line number",
    "internal_catalogue_number": "internal catalogue number",
    "quantity": "quantity",
    "unit_price": "unit price",
    "line_total": "line total",
    "base_document_type": "base document type",
}
D110_INFO = {name: number for number, name, _start, _width, _kind in D110_FIELDS}


def _with_lines(row: Row, file: str) -> Row:
    """The document row with the ``lines`` of its D110 records (in its
    payload), or its rejection naming the D110 line and field."""
    lines: list[dict[str, Any]] = []
    origin: str | None = None
    for item in row["payload"]["d110"]:
        fields = _fields(item["text"], D110_FIELDS)

        def label(name: str, item: dict[str, Any] = item) -> str:
            return (
                f"{file} line {item['line']}: D110 field {D110_INFO[name]} "
                f"({D110_LABELS.get(name, name)})"
            )

        values: dict[str, str | None] = {}
        try:
            number = fields["line_number"]
            if not (number.isascii() and number.isdigit()):
                raise RowError(f"{label('line_number')}: {number!r} is not a number")
            for name, decimals in (
                ("quantity", 4),
                ("unit_price", 2),
                ("line_total", 2),
            ):
                raw = fields[name]
                if not raw:
                    values[name] = None
                    continue
                try:
                    values[name] = _amount(raw, decimals)
                except RowError as error:
                    raise RowError(f"{label(name)}: {error}") from None
            if values["unit_price"] is None and values["line_total"] is None:
                raise RowError(f"{label('unit_price')}: empty")
            base_type = fields["base_document_type"]
            if base_type and base_type.strip("0") and fields["base_document_number"]:
                if not (base_type.isascii() and base_type.isdigit()):
                    raise RowError(
                        f"{label('base_document_type')}: {base_type!r} is not a "
                        "number"
                    )
                origin = origin or (
                    f"{fields['business_vat']}/{int(base_type)}/"
                    f"{fields['base_document_number']}"
                )
        except RowError as error:
            return _rejected(row["external_id"], str(error), row["payload"])
        lines.append(
            {
                "key": str(int(number)),
                "sequence": int(number),
                "product_code": fields["internal_catalogue_number"] or None,
                "description": fields["description"] or None,
                "quantity": values["quantity"] or "1",
                "price_unit": values["unit_price"],
                "amount": values["line_total"],
            }
        )
    row = {**row, "lines": lines}
    if origin and row["kind"] == "credit_note":
        row["origin"] = origin
    return row


def _count_problems(
    ini: dict[str, Any],
    files: _ExportFiles,
    first_code: str | None,
    closing: dict[str, Any] | None,
    records: int,
    counts: dict[str, int],
    context: dict[str, Any],
) -> list[str]:
    problems: list[str] = list(ini["bad_count_lines"])
    if first_code is None:
        problems.append("the file holds no record")
    elif first_code != "A100":
        problems.append(f"the first record is {first_code!r}, not the opening A100")
    if closing is None:
        problems.append(
            "there is no closing record Z900: the file looks cut short after "
            f"{records} records"
        )
    elif not _equals(closing["total_records"], records):
        problems.append(
            f"Z900 field 1155 announces {closing['total_records']!r} records, "
            f"the file holds {records}"
        )
    total = ini["total_records"]
    if not _equals(total, records):
        problems.append(
            f"{files.ini_label} field 1002 announces {total!r} records, "
            f"the file holds {records}"
        )
    differing = [
        f"{code} {ini['counts'].get(code, 0)} announced, {counts.get(code, 0)} read"
        for code in sorted(set(ini["counts"]) | {c for c, n in counts.items() if n})
        if ini["counts"].get(code, 0) != counts.get(code, 0)
    ]
    if differing:
        problems.append(
            f"the record counts of {files.ini_label} disagree: " + ", ".join(differing)
        )
    ids = {
        "INI.TXT field 1004": ini["primary_id"],
        "A100 field 1103": context.get("primary_id"),
        "Z900 field 1153": closing["primary_id"] if closing else None,
    }
    known = {name: value for name, value in ids.items() if value}
    if len({value.lstrip("0") for value in known.values()}) > 1:
        problems.append(
            "the primary ids differ ("
            + ", ".join(f"{name} {value}" for name, value in known.items())
            + "): INI.TXT may belong to another export"
        )
    return problems


def _equals(digits: str, number: int) -> bool:
    return digits.isascii() and digits.isdigit() and int(digits) == number


def _rejected(external_id: str | None, reason: str, payload: dict[str, Any]) -> Row:
    return {"external_id": external_id, "reject_reason": reason, "payload": payload}


def _raw_payload(file: str, line: int, raw: bytes, encoding: str) -> dict[str, Any]:
    return {
        "file": file,
        "line": line,
        "record": raw[:4].decode("ascii", "replace"),
        "text": raw.decode(encoding, "replace"),
    }


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
