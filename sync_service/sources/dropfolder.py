"""Invoices from CSV or XLSX files dropped in a folder.

Files are read in name order, a page at a time; the bookmark is
``<file name>@<content digest>#<rows done>`` so a killed run resumes in the
middle of the same file, and a new file of the same name (a nightly
``export.csv``) is read as new. A page ends at ``page_size`` rows or before
the row that would make it weigh more than ``max_bytes`` as a request to Odoo
(rows carry their PDFs); a row over that alone is a rejection naming its PDF.
A file whose rows are all applied moves to the processed folder, never read
again (a run killed before the move finds the file's bookmark at its end).
An empty or header-only file moves too, with a note for the run.

Rows that cannot be read are sent as rejected rows with the reason, naming
the file and the line: bytes that are not valid in the configured encoding, a
NUL byte, a broken quote (the CSV reader is strict), a wrong number of fields,
an amount not written in the configured convention (``parse_amount``), a date
more than ``max_future_days`` ahead. A rejected row without an invoice id is
keyed on the file's digest and its line, so reading the file again updates
the same sync issue. The other rows and files still go in. A file that cannot
be read at all (not an XLSX workbook, UTF-16 text read as UTF-8, a header
without the configured columns, e.g. split on the wrong delimiter) is one
rejected row naming the file and the setting to change, and moves aside.

With ``line_columns`` configured each row is an invoice line: the rows of one
invoice id (anywhere in the file) make one invoice row with ``lines``, its
columns read from its first row, placed where that row is; pages and the
bookmark count invoices, so a page never splits one. A line without a
``key`` column is keyed on its line number in the file.

With ``lines_file`` the lines are in files of their own: an invoices file
(``lines_file.invoices``, one row per invoice, ``columns``) and its lines
file (``lines_file.name``, one row per line, ``line_columns`` and
``lines_file.invoice_column`` naming the invoice by its id or, with
``match = "number"``, its number) are read as one: the part of their names
where the patterns have ``*`` pairs them. The bookmark is the invoices
file's name with the digest of both, so a change to either reads the pair
as new; both move aside together. An invoices file waits for its lines
file (and a lines file for its invoices file) with a note for the run; a
file that matches neither name is left alone, with a note. A line naming an
invoice the invoices file does not have (or none) is a rejected row naming
the lines file, its line and the value; an invoice without lines in the
lines file goes without lines (Odoo keeps those it has); a bad value in a
line rejects its invoice naming both files' lines and the column.
"""

import base64
import codecs
import csv
import functools
import hashlib
import json
import math
import re
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..config import SourceConfig
from ..errors import ConfigError, RowError
from . import FolderSource, Page, Row, cut_rows, parse_bookmark
from .base import Bookmark

# {header: cell} of a data row of a file, or ``__error__`` (and ``__raw__``) when
# it cannot be read; an invoice's rows grouped as ``__lines__``
Record = dict[str, Any]

KIND_VALUES = {
    "invoice": "invoice",
    "credit_note": "credit_note",
    "credit note": "credit_note",
    "receipt": "receipt",
}
STATUS_VALUES = {
    "open": "open",
    "partly_paid": "partly_paid",
    "partly paid": "partly_paid",
    "paid": "paid",
    "cancelled": "cancelled",
}
MAX_PDF_BYTES = 20 * 1024 * 1024
AMOUNTS = ("amount_untaxed", "amount_tax", "amount_total", "amount_due")
# a currency written next to an amount: a symbol, or the ISO code itself
CURRENCY_MARKS = {
    "₪": "ILS",
    "ש״ח": "ILS",
    'ש"ח': "ILS",
    "NIS": "ILS",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
}
_MARKS = "|".join(re.escape(mark) for mark in CURRENCY_MARKS) + "|[A-Z]{3}"
CURRENCY_FIRST = re.compile(rf"^({_MARKS})\s*")
CURRENCY_LAST = re.compile(rf"\s*({_MARKS})$")
MINUS_SIGNS = "-\u2212"
# thousands written with a space: plain, no-break or narrow no-break
SPACE_GROUPS = " \u00a0\u202f"
# delimiters tried when the header does not have the configured columns
OTHER_DELIMITERS = (";", "\t", "|", ",")


