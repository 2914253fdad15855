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

.PHONY: test lint run venv tryton-venv clean

venv: $(STAMP)

tryton-venv: $(TRYTON_STAMP)

$(TRYTON_STAMP): requirements/tryton.txt
	test -x $(TRYTON_VENV)/bin/python || $(PYTHON) -m venv $(TRYTON_VENV)
	$(TRYTON_VENV)/bin/pip install --quiet -r requirements/tryton.txt
	touch $@

$(STAMP): requirements/odoo.txt requirements/dev.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet 'setuptools<70' wheel
	$(VENV)/bin/pip install --quiet --no-build-isolation -r requirements/dev.txt
	$(VENV)/bin/pip install --quiet --no-build-isolation --no-deps -e .
	touch $@

test: $(STAMP) $(TRYTON_STAMP)
	$(VENV)/bin/python tools/run_tests.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pylint --rcfile .pylintrc addons/crm_relationship

run: $(STAMP)
	$(VENV)/bin/python tools/run_odoo.py

clean:
	rm -rf var
