"""``crm-sync status``: Odoo, every source and every target tried the way a
run uses them, writing nothing that stays.

- Odoo: a login with the API key;
- Tryton: a login; Morning: a token for the API key;
- drop folders (CSV, XLSX, uniform exports): the folder can be read and
  files moved out of it, the processed folder can be written;
- CardDAV: a PROPFIND of the URL with the credentials, which must be an
  address book;
- webhook: a signed ``{"event": "ping"}`` the receiver answers with a 2xx;
- file targets: a file can be written in the folder.
"""

import os
from pathlib import Path
from typing import Any

from .config import Config, SourceConfig, TargetConfig
from .errors import FolderError, OdooError, PreflightError
from .job import preflight
from .odoo import OdooClient


class Check:
    """One line of the status: what was checked and how it went."""

    def __init__(self, label: str, ok: bool, text: str) -> None:
        self.label, self.ok, self.text = label, ok, text

    def __str__(self) -> str:
        return f"{self.label}: {self.text}"


def check_odoo(client: OdooClient) -> Check:
    try:
        me = client.whoami()
    except OdooError as error:
        return Check("odoo", False, str(error))
    version = f" (Odoo {me['server_version']})" if me.get("server_version") else ""
    return Check(
        "odoo",
        True,
        f"{me['url']}{version} database {me['db']}: logged in as {me['login']} "
        f"(uid {me['uid']})",
    )


def check_items(config: Config) -> list[Check]:
    """A Check for every source and target of the configuration."""
    checks: list[Check] = []
    for section in ("sources", "targets"):
        for index, item in enumerate(getattr(config, section)):
            label = f"{section}[{index}] {item.name} ({item.kind})"
            try:
                opened = preflight(
                    config, *(([item], []) if section == "sources" else ([], [item]))
                )[section, item.name]
                text = probe(opened, item)
            except PreflightError as error:
                # the problems name the key: "sources[0].folder: ..."
                checks += [
                    Check("configuration error", False, problem)
                    for problem in error.problems
                ]
            except Exception as error:  # noqa: BLE001 - reported, never a traceback
                text = str(error) or type(error).__name__
                if not type(error).__module__.startswith("sync_service."):
                    text = f"{type(error).__name__}: {text}"
                checks.append(Check(label, False, text))
            else:
                checks.append(Check(label, True, text))
    return checks


def probe(opened: Any, item: SourceConfig | TargetConfig) -> str:
    """What the source or target ``opened`` answered to a harmless try."""
    own = getattr(opened, "probe", None)
    if own is not None:
        return str(own())
    if isinstance(item, SourceConfig) and item.folder is not None:
        assert item.processed_folder is not None  # made with the folder
        return _probe_folder(item.folder, item.processed_folder)
    return "nothing to try"


def _probe_folder(folder: Path | str, processed: Path | str) -> str:
    folder, processed = Path(folder), Path(processed)
    try:
        waiting = sum(1 for path in folder.iterdir() if not path.name.startswith("."))
    except OSError as error:
        raise FolderError(f"folder: cannot read {folder}: {error.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FolderError(f"folder: {folder}: read files cannot be moved out of it")
    existing = next(p for p in (processed, *processed.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise FolderError(f"processed_folder: {existing} is not writable")
    return f"{folder} readable ({waiting} waiting), read files go to {processed}"
