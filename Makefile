# Quartermaster: the commands the README names. Works on a fresh machine with Python >= 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT     ?= 8000
DATA_DIR ?= var
JOBS     ?= 2

.PHONY: install demo serve test test-pg lint format bench clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install  ## seed the embedded database with demo data, print the demo users, serve on PORT
	$(BIN)/quartermaster demo --port $(PORT) --data-dir $(DATA_DIR)

test: install  ## the whole suite (SQLite; set QM_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/pytest -n $(JOBS) -p xdist

lint: install
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install  ## throughput and latency figures (see docs/benchmarks.md)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(DATA_DIR) build dist src/*.egg-info