# what surrogateescape makes of bytes that do not decode
UNDECODABLE = re.compile("[\udc80-\udcff]")


class DropFolderSource(FolderSource):
    # pages end before they outweigh ``max_bytes`` (see ``pages``)
    cuts_by_size = True

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self.suffix = ".csv" if config.kind == "csv" else ".xlsx"

    def check(self) -> None:
        """Before any run: the folder is there and the processed folder can be."""
        if not self._folder.is_dir():
            raise ConfigError(f"folder: {self._folder} does not exist")
        processed = self._processed_folder
        if processed.exists() and not processed.is_dir():
            raise ConfigError(f"processed_folder: {processed} is not a folder")

    def _files(self) -> list[Path]:
        if not self._folder.is_dir():
            raise FileNotFoundError(f"drop folder {self._folder} does not exist")
        return sorted(
            path
            for path in self._folder.iterdir()
            if path.is_file() and path.suffix.lower() == self.suffix
        )

    def _move_aside(self, path: Path) -> None:
        self._processed_folder.mkdir(parents=True, exist_ok=True)
        destination = self._processed_folder / path.name
        if destination.exists():
            destination = destination.with_name(
                f"{path.stem}.{datetime.now():%Y%m%d%H%M%S}{path.suffix}"
            )
        shutil.move(str(path), str(destination))

    def pages(
        self, bookmark: Bookmark, page_size: int, max_bytes: int | None = None
    ) -> Iterator[Page]:
        """Pages of at most ``page_size`` rows and, when given, ``max_bytes``
        bytes of rows as JSON (``row_bytes``)."""
        done_file, done_rows = parse_bookmark(bookmark, strict=True)
        after = bookmark or ""
        units, notes = self._units()
        for path, lines_path in units:
            # only the bookmark's file can have been applied already: files
            # move aside right after their last page
            paired = (lines_path,) if lines_path else ()
            file_key = f"{path.name}@{_digest(path, *paired)}"
            skip = done_rows if file_key == done_file else 0
            if isinstance(skip, str):  # "end": every row of the file applied
                self._move_all((*paired, path))
                continue
            if lines_path:
                records = self._with_lines_file(path, lines_path)
            else:
                records = list(self._records(path, self._wanted()))
                if self.config.line_columns:
                    records = self._invoices_of_lines(records)
            total = len(records)
            if total == 0 or skip >= total:
                after = f"{file_key}#end"
                yield Page(
                    rows=[],
                    bookmark=after,
                    acknowledge=functools.partial(self._move_all, (*paired, path)),
                    note=None if skip else self._empty_note(path),
                )
                continue
            rows = (
                self._normalise(path, number, record, file_key)
                for number, record in records[skip:]
            )
            start = skip
            for chunk in cut_rows(rows, page_size, max_bytes):
                end = start + len(chunk)
                page = self._page(
                    chunk, file_key, end, total, path, *paired, progress=(end, total)
                )
                after = page.bookmark
                yield page
                start = end
        for note in notes:
            yield Page(rows=[], bookmark=after, note=note)

    def _units(self) -> tuple[list[tuple[Path, Path | None]], list[str]]:
        """([(file, its lines file or None)] to read in name order, [notes on
        the files left in the folder])."""
        files = self._files()
        lines_file = self.config.lines_file
        if not lines_file:
            return [(path, None) for path in files], []
        by_stem: dict[str, Path] = {}
        invoices: list[tuple[Path, str]] = []
        notes: list[str] = []
        for path in files:
            stem = _stem(lines_file.name, path.name)
            if stem is not None:
                by_stem[stem] = path
                continue
            stem = _stem(lines_file.invoices, path.name)
            if stem is None:
                notes.append(
                    f"{path.name}: left in the folder, its name is neither an "
                    f"invoices file ({lines_file.invoices}) nor a lines file "
                    f"({lines_file.name})"
                )
                continue
            invoices.append((path, stem))
        units: list[tuple[Path, Path | None]] = []
        for path, stem in invoices:
            lines_path = by_stem.pop(stem, None)
            if lines_path is None:
                notes.append(
                    f"{path.name}: not read yet, its lines file "
                    f"{lines_file.name.replace('*', stem)} is not in the folder"
                )
                continue
            units.append((path, lines_path))
        for stem, lines_path in sorted(by_stem.items()):
            notes.append(
                f"{lines_path.name}: not read yet, its invoices file "
                f"{lines_file.invoices.replace('*', stem)} is not in the folder"
            )
        return units, notes

    def _wanted(self) -> list[str]:
        """The columns the header of a file must have."""
        lines_file = self.config.lines_file
        columns = list(self.config.columns.values())
        if not lines_file:
            columns += self.config.line_columns.values()
        return list(dict.fromkeys(columns))

    def _with_lines_file(
        self, path: Path, lines_path: Path
    ) -> list[tuple[int, Record]]:
        """The records of an invoices file, each holding its lines of the
        lines file as ``__lines__``, then the lines naming no invoice of it,
        as rejections naming the lines file."""
        lines_file = self.config.lines_file
        assert lines_file is not None  # only files of a lines_file source pair
        records = list(self._records(path, self._wanted()))
        match = self.config.columns[lines_file.match]
        by_key: defaultdict[str, list[Record]] = defaultdict(list)
        for _number, record in records:
            key = None if "__error__" in record else _text(record.get(match))
            if key:
                by_key[key].append(record)
        if not by_key and any("__error__" in record for _n, record in records):
            # an invoices file that cannot be read (its header, its
            # encoding): its rejection says it, not every line of the pair
            return records
        wanted = [*self.config.line_columns.values(), lines_file.invoice_column]
        lines_key = f"{lines_path.name}@{_digest(lines_path)}"
        orphans: list[tuple[int, Record]] = []
        for number, line in self._records(lines_path, list(dict.fromkeys(wanted))):
            error = line.get("__error__")
            if not error:
                key = _text(line.get(lines_file.invoice_column))
                if key is not None and key in by_key:
                    for record in by_key[key]:
                        record.setdefault("__lines__", []).append((number, line))
                        record["__lines_file__"] = lines_path.name
                    continue
                error = f"column {lines_file.invoice_column!r}: " + (
                    f"{key!r} is no invoice of {path.name} (column {match!r})"
                    if key
                    else "empty, the line names no invoice"
                )
            orphans.append(
                (
                    number,
                    {
                        **line,
                        "__error__": error,
                        "__file__": lines_path.name,
                        "__file_key__": lines_key,
                    },
                )
            )
        return records + orphans

    def _empty_note(self, path: Path) -> str:
        empty = " (an empty file)" if path.stat().st_size == 0 else ""
        return f"{path.name}: no invoice rows{empty}"

    def retry_row(self, payload: dict[str, Any]) -> Row | None:
        """The row of a rejected record queued for retry (after its mapping
        or its customer was fixed), from the payload kept in Odoo."""
        if not isinstance(payload, dict) or "line" not in payload:
            return None
        record = {
            key: value for key, value in payload.items() if key not in ("file", "line")
        }
        return self._normalise(
            Path(payload.get("file") or "retry"), payload["line"], record
        )

    def _records(self, path: Path, wanted: list[str]) -> Iterator[tuple[int, Record]]:
        """(line number, {header: text}) of each data row of the file, whose
        header must have the ``wanted`` columns; a row that cannot be read
        has ``__error__`` instead."""
        if self.suffix == ".csv":
            yield from self._csv_records(path, wanted)
            return
        import openpyxl  # noqa: PLC0415

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - any unreadable file
            yield 1, {"__error__": f"not a readable XLSX workbook ({error})"}
            return
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            headers = [str(h or "").strip() for h in next(rows, [])]
            problem = self._header_problem(headers, wanted)
            if problem and any(headers):
                yield 1, {"__error__": problem, "__raw__": headers}
                return
            for number, values in enumerate(rows, start=2):
                if not any(v not in (None, "") for v in values):
                    continue
                if problem:  # rows under an empty header
                    yield 1, {"__error__": problem, "__raw__": headers}
                    return
                yield (
                    number,
                    {
                        header: "" if value is None else value
                        for header, value in zip(headers, values, strict=False)
                    },
                )
        finally:
            # openpyxl closes the sheet's part of the archive at its end only
            for _unread in rows:
                pass
            workbook.close()

    def _csv_records(
        self, path: Path, wanted: list[str]
    ) -> Iterator[tuple[int, Record]]:
        wrong_encoding = self._wrong_encoding(path)
        if wrong_encoding:
            yield 1, {"__error__": wrong_encoding}
            return
        # undecodable bytes become lone surrogates, found and rejected by row
        with path.open(
            encoding=self.config.encoding, errors="surrogateescape", newline=""
        ) as handle:
            reader = csv.reader(handle, delimiter=self.config.delimiter, strict=True)
            headers: list[str] | None = None
            ended = 0
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    first, ended = ended + 1, reader.line_num
                    problem = f"not valid CSV: {error}"
                    if "end of data" in str(error):
                        problem += ", a quote is never closed"
                    if ended > first:
                        problem += f" (lines {first} to {ended} not read)"
                    yield first, {"__error__": problem, "__raw__": []}
                    if headers is None:
                        return  # without headers no row can be read
                    continue
                number, ended = ended + 1, reader.line_num
                if headers is None:
                    if not any(value.strip() for value in values):
                        continue  # blank lines before the header
                    if any(UNDECODABLE.search(h) or "\0" in h for h in values):
                        yield number, {"__error__": self._bad_text(values)}
                        return  # without headers no row can be read
                    headers = [value.strip() for value in values]
                    header_problem = self._header_problem(
                        headers, wanted, self.config.delimiter.join(values)
                    )
                    if header_problem:
                        yield number, {"__error__": header_problem, "__raw__": values}
                        return
                    continue
                if not any(value.strip() for value in values):
                    continue
                if any(UNDECODABLE.search(v) or "\0" in v for v in values):
                    yield (
                        number,
                        {"__error__": self._bad_text(values), "__raw__": values},
                    )
                    continue
                if len(values) != len(headers):
                    yield (
                        number,
                        {
                            "__error__": f"{len(values)} fields, "
                            f"{len(headers)} expected",
                            "__raw__": values,
                        },
                    )
                    continue
                yield number, dict(zip(headers, values, strict=True))

    def _invoices_of_lines(
        self, records: list[tuple[int, Record]]
    ) -> list[tuple[int, Record]]:
        """One record per invoice id, in the order of its first row, holding
        its rows as ``__lines__`` (line number, record): the invoice's
        columns are read from its first row. Unreadable rows and rows
        without an invoice id stay alone."""
        column = self.config.columns["external_id"]
        invoices: list[tuple[int, Record]] = []
        by_key: dict[str, Record] = {}
        for number, record in records:
            key = None if "__error__" in record else _text(record.get(column))
            if not key:
                invoices.append((number, record))
                continue
            if key not in by_key:
                by_key[key] = {**record, "__lines__": []}
                invoices.append((number, by_key[key]))
            by_key[key]["__lines__"].append((number, record))
        return invoices

    def _lines(self, record: Record, currency: str | None) -> list[dict[str, Any]]:
        """The invoice lines of a grouped record; RowError names the line."""
        columns = self.config.line_columns
        where = "invoice line"
        if record.get("__lines_file__"):
            where = f"{record['__lines_file__']} line"
        lines: list[dict[str, Any]] = []
        for number, line in record["__lines__"]:
            try:
                values: dict[str, Any] = {
                    "key": _text(line.get(columns.get("key", ""))) or str(number),
                    "sequence": len(lines) + 1,
                    "product_code": _text(line.get(columns.get("product_code", ""))),
                    "barcode": _text(line.get(columns.get("barcode", ""))),
                    "description": _text(line.get(columns.get("description", ""))),
                }
                for name in ("quantity", "price_unit", "amount"):
                    values[name] = self._number(
                        line,
                        columns.get(name),
                        None if name == "quantity" else currency,
                    )
            except RowError as error:
                raise RowError(f"{where} {number}: {error}") from None
            if values["quantity"] is None:
                values["quantity"] = "1"
            if values["price_unit"] is None and values["amount"] is None:
                column = columns.get("price_unit") or columns.get("amount")
                raise RowError(
                    f"{where} {number}: column {column!r}: empty, "
                    f"a price or an amount is required"
                )
            lines.append(values)
        return lines

    def _number(
        self,
        record: Record,
        column: str | None,
        currency: str | None,
        what: str = "a number",
        required: bool = False,
    ) -> str | None:
        """The number in ``column`` as text (None when empty), read per the
        file's convention; RowError names the column."""
        raw = record.get(column) if column else None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            # a number cell of a workbook: no convention to read
            if not math.isfinite(raw):
                raise RowError(f"column {column!r}: {raw!r} is not {what}")
            return str(raw)
        text = _text(raw)
        if not text:
            if required:
                raise RowError(f"column {column!r}: empty, {what} is required")
            return None
        try:
            return str(parse_amount(text, self.config.decimal_comma, currency))
        except ValueError as error:
            raise RowError(f"column {column!r}: {text!r} {error}") from None

    def _wrong_encoding(self, path: Path) -> str | None:
        """Why the file cannot be text in the configured encoding when it is
        plainly UTF-16 or UTF-32 (a byte order mark, or a NUL byte next to
        every letter of the header), with the setting to use; else None."""
        configured = codecs.lookup(self.config.encoding).name
        if configured.startswith(("utf-16", "utf-32")):
            return None
        with path.open("rb") as handle:
            head = handle.read(4096)
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            found, use, sign = "UTF-32", "utf-32", "a UTF-32 byte order mark"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            found, use, sign = "UTF-16", "utf-16", "a UTF-16 byte order mark"
        else:
            line = head.split(b"\n\0", 1)[0].split(b"\0\n", 1)[0][:200]
            even, odd = line[0::2], line[1::2]
            if len(line) < 4 or (even.count(0) and odd.count(0)):
                return None
            if odd.count(0) * 2 >= len(odd):
                use = "utf-16-le"
            elif even.count(0) * 2 >= len(even):
                use = "utf-16-be"
            else:
                return None
            found, sign = "UTF-16", "a NUL byte next to every letter of the header"
        return (
            f"the file is {found} text ({sign}), not {self.config.encoding}: "
            f'set encoding = "{use}" for this source'
        )

    def _header_problem(
        self, headers: list[str], wanted: list[str], line: str | None = None
    ) -> str | None:
        """What is wrong with a header that lacks ``wanted`` columns: the
        delimiter it seems to use instead, or the columns it has; None when
        every one is there."""
        missing = [column for column in wanted if column not in headers]
        if not missing:
            return None
        problem = "the header has no column " + ", ".join(map(repr, missing))
        for delimiter in OTHER_DELIMITERS if line is not None else ():
            if delimiter == self.config.delimiter:
                continue
            split = [
                value.strip()
                for value in next(csv.reader([str(line)], delimiter=delimiter))
            ]
            if all(column in split for column in wanted):
                return (
                    f"{problem}: the delimiter looks like {delimiter!r}, not "
                    f"{self.config.delimiter!r}: set delimiter = "
                    f"{json.dumps(delimiter)} for this source"
                )
        found = ", ".join(repr(header) for header in headers if header) or "none"
        return f"{problem} (its columns: {found})"

    def _bad_text(self, values: list[str]) -> str:
        if any("\0" in value for value in values):
            return "contains a NUL byte"
        return f"bytes that are not valid {self.config.encoding}"

    def _normalise(
        self, path: Path, number: int, record: Record, file_key: str | None = None
    ) -> Row:
        if record.get("__file__"):  # a line of a lines file, alone
            path, file_key = Path(record["__file__"]), record.get("__file_key__")
        where = f"{path.name} line {number}"
        payload = {"file": path.name, "line": number, **_jsonable(record)}
        columns = self.config.columns
        key = None
        if not record.get("__file__"):
            key = _clean(_text(record.get(columns["external_id"])))
        try:
            if "__error__" in record:
                raise RowError(record["__error__"])
            if not key:
                raise RowError(f"column {columns['external_id']!r}: empty")
            currency = (
                _text(record.get(columns.get("currency", "")))
                or self.config.default_currency
            )
            row: Row = {
                "external_id": key,
                "number": _text(record.get(columns.get("number", ""))) or key,
                "kind": self._choice(
                    record, "kind", self.config.kind_values, KIND_VALUES, "invoice"
                ),
                "status": self._choice(
                    record, "status", self.config.status_values, STATUS_VALUES, "open"
                ),
                "issued_on": self._date(record, "issued_on", required=True),
                "due_on": self._date(record, "due_on"),
                "currency": currency,
                "customer": {
                    "external_id": _text(
                        record.get(columns.get("customer_external_id", ""))
                    ),
                    "vat": _text(record.get(columns.get("customer_vat", ""))),
                    "email": _text(record.get(columns.get("customer_email", ""))),
                    "name": _text(record.get(columns.get("customer_name", ""))),
                },
                "source_url": _text(record.get(columns.get("source_url", ""))),
                "payload": payload,
            }
            for amount in AMOUNTS:
                row[amount] = self._amount(
                    record, amount, currency, required=amount == "amount_total"
                )
            if "__lines__" in record:
                row["lines"] = self._lines(record, currency)
            pdf = self._pdf(record)
            if pdf:
                row["pdf_base64"], row["pdf_name"] = pdf
            return row
        except RowError as error:
            return {
                "external_id": key,
                # without an invoice id: the same line of the same file is
                # the same record, whenever the file is read again
                "record_key": key or f"{file_key or path.name} line {number}",
                "reject_reason": f"{where}: {error}",
                "payload": payload,
            }

    def _pdf(self, record: Record) -> tuple[str, str] | None:
        """(base64, file name) of the PDF the row names, a path relative to
        the drop folder; PDFs stay where they are."""
        column = self.config.columns.get("pdf_file")
        raw = _text(record.get(column)) if column else None
        if not raw:
            return None
        folder = self._folder.resolve()
        path = (folder / raw).resolve()
        if folder not in path.parents:
            raise RowError(f"column {column!r}: {raw!r} is outside the drop folder")
        if not path.is_file():
            raise RowError(f"column {column!r}: no file {raw!r} in the drop folder")
        if path.stat().st_size > MAX_PDF_BYTES:
            raise RowError(f"column {column!r}: {raw!r} is larger than 20 MB")
        data = path.read_bytes()
        if not data.startswith(b"%PDF-"):
            raise RowError(f"column {column!r}: {raw!r} is not a PDF")
        return base64.b64encode(data).decode(), path.name

    def _choice(
        self,
        record: Record,
        name: str,
        configured: dict[str, Any],
        defaults: dict[str, str],
        default: str,
    ) -> Any:
        column = self.config.columns.get(name)
        if not column:
            return default
        raw = _text(record.get(column)) or ""
        values = {**defaults, **{k.lower(): v for k, v in configured.items()}}
        if raw.lower() not in values:
            raise RowError(f"column {column!r}: unknown {name} {raw!r}")
        return values[raw.lower()]

    def _date(self, record: Record, name: str, required: bool = False) -> str | None:
        column = self.config.columns.get(name)
        raw = record.get(column) if column else None
        if isinstance(raw, datetime | date):
            value = raw.date() if isinstance(raw, datetime) else raw
            raw = value.isoformat()
        else:
            raw = _text(raw)
            if not raw:
                if required:
                    raise RowError(f"column {column!r}: empty date")
                return None
            try:
                value = datetime.strptime(raw, self.config.date_format).date()
            except ValueError:
                raise RowError(
                    f"column {column!r}: {raw!r} is not a date "
                    f"({self.config.date_format})"
                ) from None
        days = self.config.max_future_days
        if value > date.today() + timedelta(days=days):
            raise RowError(
                f"column {column!r}: {raw!r} is more than {days} days ahead "
                f"(max_future_days)"
            )
        return value.isoformat()

    def _amount(
        self, record: Record, name: str, currency: str | None, required: bool = False
    ) -> str | None:
        column = self.config.columns.get(name)
        return self._number(record, column, currency, "an amount", required)


