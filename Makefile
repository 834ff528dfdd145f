# ecocredit: `make run` serves the platform, `make test` runs every test on SQLite and PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("ecocredit needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ecocredit init
	$(BIN)/ecocredit demo
	$(BIN)/ecocredit serve

test: $(STAMP)
	scripts/with-postgres.sh $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	ECOCREDIT_PG_FSYNC=on scripts/with-postgres.sh $(BIN)/python benchmarks/ledger.py $(BENCH_ARGS)
	ECOCREDIT_PG_FSYNC=on scripts/with-postgres.sh $(BIN)/python benchmarks/registry.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/air.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/carbon.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
