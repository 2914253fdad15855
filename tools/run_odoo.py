"""`make run`: Odoo with crm_relationship and demo data on the local PostgreSQL,
with Surveys and Email Marketing and the addon's bridges to them.

The first run creates the database (a couple of minutes); later runs reuse it and
update the addon, so the command can be repeated safely.
"""

import os
import shutil
import subprocess
import sys

from odoo_env import (
    ADDON,
    BRIDGES,
    database_exists,
    odoo_bin,
    odoo_command,
    odoo_path,
    write_config,
)

DATABASE = os.environ.get("DB", ADDON)
# the Odoo apps the bridge modules join: installing them brings the bridges
# (auto_install), so that the demo shows survey answers and mailing reactions
APPS = sorted(set(BRIDGES.values()))
PORT = int(os.environ.get("PORT", "8069"))

# Run in `odoo-bin shell` on a database with only `base`: the demo company is
# Israeli before `account` is installed, so that `account` installs the Israeli
# chart of accounts and its demo entries in shekels (Odoo refuses to change a
# company's currency once it has journal entries). `account` is installed on
# its own next: the Israeli journals exist before the addon's demo invoices.
ISRAELI_COMPANY = """
shekel = env.ref("base.ILS")
shekel.active = True
env.ref("base.main_company").write(
    {"country_id": env.ref("base.il").id, "currency_id": shekel.id}
)
env.ref("base.main_partner").tz = "Asia/Jerusalem"
env.ref("base.user_admin").tz = "Asia/Jerusalem"
env.cr.commit()
"""


def create_database(config, env):
    subprocess.run(
        odoo_command(config, "-d", DATABASE, "-i", "base", "--stop-after-init"),
        env=env,
        check=True,
    )
    python, odoo = odoo_command(config)[:2]
    subprocess.run(
        [python, odoo, "shell", "-c", str(config), "-d", DATABASE, "--no-http"],
        input=ISRAELI_COMPANY,
        text=True,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        odoo_command(config, "-d", DATABASE, "-i", "account", "--stop-after-init"),
        env=env,
        check=True,
    )


def warn_about_missing_tools():
    if shutil.which("rtlcss") is None:
        print("rtlcss is missing: Hebrew shows left to right (`make run` installs it).")
    if shutil.which("wkhtmltopdf") is None:
        print("wkhtmltopdf is missing: Odoo prints no PDF (`make run` installs it).")


def main():
    if odoo_bin() is None:
        print(f"No Odoo at {odoo_path()} (odoo-bin missing); set ODOO_PATH.")
        return 1
    config = write_config("run", PORT, db_name=DATABASE, dbfilter=f"^{DATABASE}$")
    env = dict(os.environ, PYTHONPATH=str(odoo_path()))
    warn_about_missing_tools()
    if database_exists(DATABASE):
        print(f"Updating {ADDON} on the existing database {DATABASE}...", flush=True)
        # -i installs only what is missing: the apps on a database made before
        prepare = ["-u", ADDON, "-i", ",".join(APPS)]
    else:
        print(f"Creating {DATABASE} with {ADDON} and demo data...", flush=True)
        create_database(config, env)
        prepare = ["-i", ",".join([ADDON, *APPS])]
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
