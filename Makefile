# koffer: `make run` serves the demo district, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PYTHONPATH := src:.
export PYTHONDONTWRITEBYTECODE := 1
PYTEST_WORKERS ?= 2
ONLY ?=

.PHONY: run test lint types contracts openapi test-sqlite test-postgres test-browser bench bench-data system-deps system-deps-test system-deps-bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.lock | $(BIN)/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.dev-deps: requirements-dev.lock $(VENV)/.run-deps
	$(PY) -m pip install --quiet -r requirements-dev.lock
	touch $@

system-deps:
	@$(PYTHON) scripts/system_packages.py run

system-deps-test:
	@$(PYTHON) scripts/system_packages.py test

system-deps-bench:
	@$(PYTHON) scripts/system_packages.py bench

run: $(VENV)/.run-deps system-deps
	$(PY) manage.py serve

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check src tests benchmarks scripts manage.py
	$(BIN)/ruff format --check src tests benchmarks scripts manage.py

types: $(VENV)/.dev-deps
	$(BIN)/mypy src

contracts: $(VENV)/.dev-deps
	$(BIN)/lint-imports

openapi: $(VENV)/.dev-deps
	$(PY) manage.py export_openapi --check docs/openapi.json

test-sqlite: $(VENV)/.dev-deps
	$(BIN)/pytest -q -m "not browser" -n $(PYTEST_WORKERS)

test-postgres: $(VENV)/.dev-deps system-deps-test
	$(PY) -m tests.pgserver -- $(BIN)/pytest -q -m "not browser" -n $(PYTEST_WORKERS)

test-browser: $(VENV)/.dev-deps system-deps-test
	$(BIN)/pytest -q -m browser

test: lint types contracts openapi test-sqlite test-postgres test-browser
	@echo "make test: alles grün"

bench: $(VENV)/.dev-deps system-deps-bench
	$(PY) -m benchmarks $(if $(ONLY),--only $(ONLY),)

bench-data: $(VENV)/.dev-deps
	$(PY) -m benchmarks.data

clean:
	rm -rf $(VENV) var/static
