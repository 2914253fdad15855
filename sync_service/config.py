"""The sync configuration: one TOML file, validated at start.

Errors name the key (``targets[1].url: missing``). Secrets come from the
environment (``{env = "NAME"}``) or a file (``{file = "path"}``, relative to
the configuration file's folder) and never print. A plain string is accepted
too, with a warning in ``Config.warnings`` (the command prints it): the file is
then as secret as the secret, and is easily shared or committed by mistake.

Ranges: ``timeout`` (seconds) more than 0 and at most 600, ``max_retries``
0 to 10, ``odoo.page_size`` 1 to 5000, ``odoo.max_page_bytes`` 64 KiB to
Odoo's own limit on a request (128 MiB in Odoo 18), a file source's
``max_future_days`` 0 to 36500.
"""

import codecs
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError


class Secret:
    """A secret value whose repr and str never show it."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


ODOO_PROTOCOLS = ("jsonrpc", "xmlrpc")
SOURCE_KINDS = ("csv", "xlsx", "morning", "tryton", "uniform")
TARGET_KINDS = ("carddav", "webhook", "csv_file", "xlsx_file", "vcard_file")
# Odoo 18 refuses a request body over 128 MiB (odoo/http.py,
# DEFAULT_MAX_CONTENT_LENGTH) with HTTP 413; a page stays well under it, and
# under what a proxy in front of Odoo may allow
ODOO_MAX_CONTENT_LENGTH = 128 * 1024 * 1024
DEFAULT_MAX_PAGE_BYTES = 32 * 1024 * 1024
MIN_PAGE_BYTES = 64 * 1024

# what a target may receive of a customer (Odoo checks the same list); its
# name always goes, the internal notes (comment) only when a target names them
PUSHABLE_FIELDS = (
    "name",
    "is_company",
    "company_name",
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "city",
    "zip",
    "state",
    "country",
    "country_code",
    "vat",
    "website",
    "lang",
    "comment",
)
DEFAULT_PUSH_FIELDS = tuple(name for name in PUSHABLE_FIELDS if name != "comment")
INVOICE_COLUMNS = (
    "external_id",
    "number",
    "kind",
    "issued_on",
    "due_on",
    "currency",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_due",
    "status",
    "customer_external_id",
    "customer_vat",
    "customer_email",
    "customer_name",
    "source_url",
    "pdf_file",
)
# an invoice's lines in a drop file: one row per line, the invoice's columns
# repeated on each (the rows of one invoice id make one invoice)
LINE_COLUMNS = (
    "key",
    "product_code",
    "barcode",
    "description",
    "quantity",
    "price_unit",
    "amount",
)


# the invoice column a separate lines file names each line's invoice by
LINES_FILE_MATCHES = ("external_id", "number")


@dataclass
class LinesFileConfig:
    """A drop folder's invoice lines in files of their own, next to the
    invoices files: ``name`` and ``invoices`` are file names where one ``*``
    stands for the part a lines file shares with its invoices file."""

    name: str
    invoices: str
    # the lines file's column naming the invoice of each line
    invoice_column: str
    # which invoice column that value is: its id or its number
    match: str = "external_id"


@dataclass
class OdooConfig:
    url: str
    db: str
    login: str
    api_key: Secret
    timeout: float = 60.0
    page_size: int = 500
    max_retries: int = 3
    # the most one page of rows may weigh as a request to Odoo (JSON bytes)
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
    # how the service speaks to Odoo: JSON-RPC (/jsonrpc) or XML-RPC (/xmlrpc/2)
    protocol: str = "jsonrpc"


@dataclass
class SourceConfig:
    name: str
    kind: str
    folder: Path | None = None
    processed_folder: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)
    line_columns: dict[str, str] = field(default_factory=dict)
    lines_file: LinesFileConfig | None = None
    date_format: str = "%Y-%m-%d"
    decimal_comma: bool = False
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    default_currency: str | None = None
    kind_values: dict[str, Any] = field(default_factory=dict)
    status_values: dict[str, Any] = field(default_factory=dict)
    # a date later than this many days from today is a mistake (9999-12-31)
    max_future_days: int = 365
    # morning
    url: str | None = None
    api_id: str | None = None
    api_secret: Secret | None = None
    start_date: date | None = None
    overlap_days: int = 7
    page_size: int = 100
    timeout: float = 30.0
    max_retries: int = 4
    # tryton (url, start_date, page_size, timeout, max_retries as above)
    database: str | None = None
    username: str | None = None
    password: Secret | None = None
    overlap_minutes: int = 10


@dataclass
class TargetConfig:
    name: str
    kind: str
    url: str | None = None
    username: str | None = None
    password: Secret | None = None
    secret: Secret | None = None
    path: Path | None = None
    timeout: float = 30.0
    max_retries: int = 4
    # the customer fields pushed (contact data unless the configuration
    # names others)
    fields: tuple[str, ...] = DEFAULT_PUSH_FIELDS


@dataclass
class Config:
    odoo: OdooConfig
    sources: list[SourceConfig]
    targets: list[TargetConfig]
    lock_file: Path
    path: Path
    # what is allowed but unwise, e.g. a secret written in the file
    warnings: list[str] = field(default_factory=list)

    def source(self, name: str) -> SourceConfig:
        return _named(self.sources, name, "sources")

    def target(self, name: str) -> TargetConfig:
        return _named(self.targets, name, "targets")


_Named = TypeVar("_Named", SourceConfig, TargetConfig)


def _named(items: list[_Named], name: str, section: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise ConfigError(f"{section}: no entry named {name!r}")


class _Reader:
    """Reads one table of the TOML file, remembering the key path."""

    def __init__(
        self,
        table: object,
        where: str,
        base_dir: Path | None,
        warnings: list[str] | None = None,
    ) -> None:
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table")
        self.table = dict(table)
        self.where = where
        self.base_dir = base_dir
        self.warnings = [] if warnings is None else warnings

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def get(
        self,
        name: str,
        kind: type[Any] = str,
        default: Any = ...,
        choices: Sequence[str] | None = None,
    ) -> Any:
        if name not in self.table:
            if default is ...:
                raise ConfigError(f"{self.key(name)}: missing")
            return default
        value = self.table.pop(name)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                f"{self.key(name)}: expected {kind.__name__}, "
                f"got {type(value).__name__}"
            )
        if kind is str and not value.strip():
            raise ConfigError(f"{self.key(name)}: empty")
        if choices and value not in choices:
            raise ConfigError(
                f"{self.key(name)}: {value!r} is not one of {', '.join(choices)}"
            )
        return value

    def path(self, name: str, default: Any = ...) -> Any:
        value = self.get(name, str, None if default is not ... else ...)
        if value is None:
            return default
        path = Path(os.path.expandvars(value)).expanduser()
        if path.is_absolute():
            return path
        # only the readers of the file's own tables read paths, and they have a base
        assert self.base_dir is not None
        return self.base_dir / path

    def secret(self, name: str, default: Any = ...) -> Any:
        if name not in self.table:
            if default is ...:
                raise ConfigError(f"{self.key(name)}: missing")
            return default
        value = self.table.pop(name)
        if isinstance(value, str) and value:
            self.warnings.append(
                f"{self.key(name)}: a secret written in the configuration file; "
                f'prefer {{env = "NAME"}} or {{file = "path"}}'
            )
            return Secret(value)
        if isinstance(value, dict) and set(value) == {"env"}:
            if not os.environ.get(value["env"]):
                raise ConfigError(
                    f"{self.key(name)}: environment variable {value['env']} is not set"
                )
            return Secret(os.environ[value["env"]])
        if isinstance(value, dict) and set(value) == {"file"}:
            if not isinstance(value["file"], str) or not value["file"].strip():
                raise ConfigError(f"{self.key(name)}.file: expected a path")
            path = Path(os.path.expandvars(value["file"])).expanduser()
            if not path.is_absolute() and self.base_dir is not None:
                path = self.base_dir / path
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ConfigError(
                    f"{self.key(name)}: cannot read secret file {path}: "
                    f"{error.strerror}"
                ) from None
            except UnicodeDecodeError:
                raise ConfigError(
                    f"{self.key(name)}: secret file {path} is not UTF-8 text"
                ) from None
            if not text:
                raise ConfigError(f"{self.key(name)}: secret file {path} is empty")
            return Secret(text)
        raise ConfigError(
            f'{self.key(name)}: expected a string, {{env = "NAME"}} or '
            f'{{file = "/path"}}'
        )

    def child(self, name: str) -> "_Reader":
        """The reader of the sub-table ``name``."""
        return _Reader(self.get(name, dict), self.key(name), None, self.warnings)

    def done(self) -> None:
        if self.table:
            unknown = ", ".join(self.key(name) for name in sorted(self.table))
            raise ConfigError(f"{unknown}: unknown key")


def load(path: str | os.PathLike[str]) -> Config:
    """The validated configuration of the TOML file at ``path``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    base = path.resolve().parent
    warnings: list[str] = []
    root = _Reader(data, "", base, warnings)
    odoo = _Reader(root.get("odoo", dict), "odoo", base, warnings)
    odoo_config = OdooConfig(
        url=odoo.get("url").rstrip("/"),
        db=odoo.get("db"),
        login=odoo.get("login"),
        api_key=odoo.secret("api_key"),
        timeout=odoo.get("timeout", float, 60.0),
        page_size=odoo.get("page_size", int, 500),
        max_retries=odoo.get("max_retries", int, 3),
        max_page_bytes=odoo.get("max_page_bytes", int, DEFAULT_MAX_PAGE_BYTES),
        protocol=odoo.get("protocol", str, "jsonrpc", choices=ODOO_PROTOCOLS),
    )
    _check_url(odoo, odoo_config.url)
    if not 1 <= odoo_config.page_size <= 5000:
        raise ConfigError("odoo.page_size: must be between 1 and 5000")
    if not MIN_PAGE_BYTES <= odoo_config.max_page_bytes <= ODOO_MAX_CONTENT_LENGTH:
        raise ConfigError(
            f"odoo.max_page_bytes: must be between {MIN_PAGE_BYTES} and "
            f"{ODOO_MAX_CONTENT_LENGTH} (Odoo's limit on a request)"
        )
    _check_ranges(odoo, odoo_config)
    odoo.done()
    sources = [
        _source(_Reader(table, f"sources[{index}]", base, warnings))
        for index, table in enumerate(root.get("sources", list, []))
    ]
    targets = [
        _target(_Reader(table, f"targets[{index}]", base, warnings))
        for index, table in enumerate(root.get("targets", list, []))
    ]
    for section, items in (("sources", sources), ("targets", targets)):
        names = [item.name for item in items]
        for name in names:
            if names.count(name) > 1:
                raise ConfigError(f"{section}: the name {name!r} is used twice")
    lock_file = root.path("lock_file", base / ".crm-sync.lock")
    root.done()
    return Config(odoo_config, sources, targets, lock_file, path, warnings)


