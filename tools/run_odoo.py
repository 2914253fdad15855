"""`make run`: Odoo with crm_relationship and demo data on the local PostgreSQL.

The first run creates the database (a couple of minutes); later runs reuse it and
update the addon, so the command can be repeated safely.
"""

import os
import subprocess
import sys

from odoo_env import (
    ADDON,
    database_exists,
    odoo_bin,
    odoo_command,
    odoo_path,
    write_config,
)

DATABASE = os.environ.get("DB", ADDON)
PORT = int(os.environ.get("PORT", "8069"))


def main():
    if odoo_bin() is None:
        print(f"No Odoo at {odoo_path()} (odoo-bin missing); set ODOO_PATH.")
        return 1
    config = write_config("run", PORT, db_name=DATABASE, dbfilter=f"^{DATABASE}$")
    env = dict(os.environ, PYTHONPATH=str(odoo_path()))
    if database_exists(DATABASE):
        print(f"Updating {ADDON} on the existing database {DATABASE}...", flush=True)
        prepare = ["-u", ADDON]
    else:
        print(f"Creating {DATABASE} with {ADDON} and demo data...", flush=True)
        prepare = ["-i", ADDON]
    subprocess.run(
        odoo_command(config, "-d", DATABASE, *prepare, "--stop-after-init"),
        env=env,
        check=True,
    )
    print(f"\nOdoo: http://localhost:{PORT}/odoo  login: admin  password: admin\n")
    os.execve(
        str(odoo_command(config)[0]),
        odoo_command(config, "-d", DATABASE),
        env,
    )


if __name__ == "__main__":
    sys.exit(main())
