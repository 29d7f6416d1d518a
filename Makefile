# CONNECT — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: setup run test test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error

setup: $(VENV)/.installed node_modules/.package-lock.json

## Runs the whole system (Temporal dev server, worker, web/API) with the Montana demo data.
run: setup
	$(BIN)/connect dev

## Runs the whole suite on SQLite, then on PostgreSQL.
test: setup test-sqlite test-postgres

test-sqlite: setup
	$(BIN)/python -m pytest -q

test-postgres: setup
	CONNECT_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q

bench: setup
	mkdir -p var && $(BIN)/python -m bench --output var/bench.md

clean:
	rm -rf $(VENV) node_modules