def _check_ranges(
    reader: _Reader, item: OdooConfig | SourceConfig | TargetConfig
) -> None:
    """The timeout and retry count of any section, once read."""
    timeout = getattr(item, "timeout", None)
    if timeout is not None and not 0 < timeout <= 600:
        raise ConfigError(
            f"{reader.key('timeout')}: must be more than 0 and at most 600 seconds"
        )
    retries = getattr(item, "max_retries", None)
    if retries is not None and not 0 <= retries <= 10:
        raise ConfigError(f"{reader.key('max_retries')}: must be between 0 and 10")


def _check_url(reader: _Reader, url: str | None) -> None:
    if not str(url).startswith(("http://", "https://")):
        raise ConfigError(f"{reader.key('url')}: must start with http:// or https://")


def _source(reader: _Reader) -> SourceConfig:
    name = reader.get("name")
    kind = reader.get("kind", choices=SOURCE_KINDS)
    if kind == "morning":
        source = _morning_source(reader, name)
    elif kind == "tryton":
        source = _tryton_source(reader, name)
    elif kind == "uniform":
        source = _uniform_source(reader, name)
    else:
        source = _file_source(reader, name, kind)
    _check_ranges(reader, source)
    return source


def _file_source(reader: _Reader, name: str, kind: str) -> SourceConfig:
    folder = reader.path("folder")
    columns_reader = reader.child("columns")
    columns: dict[str, str] = {}
    for column in INVOICE_COLUMNS:
        header = columns_reader.get(column, str, None)
        if header is not None:
            columns[column] = header
    columns_reader.done()
    for required in ("external_id", "issued_on", "amount_total"):
        if required not in columns:
            raise ConfigError(f"{reader.key('columns')}.{required}: missing")
    line_reader = _Reader(
        reader.get("line_columns", dict, {}),
        reader.key("line_columns"),
        None,
        reader.warnings,
    )
    line_columns: dict[str, str] = {}
    for column in LINE_COLUMNS:
        header = line_reader.get(column, str, None)
        if header is not None:
            line_columns[column] = header
    line_reader.done()
    if line_columns and not {"price_unit", "amount"} & set(line_columns):
        raise ConfigError(
            f"{reader.key('line_columns')}: needs price_unit or amount (or both)"
        )
    lines_file = _lines_file(reader, kind, columns, line_columns)
    source = SourceConfig(
        name=name,
        kind=kind,
        folder=folder,
        processed_folder=reader.path("processed_folder", folder / "processed"),
        columns=columns,
        line_columns=line_columns,
        lines_file=lines_file,
        date_format=reader.get("date_format", str, "%Y-%m-%d"),
        decimal_comma=reader.get("decimal_comma", bool, False),
        encoding=reader.get("encoding", str, "utf-8-sig"),
        delimiter=reader.get("delimiter", str, ","),
        default_currency=reader.get("default_currency", str, None),
        kind_values=reader.get("kind_values", dict, {}),
        status_values=reader.get("status_values", dict, {}),
        max_future_days=reader.get("max_future_days", int, 365),
    )
    if not 0 <= source.max_future_days <= 36500:
        raise ConfigError(
            f"{reader.key('max_future_days')}: must be between 0 and 36500"
        )
    try:
        codecs.lookup(source.encoding)
    except LookupError:
        raise ConfigError(
            f"{reader.key('encoding')}: unknown encoding {source.encoding!r}"
        ) from None
    if len(source.delimiter) != 1:
        raise ConfigError(f"{reader.key('delimiter')}: must be one character")
    reader.done()
    return source


