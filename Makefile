# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0

demo: install
	$(BIN)/python -m config.demo

# Two sessions: everything but the browser tests, then the browser tests, each on a test
# database of its own (pytest-django makes it anew), so nothing one part leaves behind reaches
# the live server of the other. A part that a -k or a path leaves empty (pytest's 5) is fine.
test: install
	$(BIN)/python -m pytest --ignore=tests/browser $(PYTEST_ARGS) $(PYTEST_MAIN_ARGS) || [ $$? -eq 5 ]
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS) $(PYTEST_BROWSER_ARGS) || [ $$? -eq 5 ]

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Refresh the catalogues after changing user-facing strings.
messages: install
	$(BIN)/python manage.py makemessages --no-obsolete --ignore=.venv --ignore=var -l en -l zh_Hans -l ru -l ro -l fa

bench: install
	$(BIN)/python -m bench.tenancy
	$(BIN)/python -m bench.calendar
	$(BIN)/python -m bench.statement
	$(BIN)/python -m bench.portal
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.reconcile

clean:
	rm -rf $(VENV) staticfiles
