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

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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

clean:
	rm -rf $(VENV) staticfiles
