"""Office files of all customers: CSV (UTF-8 with a BOM, so Excel shows
Hebrew), XLSX, or one vCard bundle; written to a temporary file, then
renamed, so a reader never sees half a file. A new file is readable by all
(0644 under the usual umask 022: a share or a web server serves it); a file
written again keeps its mode.

A customer's text never becomes a formula: in the CSV a cell starting with
``=``, ``@``, a tab or a CR, or with ``+`` or ``-`` when it is not a number
(``-12.5``) or a phone number (``+972-3-1234567``), gets a leading apostrophe
(Excel and LibreOffice would otherwise run ``=HYPERLINK(...)`` typed into a
customer's name); in the XLSX every cell is written as text.
"""

import csv
import io
import os
import re
import stat
import tempfile
from pathlib import Path

from ..config import TargetConfig
from .base import Changes, Customer, Result
from .vcard import to_vcard

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# data, not a formula, although it starts with + or -
NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
PHONE = re.compile(r"\+(?=(\D*\d){7})\d[\d ()./-]*\d")
COLUMNS = (
    ("name", "Name"),
    ("company_name", "Company"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("mobile", "Mobile"),
    ("street", "Street"),
    ("city", "City"),
    ("zip", "ZIP"),
    ("country", "Country"),
    ("vat", "Tax ID"),
    ("website", "Website"),
)


class FileTarget:
    """Needs every customer, not only the changed ones: pushed with a full
    refresh, written once at the end of the run."""

    full_refresh = True

    def __init__(self, config: TargetConfig) -> None:
        self.config = config
        self.customers: dict[int, Customer] = {}

    def check(self) -> None:
        """Before any run: the path can be a file."""
        from ..errors import ConfigError  # noqa: PLC0415

        path = self._path()
        if path.is_dir():
            raise ConfigError(f"path: {path} is a folder, not a file")
        folder = next((p for p in path.parents if p.exists()), None)
        if folder is not None and not folder.is_dir():
            raise ConfigError(f"path: {folder} is not a folder")

    def _path(self) -> Path:
        assert self.config.path is not None  # a file target's is required
        return self.config.path

    def apply(self, changes: Changes) -> list[Result]:
        results: list[Result] = []
        for customer in changes["upserts"]:
            self.customers[customer["partner_id"]] = customer
            results.append(
                {
                    "partner_id": customer["partner_id"],
                    "external_id": customer["uid"],
                    "href": str(self.config.path),
                    "etag": False,
                    "content_hash": customer["content_hash"],
                }
            )
        results += [
            {"binding_id": b["binding_id"], "deleted": True} for b in changes["deletes"]
        ]
        return results

    def _content(self) -> bytes:
        customers = sorted(
            self.customers.values(), key=lambda c: (c["name"] or "").lower()
        )
        if self.config.kind == "vcard_file":
            return "".join(to_vcard(c) for c in customers).encode()
        rows = [[label for _key, label in COLUMNS]] + [
            ["" if not c.get(key) else str(c[key]) for key, _label in COLUMNS]
            for c in customers
        ]
        if self.config.kind == "csv_file":
            buffer = io.StringIO()
            csv.writer(buffer).writerows(
                [[_no_formula(cell) for cell in row] for row in rows]
            )
            return buffer.getvalue().encode("utf-8-sig")
        import openpyxl  # noqa: PLC0415

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Customers"
        for row in rows:
            sheet.append(row)
        for cells in sheet.iter_rows():
            for cell in cells:
                cell.data_type = "s"  # "=..." is text here, not a formula
        workbook_buffer = io.BytesIO()
        workbook.save(workbook_buffer)
        return workbook_buffer.getvalue()

    def finish(self) -> None:
        path = self._path()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}."
        )
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(self._content())
            # mkstemp makes 0600, for no one else to read
            os.chmod(temporary, _mode_for(path))
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def probe(self) -> str:
        """For ``crm-sync status``: a file can be written in the folder."""
        folder = next(p for p in self._path().parents if p.exists())
        try:
            descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".crm-sync.")
        except OSError as error:
            raise OSError(f"path: cannot write in {folder}: {error.strerror}") from None
        os.close(descriptor)
        os.unlink(temporary)
        return f"{folder} is writable"


def _mode_for(path: Path) -> int:
    """The mode of the file at ``path`` if there is one, else 0666 less the
    umask (0644 usually)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _no_formula(text: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if not text.startswith(FORMULA_STARTS):
        return text
    if text[0] in "+-" and (NUMBER.fullmatch(text) or PHONE.fullmatch(text)):
        return text
    return "'" + text
