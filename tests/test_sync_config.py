"""The sync service's configuration and command line, without Odoo."""

import subprocess
import sys
from pathlib import Path

import pytest

from sync_service.config import ConfigError, Secret, load

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


def test_example_config_is_valid(tmp_path, monkeypatch):
    monkeypatch.setenv("CARDDAV_PASSWORD", "pw")
    monkeypatch.setenv("WEBHOOK_SECRET", "hook")
    monkeypatch.setenv("MORNING_API_SECRET", "ms")
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
