"""Office files of all customers: CSV (UTF-8 with a BOM, so Excel shows
Hebrew), XLSX, or one vCard bundle; written to a temporary file, then
renamed, so a reader never sees half a file."""

import csv
import io
import os
import tempfile

from .vcard import to_vcard

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

    def __init__(self, config):
        self.config = config
        self.customers = {}

    def apply(self, changes):
        results = []
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

    def _content(self):
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
            csv.writer(buffer).writerows(rows)
            return buffer.getvalue().encode("utf-8-sig")
        import openpyxl  # noqa: PLC0415

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Customers"
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def finish(self):
        path = self.config.path
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}."
        )
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(self._content())
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
