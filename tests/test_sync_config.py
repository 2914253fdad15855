"""The sync service's configuration and command line, without Odoo."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sync_helpers import FakeOdoo

from sync_service.cli import parse_args
from sync_service.config import OdooConfig, Secret, load
from sync_service.errors import ConfigError, OdooError, OdooUnreachable
from sync_service.job import RunLock
from sync_service.odoo import JsonRpcTransport

GOOD = """
[odoo]
url = "http://127.0.0.1:8069"
db = "crm"
login = "sync"
api_key = {env = "CRM_SYNC_TEST_KEY"}

[[sources]]
name = "finance-csv"
kind = "csv"
folder = "drop"
date_format = "%d/%m/%Y"
[sources.columns]
external_id = "Invoice ID"
issued_on = "Date"
amount_total = "Total"

[[targets]]
name = "phones"
kind = "carddav"
url = "http://127.0.0.1:5232/sync/phones"
password = {file = "SECRET_FILE"}
"""


@pytest.fixture
def write(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_SYNC_TEST_KEY", "key-123")
    secret = tmp_path / "carddav.secret"
    secret.write_text("s3cret\n")

    def write_config(text):
        path = tmp_path / "crm-sync.toml"
        path.write_text(text.replace("SECRET_FILE", str(secret)))
        return path

    return write_config


def test_good_config(write, tmp_path):
    config = load(write(GOOD))
    assert config.odoo.api_key.reveal() == "key-123"
    assert config.source("finance-csv").folder == tmp_path / "drop"
    assert (
        config.source("finance-csv").processed_folder == tmp_path / "drop" / "processed"
    )
    assert config.target("phones").password.reveal() == "s3cret"
    assert config.target("phones").url.endswith("/phones/")
    assert "key-123" not in repr(config) and "s3cret" not in repr(config)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('db = "crm"\n', ""), "odoo.db: missing"),
        (('url = "http://127.0.0.1:8069"', 'url = "ftp://x"'), "odoo.url: must start"),
        (('kind = "csv"', 'kind = "pdf"'), "sources[0].kind: 'pdf' is not one of"),
        (('amount_total = "Total"\n', ""), "sources[0].columns.amount_total: missing"),
        (
            ('date_format = "%d/%m/%Y"', "date_format = 5"),
            "sources[0].date_format: expected str",
        ),
        (
            ('kind = "carddav"', 'kind = "carddav"\ncolour = "red"'),
            "targets[0].colour: unknown key",
        ),
        (
            ("CRM_SYNC_TEST_KEY", "CRM_SYNC_MISSING_KEY"),
            "odoo.api_key: environment variable",
        ),
        (('name = "phones"', 'name = "finance-csv"'), None),
    ],
)
def test_bad_config_names_the_key(write, change, message):
    text = GOOD.replace(*change)
    if message is None:
        load(write(text))  # a source and a target may share a name
        return
    with pytest.raises(ConfigError) as error:
        load(write(text))
    assert message in str(error.value)


def test_pushed_fields_are_contact_data_unless_a_target_names_them(write):
    config = load(write(GOOD))
    fields = config.target("phones").fields
    assert "comment" not in fields, "internal notes stay in Odoo"
    assert {"name", "email", "phone", "mobile", "street", "vat"} <= set(fields)
    asked = GOOD.replace(
        'kind = "carddav"', 'kind = "carddav"\nfields = ["name", "phone", "comment"]'
    )
    assert load(write(asked)).target("phones").fields == ("name", "phone", "comment")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ('["name", "password"]', "targets[0].fields: 'password' cannot be pushed"),
        ('["phone", "phone"]', "targets[0].fields: 'phone' is named twice"),
        ("[]", "targets[0].fields: empty"),
        ("[1]", "targets[0].fields: expected field names"),
        ('"phone"', "targets[0].fields: expected list"),
    ],
)
def test_bad_pushed_fields_name_the_key(write, fields, message):
    text = GOOD.replace('kind = "carddav"', f'kind = "carddav"\nfields = {fields}')
    with pytest.raises(ConfigError) as error:
        load(write(text))
    assert message in str(error.value)


def test_secret_never_prints():
    assert str(Secret("abc")) == "Secret('***')"
    assert "abc" not in repr({"key": Secret("abc")})


def test_cli_bad_config_exits_1_naming_the_key(write):
    path = write(GOOD.replace('login = "sync"\n', ""))
    result = subprocess.run(
        [sys.executable, "-m", "sync_service", "--config", str(path), "nightly"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "odoo.login: missing" in result.stderr
    assert "key-123" not in result.stderr + result.stdout


def test_cli_unreachable_odoo_exits_1(write, tmp_path):
    (tmp_path / "drop").mkdir()
    path = write(GOOD.replace("8069", "9"))
    result = subprocess.run(
        [sys.executable, "-m", "sync_service", "--config", str(path), "status"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "unreachable" in result.stderr


def test_page_bytes_and_date_horizon_defaults(write):
    config = load(write(GOOD))
    # well under the 128 MiB Odoo 18 takes in one request, room for a 20 MB PDF
    assert config.odoo.max_page_bytes == 32 * 1024 * 1024
    assert config.source("finance-csv").max_future_days == 365
    text = GOOD.replace('db = "crm"\n', 'db = "crm"\nmax_page_bytes = 1048576\n')
    text = text.replace('date_format = "%d/%m/%Y"', "max_future_days = 730")
    config = load(write(text))
    assert config.odoo.max_page_bytes == 1048576
    assert config.source("finance-csv").max_future_days == 730


def test_example_config_is_valid(tmp_path, monkeypatch):
    monkeypatch.setenv("CARDDAV_PASSWORD", "pw")
    monkeypatch.setenv("WEBHOOK_SECRET", "hook")
    monkeypatch.setenv("MORNING_API_SECRET", "ms")
    monkeypatch.setenv("TRYTON_PASSWORD", "tp")
    key = tmp_path / "odoo-api-key"
    key.write_text("k")
    example = Path(__file__).parent.parent / "sync_service" / "crm-sync.example.toml"
    path = tmp_path / "crm-sync.toml"
    path.write_text(example.read_text().replace("/sync/odoo-api-key", str(key)))
    config = load(path)
    assert [t.kind for t in config.targets] == ["carddav", "webhook", "csv_file"]
    assert config.source("finance").kind_values["חשבונית זיכוי"] == "credit_note"
    morning = config.source("morning")
    assert morning.start_date.isoformat() == "2026-01-01"
    assert morning.api_secret.reveal() == "ms"
    assert morning.url == "https://api.greeninvoice.co.il/api/v1"
    tryton = config.source("tryton")
    assert (tryton.database, tryton.username) == ("tryton", "crm-sync")
    assert tryton.password.reveal() == "tp"
    assert repr(tryton.password) == "Secret('***')"
    assert (tryton.page_size, tryton.overlap_minutes) == (200, 10)
    assert config.source("finance").line_columns["product_code"] == "SKU"
    assert config.source("morning").line_columns == {}
    books = config.source("books")
    assert books.processed_folder == books.folder / "processed"
    assert books.default_currency == "ILS"


TRYTON = """
[odoo]
url = "http://127.0.0.1:8069"
db = "crm"
login = "sync"
api_key = "k"