def _lines_file(
    reader: _Reader, kind: str, columns: dict[str, str], line_columns: dict[str, str]
) -> LinesFileConfig | None:
    """The ``[sources.lines_file]`` table: lines in files of their own."""
    if "lines_file" not in reader.table:
        return None
    table = reader.child("lines_file")
    lines_file = LinesFileConfig(
        name=table.get("name"),
        invoices=table.get("invoices"),
        invoice_column=table.get("invoice_column"),
        match=table.get("match", str, "external_id", choices=LINES_FILE_MATCHES),
    )
    table.done()
    suffix = ".csv" if kind == "csv" else ".xlsx"
    patterns = {"name": lines_file.name, "invoices": lines_file.invoices}
    for key, pattern in patterns.items():
        if "/" in pattern or "\\" in pattern or pattern.count("*") > 1:
            raise ConfigError(
                f"{table.key(key)}: {pattern!r} must be a file name in the "
                f"folder, with at most one *"
            )
        if not pattern.lower().endswith(suffix):
            raise ConfigError(
                f"{table.key(key)}: {pattern!r} must end in {suffix} "
                f"(a {kind} source)"
            )
    if ("*" in lines_file.name) != ("*" in lines_file.invoices):
        raise ConfigError(
            f"{table.key('name')}: {lines_file.name!r} and "
            f"{lines_file.invoices!r} (invoices) must both have a * or neither"
        )
    if lines_file.name.lower() == lines_file.invoices.lower():
        raise ConfigError(f"{table.key('name')}: the same as invoices")
    if not line_columns:
        raise ConfigError(
            f"{table.key('name')}: needs {reader.key('line_columns')}, "
            f"the columns of the lines file"
        )
    if lines_file.match not in columns:
        raise ConfigError(
            f"{table.key('match')}: {lines_file.match!r} has no column in "
            f"{reader.key('columns')}"
        )
    return lines_file


