# crm_relationship: `make test` runs everything, `make run` serves the demo.
ODOO_PATH ?= /opt/odoo
export ODOO_PATH
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-requirements

.PHONY: test lint run venv clean

venv: $(STAMP)

$(STAMP): requirements/odoo.txt requirements/dev.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet 'setuptools<70' wheel
	$(VENV)/bin/pip install --quiet --no-build-isolation -r requirements/dev.txt
	$(VENV)/bin/pip install --quiet --no-build-isolation --no-deps -e .
	touch $@

test: $(STAMP)
	$(VENV)/bin/python tools/run_tests.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pylint --rcfile .pylintrc addons/crm_relationship

run: $(STAMP)
	$(VENV)/bin/python tools/run_odoo.py

clean:
	rm -rf var