[[sources]]
name = "tryton"
kind = "tryton"
url = "http://127.0.0.1:8000"
database = "tryton"
username = "admin"
password = "pw"
"""
UNIFORM = """
[odoo]
url = "http://127.0.0.1:8069"
db = "crm"
login = "sync"
api_key = "k"

[[sources]]
name = "books"
kind = "uniform"
folder = "exports"
"""


def test_tryton_and_uniform_defaults(write, tmp_path):
    tryton = load(write(TRYTON)).source("tryton")
    assert (tryton.page_size, tryton.timeout, tryton.max_retries) == (200, 30.0, 4)
    assert (tryton.start_date, tryton.overlap_minutes) == (None, 10)
    books = load(write(UNIFORM)).source("books")
    assert books.folder == tmp_path / "exports"
    assert books.processed_folder == tmp_path / "exports" / "processed"
    assert books.default_currency == "ILS"


@pytest.mark.parametrize(
    ("text", "change", "message"),
    [
        (TRYTON, ('database = "tryton"\n', ""), "sources[0].database: missing"),
        (
            TRYTON,
            ('url = "http://127.0.0.1:8000"', 'url = "tryton.example.com"'),
            "sources[0].url: must start with http:// or https://",
        ),
        (
            TRYTON,
            ('password = "pw"', 'password = "pw"\npage_size = 1001'),
            "sources[0].page_size: must be between 1 and 1000",
        ),
        (
            TRYTON,
            ('password = "pw"', 'password = "pw"\noverlap_minutes = -1'),
            "sources[0].overlap_minutes: must be between 0 and 1440",
        ),
        (
            TRYTON,
            ('password = "pw"', 'password = {env = "CRM_SYNC_UNSET_VARIABLE"}'),
            "environment variable CRM_SYNC_UNSET_VARIABLE is not set",
        ),
        (
            TRYTON,
            ('password = "pw"', 'password = "pw"\napi_id = "x"'),
            "sources[0].api_id: unknown key",
        ),
        (
            UNIFORM,
            ('folder = "exports"', 'folder = "exports"\nprocessed_folder = "exports"'),
            "sources[0].processed_folder",
        ),
        (
            UNIFORM,
            ('folder = "exports"', 'folder = "exports"\ndefault_currency = "shekel"'),
            "sources[0].default_currency",
        ),
    ],
)
def test_bad_tryton_and_uniform_config_names_the_key(write, text, change, message):
    with pytest.raises(ConfigError) as error:
        load(write(text.replace(*change)))
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("page_size", "timeout = 0\npage_size"), "odoo.timeout: must be more than 0"),
        (("page_size", "timeout = 601\npage_size"), "odoo.timeout: must be more than"),
        (("page_size", "max_retries = 11\npage_size"), "odoo.max_retries: must be"),
        (
            ('kind = "carddav"', 'kind = "carddav"\ntimeout = -1'),
            "targets[0].timeout: must be more than 0 and at most 600",
        ),
        (
            ('kind = "carddav"', 'kind = "carddav"\nmax_retries = -1'),
            "targets[0].max_retries: must be between 0 and 10",
        ),
        (
            ('date_format = "%d/%m/%Y"', 'encoding = "klingon"'),
            "sources[0].encoding: unknown encoding 'klingon'",
        ),
        (
            ("page_size", "max_page_bytes = 1000\npage_size"),
            "odoo.max_page_bytes: must be between 65536 and 134217728 (Odoo's limit",
        ),
        (
            ("page_size", "max_page_bytes = 200000000\npage_size"),
            "odoo.max_page_bytes: must be between 65536 and 134217728",
        ),
        (
            ("page_size", 'max_page_bytes = "1 MB"\npage_size'),
            "odoo.max_page_bytes: expected int, got str",
        ),
        (
            ('date_format = "%d/%m/%Y"', "max_future_days = -1"),
            "sources[0].max_future_days: must be between 0 and 36500",
        ),
    ],
)
def test_out_of_range_values_name_the_key(write, change, message):
    text = GOOD.replace('db = "crm"\n', 'db = "crm"\npage_size = 100\n')
    with pytest.raises(ConfigError) as error:
        load(write(text.replace(*change)))
    assert message in str(error.value)


def test_secret_file_is_relative_to_the_config_folder(write, tmp_path, monkeypatch):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "dav").write_text("from-the-folder\n")
    path = write(GOOD.replace('{file = "SECRET_FILE"}', '{file = "secrets/dav"}'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load(path).target("phones").password.reveal() == "from-the-folder"
    (tmp_path / "secrets" / "dav").unlink()
    with pytest.raises(ConfigError, match=r"targets\[0\].password: cannot read"):
        load(path)


def test_plain_text_secret_works_with_a_warning(write, tmp_path):
    path = write(GOOD.replace('{file = "SECRET_FILE"}', '"plain-pw"'))
    config = load(path)
    assert config.target("phones").password.reveal() == "plain-pw"
    assert [w.split(":")[0] for w in config.warnings] == ["targets[0].password"]
    (tmp_path / "drop").mkdir()
    result = _crm_sync(
        path, "push-customers", "--dry-run", odoo_url="http://127.0.0.1:9"
    )
    assert "warning: targets[0].password: a secret written in the" in result.stderr
    assert "plain-pw" not in result.stderr + result.stdout


def _crm_sync(path, *args, odoo_url=None, env=None):
    if odoo_url:
        text = path.read_text()
        path.write_text(text.replace("http://127.0.0.1:8069", odoo_url))
    return subprocess.run(
        [sys.executable, "-m", "sync_service", "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_missing_drop_folder_stops_before_anything_reaches_odoo(write, tmp_path):
    odoo = FakeOdoo()
    try:
        result = _crm_sync(write(GOOD), "nightly", odoo_url=odoo.url)
    finally:
        odoo.close()
    assert result.returncode == 1
    assert (
        f"configuration error: sources[0].folder: {tmp_path / 'drop'} does not exist"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert odoo.calls == [], "no login, no run created"


def test_file_target_path_that_is_a_folder_is_a_config_error(write, tmp_path):
    (tmp_path / "drop").mkdir()
    (tmp_path / "out.csv").mkdir()
    text = GOOD.split("[[targets]]")[0] + (
        '[[targets]]\nname = "office"\nkind = "csv_file"\npath = "out.csv"\n'
    )
    odoo = FakeOdoo()
    try:
        result = _crm_sync(write(text), "push-customers", odoo_url=odoo.url)
    finally:
        odoo.close()
    assert result.returncode == 1
    assert f"targets[0].path: {tmp_path / 'out.csv'} is a folder" in result.stderr
    assert odoo.calls == []


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["pull-invoices", "--colour"],
        ["status", "--dry-run"],
        [],
    ],
)
def test_usage_errors_exit_1(write, args):
    result = _crm_sync(write(GOOD), *args)
    assert result.returncode == 1, result.stderr
    assert "usage: crm-sync" in result.stderr


def test_run_options_go_before_or_after_the_command():
    assert parse_args(["pull-invoices", "--dry-run"]).dry_run is True
    assert parse_args(["--dry-run", "pull-invoices"]).dry_run is True
    args = parse_args(["--full-refresh", "push-customers", "--target", "x"])
    assert args.full_refresh is True and args.dry_run is False
    assert parse_args(["nightly", "--full-refresh"]).full_refresh is True
    assert parse_args(["nightly"]).dry_run is False


def test_another_run_holding_the_lock_exits_1_touching_nothing(write, tmp_path):
    (tmp_path / "drop").mkdir()
    # no target: status would try to reach its address book
    path = write(GOOD.split("[[targets]]")[0])
    odoo = FakeOdoo()
    try:
        _crm_sync(path, "status", odoo_url=odoo.url)  # only to write the url
        odoo.calls.clear()
        with RunLock(load(path).lock_file):
            result = _crm_sync(path, "pull-invoices")
            status = _crm_sync(path, "status")
    finally:
        odoo.close()
    assert result.returncode == 1
    assert f"another crm-sync run is going on (process {os.getpid()}" in result.stderr
    assert "Traceback" not in result.stderr
    # status needs no lock: it logs in (and creates no run)
    assert status.returncode == 0, status.stderr
    assert [(name, method) for name, method, _args in odoo.calls] == [
        ("common", "authenticate"),
        ("common", "version"),
    ]


def test_status_checks_odoo_and_sources(write, tmp_path):
    """(Targets: test_sync_targets.py, against real ones.)"""
    odoo = FakeOdoo()
    path = write(GOOD.split("[[targets]]")[0])
    try:
        missing = _crm_sync(path, "status", odoo_url=odoo.url)
        (tmp_path / "drop").mkdir()
        good = _crm_sync(path, "status")
        odoo.results["common", "authenticate"] = False
        refused = _crm_sync(path, "status")
    finally:
        odoo.close()
    assert good.returncode == 0, good.stderr
    assert f"odoo: {odoo.url} (Odoo 18.0) database crm: logged in as sync (uid 7)" in (
        good.stdout
    )
    assert "sources[0] finance-csv (csv): " in good.stdout
    assert missing.returncode == 1
    assert "sources[0].folder:" in missing.stderr and "logged in" in missing.stdout
    assert refused.returncode == 1
    assert "Odoo refused the login 'sync'" in refused.stderr
    assert "key-123" not in refused.stderr


def _transport(url, sleeps):
    config = OdooConfig(url, "crm", "sync", Secret("k"), timeout=5, max_retries=2)
    return JsonRpcTransport(config, sleep=sleeps.append)


@pytest.mark.parametrize("status", [400, 403, 404])
def test_odoo_http_errors_are_answers_not_retried(status):
    odoo, sleeps = FakeOdoo(http_errors=[status] * 5), []
    try:
        with pytest.raises(OdooError) as error:
            _transport(odoo.url, sleeps).check()
    finally:
        odoo.close()
    assert not isinstance(error.value, OdooUnreachable)
    assert f"HTTP {status}" in str(error.value)
    assert len(odoo.calls) == 1 and sleeps == []


def test_odoo_busy_or_behind_a_restarting_proxy_is_retried():
    odoo, sleeps = FakeOdoo(http_errors=[503, 502]), []
    try:
        assert _transport(odoo.url, sleeps).check()["uid"] == 7
        odoo.http_errors = [429, 504, 504]
        with pytest.raises(OdooUnreachable, match="HTTP 504"):
            _transport(odoo.url, sleeps).check()
    finally:
        odoo.close()
    assert sleeps == [1.0, 2.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('product_code = "SKU"\nprice_unit = "Price"\n', None),
        (
            'product_code = "SKU"\n',
            "sources[0].line_columns: needs price_unit or amount",
        ),
        (
            'amount = "Sum"\ncolour = "red"\n',
            "sources[0].line_columns.colour: unknown key",
        ),
    ],
)
def test_line_columns_of_a_file_source(write, lines, message):
    text = GOOD.replace(
        'amount_total = "Total"\n',
        f'amount_total = "Total"\n[sources.line_columns]\n{lines}',
    )
    if message is None:
        config = load(write(text))
        assert config.source("finance-csv").line_columns == {
            "product_code": "SKU",
            "price_unit": "Price",
        }
        return
    with pytest.raises(ConfigError) as error:
        load(write(text))
    assert message in str(error.value)