def parse_amount(
    text: str, decimal_comma: bool = False, currency: str | None = None
) -> Decimal:
    """The Decimal of an amount written per the file's convention, strictly:
    digits with at most one decimal separator (``.``, or ``,`` with
    ``decimal_comma``), thousands in groups of exactly three digits after a
    first group of one to three (``1,234,567.89``; or ``1.234.567,89``; or
    with spaces); a minus sign (``-`` or ``−``) or parentheses for a negative
    amount; a currency symbol or ISO code before or after it only when it is
    ``currency``. Anything else, ambiguous ``123,45`` with a decimal point
    among them, raises ValueError saying why."""
    body, negative = text.strip(), False
    if body.startswith("(") and body.endswith(")"):
        body, negative = body[1:-1].strip(), True
    body, sign = _take_sign(body)
    body, mark = _take_currency(body)
    if mark:
        code = CURRENCY_MARKS.get(mark, mark)
        if code != (currency or "").upper():
            raise ValueError(
                f"is written in {code}, the row's currency is {currency or 'not given'}"
            )
        if not sign:
            body, sign = _take_sign(body)
    if sign and negative:
        raise ValueError("has both parentheses and a sign")
    negative = negative or sign == "-"
    decimal, group = (",", ".") if decimal_comma else (".", ",")
    amount = _strict_number(body, decimal, group)
    if amount is None:
        example = "1.234,56" if decimal_comma else "1,234.56"
        reason = (
            f"is not an amount written like {example} (decimal "
            f"{'comma' if decimal_comma else 'point'}, thousands in groups of three)"
        )
        if _strict_number(body, group, decimal) is not None:
            reason += (
                f": it reads as an amount with a decimal "
                f"{'point' if decimal_comma else 'comma'}; if the file writes "
                f"amounts so, set decimal_comma = {str(not decimal_comma).lower()}"
            )
        raise ValueError(reason)
    return -amount if negative else amount