def _paging(reader: _Reader, page_size: int) -> dict[str, Any]:
    """The page size, timeout and retries of a source read from an API."""
    return {
        "page_size": reader.get("page_size", int, page_size),
        "timeout": reader.get("timeout", float, 30.0),
        "max_retries": reader.get("max_retries", int, 4),
    }


def _morning_source(reader: _Reader, name: str) -> SourceConfig:
    start = reader.get("start_date", date, None)
    source = SourceConfig(
        name=name,
        kind="morning",
        url=reader.get("url", str, "https://api.greeninvoice.co.il/api/v1").rstrip("/"),
        api_id=reader.get("api_id"),
        api_secret=reader.secret("api_secret"),
        start_date=start or date(2000, 1, 1),
        overlap_days=reader.get("overlap_days", int, 7),
        **_paging(reader, page_size=100),
    )
    _check_url(reader, source.url)
    if not 0 <= source.overlap_days <= 366:
        raise ConfigError(f"{reader.key('overlap_days')}: must be between 0 and 366")
    reader.done()
    return source


def _tryton_source(reader: _Reader, name: str) -> SourceConfig:
    source = SourceConfig(
        name=name,
        kind="tryton",
        url=reader.get("url").rstrip("/"),
        database=reader.get("database"),
        username=reader.get("username"),
        password=reader.secret("password"),
        start_date=reader.get("start_date", date, None),
        **_paging(reader, page_size=200),
        overlap_minutes=reader.get("overlap_minutes", int, 10),
    )
    _check_url(reader, source.url)
    if not 1 <= source.page_size <= 1000:
        raise ConfigError(f"{reader.key('page_size')}: must be between 1 and 1000")
    if not 0 <= source.overlap_minutes <= 1440:
        raise ConfigError(
            f"{reader.key('overlap_minutes')}: must be between 0 and 1440"
        )
    reader.done()
    return source


