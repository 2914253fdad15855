# crm_relationship: `make test` runs everything, `make run` serves the demo.
ODOO_PATH ?= /opt/odoo
export ODOO_PATH
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-requirements
# Tryton, for the tests of the Tryton source only: its own venv, as its pins
# clash with Odoo's
TRYTON_VENV := .venv-tryton
TRYTON_STAMP := $(TRYTON_VENV)/.installed-requirements
# OCA's module and po checks: their own venv, as they need polib 1.2 (Odoo pins 1.1.1)
OCA_VENV := .venv-oca
OCA_STAMP := $(OCA_VENV)/.installed-requirements
# the addon and its bridge modules (auto_install with survey, mass_mailing)
ADDON_DIRS := addons/crm_relationship addons/crm_relationship_survey \
	addons/crm_relationship_mass_mailing

.PHONY: test lint run venv tryton-venv oca-venv odoo-tools wkhtmltopdf clean

# What Odoo calls by name: `rtlcss` builds the right-to-left styles of Hebrew
# (without it Odoo only logs a warning and serves left-to-right CSS),
# `wkhtmltopdf` prints PDFs. rtlcss goes into var/node, which
# tools/odoo_env.py puts on the PATH of every Odoo process it starts.
RTLCSS_VERSION := 4.3.0
NODE_PREFIX := var/node
RTLCSS := $(NODE_PREFIX)/node_modules/.bin/rtlcss

venv: $(STAMP)

tryton-venv: $(TRYTON_STAMP)

oca-venv: $(OCA_STAMP)

$(OCA_STAMP): requirements/oca-checks.txt
	test -x $(OCA_VENV)/bin/python || $(PYTHON) -m venv $(OCA_VENV)
	$(OCA_VENV)/bin/pip install --quiet -r requirements/oca-checks.txt
	touch $@

$(TRYTON_STAMP): requirements/tryton.txt
	test -x $(TRYTON_VENV)/bin/python || $(PYTHON) -m venv $(TRYTON_VENV)
	$(TRYTON_VENV)/bin/pip install --quiet -r requirements/tryton.txt
	touch $@

$(STAMP): requirements/odoo.txt requirements/dev.txt sync_service/pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet 'setuptools<70' wheel
	$(VENV)/bin/pip install --quiet --no-build-isolation -r requirements/dev.txt
	$(VENV)/bin/pip install --quiet --no-build-isolation --no-deps -e ./sync_service
	touch $@

# without Odoo at ODOO_PATH its tests are skipped: nothing to bring then
odoo-tools: $(if $(wildcard $(ODOO_PATH)/odoo-bin),$(RTLCSS) wkhtmltopdf)

$(RTLCSS):
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js (Debian: apt-get install npm), Odoo needs rtlcss for Hebrew"; exit 1; }
	npm install --prefix $(NODE_PREFIX) --no-save --no-audit --no-fund --loglevel=error rtlcss@$(RTLCSS_VERSION)
	test -x $@ && touch $@

wkhtmltopdf:
	@command -v wkhtmltopdf >/dev/null || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y --no-install-recommends wkhtmltopdf || \
		{ apt-get update && apt-get install -y --no-install-recommends wkhtmltopdf; }; \
	else \
		echo "wkhtmltopdf is missing: Odoo prints no PDF without it. Install it (Debian: sudo apt-get install wkhtmltopdf) and run make again."; \
		exit 1; \
	fi

test: $(STAMP) $(TRYTON_STAMP) $(OCA_STAMP) odoo-tools
	$(VENV)/bin/python tools/run_tests.py

lint: $(STAMP) $(OCA_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pylint --rcfile .pylintrc $(ADDON_DIRS)
	$(VENV)/bin/python -m mypy
	$(OCA_VENV)/bin/oca-checks-odoo-module $(ADDON_DIRS:=/__manifest__.py)
	$(OCA_VENV)/bin/oca-checks-po \
		$(wildcard $(ADDON_DIRS:=/i18n/*.po) $(ADDON_DIRS:=/i18n/*.pot))

run: $(STAMP) odoo-tools
	$(VENV)/bin/python tools/run_odoo.py

clean:
	rm -rf var