def _take_sign(body: str) -> tuple[str, str | None]:
    if body[:1] in MINUS_SIGNS:
        return body[1:].strip(), "-"
    if body[:1] == "+":
        return body[1:].strip(), "+"
    return body, None


def _take_currency(body: str) -> tuple[str, str | None]:
    """(the rest, the currency mark) of an amount written with a currency
    symbol or code first or last."""
    found = CURRENCY_FIRST.search(body) or CURRENCY_LAST.search(body)
    if not found:
        return body, None
    return (body[: found.start()] + body[found.end() :]).strip(), found.group(1)


def _strict_number(body: str, decimal: str, group: str) -> Decimal | None:
    """Decimal of ``body`` when it is written with exactly these separators,
    else None."""
    integer, separator, fraction = body.partition(decimal)
    if separator and not re.fullmatch("[0-9]+", fraction):
        return None
    groups = re.split(f"[{re.escape(group)}{SPACE_GROUPS}]", integer)
    if len(groups) > 1:
        separators = {char for char in integer if char not in "0123456789"}
        if len(separators) != 1 or not re.fullmatch("[1-9][0-9]{0,2}", groups[0]):
            return None
        if not all(re.fullmatch("[0-9]{3}", part) for part in groups[1:]):
            return None
    elif not re.fullmatch("[0-9]+", integer):
        return None
    try:
        return Decimal("".join(groups) + ("." + fraction if separator else ""))
    except InvalidOperation:
        return None


def _digest(path: Path, *others: Path) -> str:
    digest = hashlib.sha256()
    for each in (path, *others):
        with each.open("rb") as handle:
            for block in iter(functools.partial(handle.read, 1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _stem(pattern: str, name: str) -> str | None:
    """What the ``*`` of ``pattern`` stands for in ``name`` ("" for a
    pattern without one), None when the name does not match it."""
    head, star, tail = pattern.partition("*")
    if not star:
        return "" if name.lower() == pattern.lower() else None
    found = re.fullmatch(
        f"{re.escape(head)}(.*){re.escape(tail)}", name, flags=re.IGNORECASE
    )
    return found.group(1) if found else None


def _text(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _jsonable(record: Record) -> dict[str, Any]:
    return {_clean(k): _clean(v) for k, v in record.items()}


def _clean(value: Any) -> Any:
    """A value Odoo can store: no lone surrogates (undecodable bytes), no NUL."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        return UNDECODABLE.sub("\ufffd", value).replace("\0", "\ufffd")
    return value