def _uniform_source(reader: _Reader, name: str) -> SourceConfig:
    folder: Path = reader.path("folder")
    processed_folder: Path = reader.path("processed_folder", folder / "processed")
    currency: str = reader.get("default_currency", str, "ILS")
    source = SourceConfig(
        name=name,
        kind="uniform",
        folder=folder,
        processed_folder=processed_folder,
        default_currency=currency,
    )
    if processed_folder.resolve() == folder.resolve():
        # exports move there to be never read again: not the folder itself
        raise ConfigError(f"{reader.key('processed_folder')}: must not be the folder")
    if not (len(currency) == 3 and currency.isalpha()):
        raise ConfigError(f"{reader.key('default_currency')}: not an ISO code")
    source.default_currency = currency.upper()
    reader.done()
    return source


def _push_fields(reader: _Reader) -> tuple[str, ...]:
    """The ``fields`` of a target: names of PUSHABLE_FIELDS, each once."""
    names = reader.get("fields", list, None)
    if names is None:
        return DEFAULT_PUSH_FIELDS
    key = reader.key("fields")
    if not names:
        raise ConfigError(f"{key}: empty (leave it out for contact data)")
    for name in names:
        if not isinstance(name, str):
            raise ConfigError(f"{key}: expected field names, got {name!r}")
        if name not in PUSHABLE_FIELDS:
            raise ConfigError(
                f"{key}: {name!r} cannot be pushed; one of {', '.join(PUSHABLE_FIELDS)}"
            )
        if names.count(name) > 1:
            raise ConfigError(f"{key}: {name!r} is named twice")
    return tuple(names)


def _target(reader: _Reader) -> TargetConfig:
    name = reader.get("name")
    kind = reader.get("kind", choices=TARGET_KINDS)
    target = TargetConfig(name=name, kind=kind)
    if kind == "carddav":
        target.url = reader.get("url").rstrip("/") + "/"
        target.username = reader.get("username", str, None)
        target.password = reader.secret("password", None)
        target.max_retries = reader.get("max_retries", int, 4)
    elif kind == "webhook":
        target.url = reader.get("url")
        target.secret = reader.secret("secret")
        target.max_retries = reader.get("max_retries", int, 4)
    else:
        target.path = reader.path("path")
    target.fields = _push_fields(reader)
    target.timeout = reader.get("timeout", float, 30.0)
    if target.url:
        _check_url(reader, target.url)
    _check_ranges(reader, target)
    reader.done()
    return target
