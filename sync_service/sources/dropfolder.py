"""Invoices from CSV or XLSX files dropped in a folder.

Files are read in name order, a page at a time; the bookmark is
``<file name>@<content digest>#<rows done>`` so a killed run resumes in the
middle of the same file, and a new file of the same name (a nightly
``export.csv``) is read as new.
A file whose rows are all applied moves to the processed folder, never read
again (a run killed before the move finds the file's bookmark at its end).
Rows that cannot be read are sent as rejected rows with the reason, naming
the file and the line: bytes that are not valid in the configured encoding, a
NUL byte, a broken quote (the CSV reader is strict), a wrong number of fields.
The other rows and files still go in. A file that cannot be read at all (not
an XLSX workbook) is one rejected row naming the file, and moves aside.
"""

import base64
import csv
import hashlib
import re
import shutil
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..config import ConfigError
from . import Page

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


# what surrogateescape makes of bytes that do not decode
UNDECODABLE = re.compile("[\udc80-\udcff]")


class RowError(ValueError):
    pass


class DropFolderSource:
    def __init__(self, config):
        self.config = config
        self.suffix = ".csv" if config.kind == "csv" else ".xlsx"

    def check(self):
        """Before any run: the folder is there and the processed folder can be."""
        if not self.config.folder.is_dir():
            raise ConfigError(f"folder: {self.config.folder} does not exist")
        processed = self.config.processed_folder
        if processed.exists() and not processed.is_dir():
            raise ConfigError(f"processed_folder: {processed} is not a folder")

    def _files(self):
        if not self.config.folder.is_dir():
            raise FileNotFoundError(f"drop folder {self.config.folder} does not exist")
        return sorted(
            path
            for path in self.config.folder.iterdir()
            if path.is_file() and path.suffix.lower() == self.suffix
        )

    def _move_aside(self, path):
        self.config.processed_folder.mkdir(parents=True, exist_ok=True)
        destination = self.config.processed_folder / path.name
        if destination.exists():
            destination = destination.with_name(
                f"{path.stem}.{datetime.now():%Y%m%d%H%M%S}{path.suffix}"
            )
        shutil.move(str(path), str(destination))

    def pages(self, bookmark, page_size):
        done_file, done_rows = _parse_bookmark(bookmark)
        for path in self._files():
            # only the bookmark's file can have been applied already: files
            # move aside right after their last page
            file_key = f"{path.name}@{_digest(path)}"
            skip = done_rows if file_key == done_file else 0
            records = list(self._records(path))
            if skip == "end":
                self._move_aside(path)
                continue
            total = len(records)
            for start in range(skip, total, page_size):
                chunk = records[start : start + page_size]
                end = start + len(chunk)
                last = end >= total
                yield Page(
                    rows=[
                        self._normalise(path, number, record)
                        for number, record in chunk
                    ],
                    bookmark=f"{file_key}#{'end' if last else end}",
                    acknowledge=(lambda p=path: self._move_aside(p))
                    if last
                    else (lambda: None),
                    progress=(end, total),
                )
            if total == 0 or skip >= total:
                yield Page(
                    rows=[],
                    bookmark=f"{file_key}#end",
                    acknowledge=lambda p=path: self._move_aside(p),
                )

    def retry_row(self, payload):
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

    def _records(self, path):
        """(line number, {header: text}) of each data row of the file; a row
        that cannot be read has ``__error__`` instead."""
        if self.suffix == ".csv":
            yield from self._csv_records(path)
            return
        import openpyxl  # noqa: PLC0415

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # noqa: BLE001 - any unreadable file
            yield 1, {"__error__": f"not a readable XLSX workbook ({error})"}
            return
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            headers = [str(h or "").strip() for h in next(rows, [])]
            for number, values in enumerate(rows, start=2):
                if not any(v not in (None, "") for v in values):
                    continue
                yield (
                    number,
                    {
                        header: "" if value is None else value
                        for header, value in zip(headers, values, strict=False)
                    },
                )
        finally:
            workbook.close()

    def _csv_records(self, path):
        # undecodable bytes become lone surrogates, found and rejected by row
        with path.open(
            encoding=self.config.encoding, errors="surrogateescape", newline=""
        ) as handle:
            reader = csv.reader(handle, delimiter=self.config.delimiter, strict=True)
            headers, ended = None, 0
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
                    headers = values
                    if any(UNDECODABLE.search(h) or "\0" in h for h in headers):
                        yield number, {"__error__": self._bad_text(headers)}
                        return  # without headers no row can be read
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

    def _bad_text(self, values):
        if any("\0" in value for value in values):
            return "contains a NUL byte"
        return f"bytes that are not valid {self.config.encoding}"

    def _normalise(self, path, number, record):
        where = f"{path.name} line {number}"
        payload = {"file": path.name, "line": number, **_jsonable(record)}
        columns = self.config.columns
        key = _clean(_text(record.get(columns["external_id"])))
        try:
            if "__error__" in record:
                raise RowError(record["__error__"])
            row = {
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
                "currency": _text(record.get(columns.get("currency", "")))
                or self.config.default_currency,
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
                row[amount] = self._amount(record, amount)
            pdf = self._pdf(record)
            if pdf:
                row["pdf_base64"], row["pdf_name"] = pdf
            if not key:
                raise RowError(f"column {columns['external_id']!r}: empty")
            return row
        except RowError as error:
            return {
                "external_id": key,
                "reject_reason": f"{where}: {error}",
                "payload": payload,
            }

    def _pdf(self, record):
        """(base64, file name) of the PDF the row names, a path relative to
        the drop folder; PDFs stay where they are."""
        column = self.config.columns.get("pdf_file")
        raw = _text(record.get(column)) if column else None
        if not raw:
            return None
        folder = self.config.folder.resolve()
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

    def _choice(self, record, name, configured, defaults, default):
        column = self.config.columns.get(name)
        if not column:
            return default
        raw = _text(record.get(column)) or ""
        values = {**defaults, **{k.lower(): v for k, v in configured.items()}}
        if raw.lower() not in values:
            raise RowError(f"column {column!r}: unknown {name} {raw!r}")
        return values[raw.lower()]

    def _date(self, record, name, required=False):
        column = self.config.columns.get(name)
        raw = record.get(column) if column else None
        if isinstance(raw, datetime):
            return raw.date().isoformat()
        raw = _text(raw)
        if not raw:
            if required:
                raise RowError(f"column {column!r}: empty date")
            return None
        try:
            return datetime.strptime(raw, self.config.date_format).date().isoformat()
        except ValueError:
            raise RowError(
                f"column {column!r}: {raw!r} is not a date ({self.config.date_format})"
            ) from None

    def _amount(self, record, name):
        column = self.config.columns.get(name)
        raw = record.get(column) if column else None
        if isinstance(raw, int | float):
            return str(raw)
        raw = _text(raw)
        if not raw:
            return None
        text = raw.replace(" ", "").replace("\u00a0", "")
        if self.config.decimal_comma:
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            return str(Decimal(text))
        except InvalidOperation:
            raise RowError(f"column {column!r}: {raw!r} is not an amount") from None


def _digest(path):
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _parse_bookmark(bookmark):
    if not bookmark or "#" not in bookmark:
        return None, 0
    name, _sep, done = bookmark.rpartition("#")
    return name, "end" if done == "end" else int(done or 0)


def _text(value):
    if value is None:
        return None
    return str(value).strip() or None


def _jsonable(record):
    return {_clean(k): _clean(v) for k, v in record.items()}


def _clean(value):
    """A value Odoo can store: no lone surrogates (undecodable bytes), no NUL."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        return UNDECODABLE.sub("\ufffd", value).replace("\0", "\ufffd")
    return value
