"""odoo-bin whose selected at_install tests run after every module is loaded.

Odoo runs a module's at_install tests while the registry holds only that module
and its dependencies, so Odoo's own crm tests would never meet this addon's
overrides of crm.lead and res.partner. Here they run with the post_install
tests, on the complete registry of the database.

Usage: odoo_tests_after_load.py -c CONF -d DB --test-enable --test-tags=/crm \
    --stop-after-init
"""

import sys

import odoo
from odoo.tests import loader
from odoo.tests.suite import OdooSuite

make_suite = loader.make_suite


def make_suite_after_load(module_names, position="at_install"):
    if position == "at_install":
        return OdooSuite([])
    at_install = make_suite(module_names, "at_install")
    return OdooSuite([*at_install, *make_suite(module_names, "post_install")])


loader.make_suite = make_suite_after_load

if __name__ == "__main__":
    sys.argv[0] = "odoo-bin"
    odoo.cli.main()
