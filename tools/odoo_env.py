"""Where Odoo is and how this project starts it: shared by `make test` and `make run`.

Stdlib only, so that it also runs before the virtualenv exists.
"""

import os
import shutil
import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDON = "crm_relationship"
# the small modules that join the addon to an Odoo app, installed by
# themselves (auto_install) where that app is: {bridge: the app}
BRIDGES = {
    "crm_relationship_survey": "survey",
    "crm_relationship_mass_mailing": "mass_mailing",
}
VAR = REPO / "var"
# rtlcss, installed there by `make run` and `make test` (npm): Odoo calls it by
# name to build the right-to-left styles of Hebrew
NODE_BIN = VAR / "node" / "node_modules" / ".bin"


def with_project_tools_on_path(environ):
    """``environ`` with the project's own command line tools first on PATH."""
    path = environ.get("PATH", os.defpath)
    if str(NODE_BIN) in path.split(os.pathsep):
        return dict(environ)
    return dict(environ, PATH=os.pathsep.join([str(NODE_BIN), path]))


# every Odoo process these tools start inherits this environment
os.environ.update(with_project_tools_on_path(os.environ))


def odoo_path():
    return Path(os.environ.get("ODOO_PATH", "/opt/odoo"))


def odoo_bin():
    """The odoo-bin script, or None when there is no Odoo at ODOO_PATH."""
    candidate = odoo_path() / "odoo-bin"
    return candidate if candidate.is_file() else None


def venv_python():
    return REPO / ".venv" / "bin" / "python"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(name, http_port, **extra):
    """Write var/<name>.conf: PostgreSQL over its Unix socket, files kept in var/."""
    VAR.mkdir(exist_ok=True)
    options = {
        "addons_path": f"{odoo_path() / 'odoo' / 'addons'},{REPO / 'addons'}",
        "data_dir": str(VAR / "odoo-data"),
        "db_host": "",
        "http_interface": "127.0.0.1",
        "http_port": str(http_port),
        "list_db": "False",
        **{key: str(value) for key, value in extra.items()},
    }
    path = VAR / f"{name}.conf"
    path.write_text(
        "[options]\n" + "".join(f"{key} = {value}\n" for key, value in options.items())
    )
    return path


def odoo_command(config, *args):
    return [str(venv_python()), str(odoo_bin()), "-c", str(config), *args]


def database_exists(name):
    result = subprocess.run(
        ["psql", "-d", "postgres", "-At", "-v", f"name={name}"],
        input="SELECT 1 FROM pg_database WHERE datname = :'name';",
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() == "1"


def drop_database(name):
    subprocess.run(["dropdb", "--if-exists", name], check=False, capture_output=True)
    shutil.rmtree(VAR / "odoo-data" / "filestore" / name, ignore_errors=True)
