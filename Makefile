# The two set-up commands are `make serve` and `make test`; both work on a fresh clone.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Touched after a successful install: the project is reinstalled only when
# pyproject.toml changes (or the venv is new).
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test lint fmt bench

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

# Migrate, seed the demo tenant (prints its ids and an API key), serve the API.
serve: $(STAMP)
	$(BIN)/loyalty db upgrade
	$(BIN)/loyalty demo
	$(BIN)/loyalty serve --host $(HOST) --port $(PORT)

# Lint, type-check, test on SQLite; under CI (or with LOYALTY_TEST_DATABASE_URL) on PostgreSQL too.
test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

# Fix what can be fixed (imports first, then layout); `make lint` reports the rest.
fmt: $(STAMP)
	$(BIN)/ruff check --fix --exit-zero
	$(BIN)/ruff format

bench: $(STAMP)
	$(BIN)/python -m bench
