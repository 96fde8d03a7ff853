# Two set-up commands for a new machine: `make test` and (once the web service exists) `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast lint demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The quick local loop: no contract fuzzing, bad-input corpora, browser or PostgreSQL variants
# (each database test runs on SQLite); `make test` runs them all.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# The demo: seeds the demo province into var/childhealth.db when it is empty, prints the demo
# accounts of each role, and serves on http://127.0.0.1:8000 (Ctrl+C stops it).
demo: $(STAMP)
	$(BIN)/childhealth serve --demo --host 127.0.0.1 --port 8000

clean:
	rm -rf $(VENV) build *.egg-info
