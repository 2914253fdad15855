"""A writer of exports in the Israeli uniform file format (מבנה אחיד 1.31)
for the tests and the benchmark: INI.TXT and BKMVDATA.TXT as a certified
bookkeeping program writes them, under OPENFRMT/<VAT 8 digits>.<YY>/<MMDDhhmm>/.

Written from the spec's record tables (INI.TXT: A000 fields 1000-1035, count
lines 1050-1051; BKMVDATA.TXT: A100 1100-1105, C100 1200-1235, D110
1250-1275, D120 1300-1324, Z900 1150-1156), field by field in order, each
record checked against the record length of 2.5; it shares no code with the
reader.
Numeric fields are right-aligned and zero-filled, text left-aligned and
space-filled, amounts X9(n)V99 a sign then digits with 2 implied decimals
(quantities X9(12)V9999, 4), dates YYYYMMDD, every record ends in CR LF.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

ENCODINGS = {1: "iso8859_8", 2: "cp862"}
LENGTHS = {
    "A000": 466,
    "COUNT": 19,
    "A100": 95,
    "C100": 444,
    "D110": 339,
    "D120": 222,
    "Z900": 110,
}
CONSTANT = "&OF1.31&"


@dataclass
class Line:
    description: str
    quantity: Decimal = Decimal("1")
    unit_price: Decimal = Decimal("0")
    vat_rate: Decimal = Decimal("18")
    code: str = ""  # 1259, SKU-<line number> when empty


@dataclass
class Payment:
    amount: Decimal
    method: int = 1  # 1 cash, 2 cheque, 3 credit card, 4 bank transfer ...
    due_date: str = ""


@dataclass
class Document:
    doc_type: int
    number: str
    date: str  # YYYYMMDD, the document date (1230)
    total: Decimal
    vat: Decimal = Decimal("0")
    customer_name: str = ""
    customer_vat: str = ""
    customer_key: str = ""
    discount: Decimal = Decimal("0")
    withholding: Decimal = Decimal("0")
    cancelled: bool = False
    value_date: str = ""
    issue_date: str = ""  # 1205, the document date when empty
    customer_city: str = ""
    foreign_amount: Decimal | None = None
    currency_code: str = ""
    base_type: int = 0  # 1256/1257 on each line: the credited document
    base_number: str = ""
    lines: list = field(default_factory=list)
    payments: list = field(default_factory=list)

    @property
    def untaxed(self):
        return self.total - self.vat


def text(value, width):
    return str(value or "")[:width].ljust(width)


def digits(value, width):
    value = str(value or "").strip() or "0"
    assert value.isdigit() and len(value) <= width, (value, width)
    return value.zfill(width)


def amount(value, width, decimals=2):
    """X9(n)V99: the sign, then width - 1 digits."""
    if value is None:
        return " " * width
    scaled = int((Decimal(value) * 10**decimals).to_integral_value())
    body = str(abs(scaled)).zfill(width - 1)
    assert len(body) == width - 1, (value, width)
    return ("-" if scaled < 0 else "+") + body


def day(value):
    return digits(value, 8) if value else "00000000"


def record(code, *parts):
    line = "".join(parts)
    assert len(line) == LENGTHS[code], (code, len(line))
    return line


def _opening_fields(code, number, vat, primary_id):
    """The fields the opening A100 and the closing Z900 start with."""
    return (
        text(code, 4),
        digits(number, 9),
        digits(vat, 9),
        digits(primary_id, 15),
        text(CONSTANT, 8),
    )


def a100(number, vat, primary_id):
    return record(
        "A100", *_opening_fields("A100", number, vat, primary_id), text("", 50)
    )


def z900(number, vat, primary_id, total):
    fields = _opening_fields("Z900", number, vat, primary_id)
    return record("Z900", *fields, digits(total, 15), text("", 50))


def c100(number, vat, doc, link):
    return record(
        "C100",
        text("C100", 4),  # 1200
        digits(number, 9),  # 1201
        digits(vat, 9),  # 1202
        digits(doc.doc_type, 3),  # 1203
        text(doc.number, 20),  # 1204
        day(doc.issue_date or doc.date),  # 1205
        "1030",  # 1206
        text(doc.customer_name, 50),  # 1207
        text("הרצל", 50),  # 1208 street
        text("12", 10),  # 1209
        text(doc.customer_city, 30),  # 1210
        text("6100000", 8),  # 1211
        text("ישראל", 30),  # 1212
        text("IL", 2),  # 1213
        text("03-5550101", 15),  # 1214
        digits(doc.customer_vat, 9),  # 1215
        day(doc.value_date),  # 1216
        amount(doc.foreign_amount, 15),  # 1217
        text(doc.currency_code, 3),  # 1218
        amount(doc.untaxed + doc.discount, 15),  # 1219
        amount(-doc.discount, 15),  # 1220, a reduction: negative
        amount(doc.untaxed, 15),  # 1221
        amount(doc.vat, 15),  # 1222
        amount(doc.total, 15),  # 1223
        amount(doc.withholding, 12),  # 1224
        text(doc.customer_key, 15),  # 1225
        text("", 10),  # 1226
        "1" if doc.cancelled else " ",  # 1228
        day(doc.date),  # 1230
        text("", 7),  # 1231
        text("clerk", 9),  # 1233
        digits(link, 7),  # 1234
        text("", 13),  # 1235
    )


def _line_fields(code, number, vat, doc, line_number):
    """The fields a line of a document (D110, D120) starts with."""
    return (
        text(code, 4),
        digits(number, 9),
        digits(vat, 9),
        digits(doc.doc_type, 3),
        text(doc.number, 20),
        digits(line_number, 4),
    )


def d110(number, vat, doc, line_number, line, link):
    total = line.quantity * line.unit_price
    return record(
        "D110",
        *_line_fields("D110", number, vat, doc, line_number),
        digits(doc.base_type, 3),
        text(doc.base_number, 20),
        "1",
        text(line.code or f"SKU-{line_number}", 20),
        text(line.description, 30),
        text("", 50),
        text("", 30),
        text("יחידה", 20),
        amount(line.quantity, 17, decimals=4),
        amount(line.unit_price, 15),
        amount(0, 15),
        amount(total, 15),
        digits(int(line.vat_rate * 100), 4),
        text("", 7),
        day(doc.date),
        digits(link, 7),
        text("", 7),
        text("", 21),
    )


def d120(number, vat, doc, line_number, payment, link):
    return record(
        "D120",
        *_line_fields("D120", number, vat, doc, line_number),
        digits(payment.method, 1),
        digits(12 if payment.method == 2 else 0, 10),
        digits(600 if payment.method == 2 else 0, 10),
        digits(123456 if payment.method == 2 else 0, 15),
        digits(1001 if payment.method == 2 else 0, 10),
        day(payment.due_date),
        amount(payment.amount, 15),
        digits(0, 1),
        text("", 20),
        digits(0, 1),
        text("", 7),
        day(doc.date),
        digits(link, 7),
        text("", 60),
    )


def bkmvdata_records(documents, vat, primary_id):
    """The records of BKMVDATA.TXT, A100 to Z900, numbered in order."""
    records = [a100(1, vat, primary_id)]
    for link, doc in enumerate(documents, start=1):
        records.append(c100(len(records) + 1, vat, doc, link))
        for number, line in enumerate(doc.lines, start=1):
            records.append(d110(len(records) + 1, vat, doc, number, line, link))
        for number, payment in enumerate(doc.payments, start=1):
            records.append(d120(len(records) + 1, vat, doc, number, payment, link))
    records.append(z900(len(records) + 1, vat, primary_id, len(records) + 1))
    return records


def ini_records(records, vat, primary_id, charset, when, business_name, currency):
    counts = {}
    for line in records:
        counts[line[:4]] = counts.get(line[:4], 0) + 1
    header = record(
        "A000",
        text("A000", 4),  # 1000
        text("", 5),  # 1001
        digits(len(records), 15),  # 1002
        digits(vat, 9),  # 1003
        digits(primary_id, 15),  # 1004
        text(CONSTANT, 8),  # 1005
        digits(12345678, 8),  # 1006
        text("TestBooks", 20),  # 1007
        text("7.2", 20),  # 1008
        digits("513999999", 9),  # 1009
        text("Test Software Ltd", 20),  # 1010
        "2",  # 1011 multi-year
        text(f"C:\\OPENFRMT\\{vat[:8]}.{when:%y}\\{when:%m%d%H%M}", 50),  # 1012
        "2",  # 1013 double entry
        "1",  # 1014
        digits(vat, 9),  # 1015
        digits(0, 9),  # 1016
        text("", 10),  # 1017
        text(business_name, 50),  # 1018
        text("רוטשילד", 50),  # 1019
        text("1", 10),  # 1020
        text("תל אביב", 30),  # 1021
        text("6688101", 8),  # 1022
        digits(0, 4),  # 1023
        f"{when.year}0101",  # 1024
        f"{when:%Y%m%d}",  # 1025
        f"{when:%Y%m%d}",  # 1026
        f"{when:%H%M}",  # 1027
        "0",  # 1028 Hebrew
        str(charset),  # 1029
        text("zip", 20),  # 1030
        text(currency, 3),  # 1032
        "0",  # 1034
        text("", 46),  # 1035
    )
    order = ("A100", "B100", "B110", "C100", "D110", "D120", "M100", "Z900")
    return [header] + [
        record("COUNT", text(code, 4), digits(counts[code], 15))
        for code in order
        if counts.get(code)
    ]


def encode(records, charset=1):
    return "".join(line + "\r\n" for line in records).encode(ENCODINGS[charset])


def write_export(
    folder,
    documents,
    *,
    vat="514000000",
    charset=1,
    primary_id=100000000000042,
    when=datetime(2026, 11, 30, 12, 0),
    business_name='חברת הבדיקות בע"מ',
    currency="ILS",
):
    """Write one export under ``folder``; the path of its directory."""
    directory = Path(folder) / "OPENFRMT" / f"{vat[:8]}.{when:%y}" / f"{when:%m%d%H%M}"
    directory.mkdir(parents=True, exist_ok=True)
    records = bkmvdata_records(documents, vat, primary_id)
    ini = ini_records(records, vat, primary_id, charset, when, business_name, currency)
    (directory / "INI.TXT").write_bytes(encode(ini, charset))
    (directory / "BKMVDATA.TXT").write_bytes(encode(records, charset))
    return directory
