# Two set-up commands for a new machine: `make test` and (once the web service exists) `make demo`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast test-store lint demo clean

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

# The suite with the shared store in Valkey/Redis instead of the database: a throw-away
# redis-server (Debian package redis-server) on a free loopback port, no persistence, and
# CHILDHEALTH_STORE_URL pointing at it for sessions, the dashboard's figures and every app the
# tests start; stopped afterwards. `make test-store STORE_TESTS="tests/api -m 'not slow'"`
# narrows it. `make test` keeps the database's own store.
STORE_TESTS ?= tests/api tests/e2e
test-store: $(STAMP)
	@dir=$$(mktemp -d); \
	port=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	redis-server --port $$port --bind 127.0.0.1 --save '' --appendonly no --dir $$dir \
		--logfile $$dir/redis.log --daemonize yes --pidfile $$dir/redis.pid || exit 1; \
	until redis-cli -p $$port ping >/dev/null 2>&1; do sleep 0.1; done; \
	echo "redis-server on 127.0.0.1:$$port"; \
	CHILDHEALTH_STORE_URL=redis://127.0.0.1:$$port/0 $(BIN)/python -m pytest $(STORE_TESTS); \
	status=$$?; kill $$(cat $$dir/redis.pid); rm -rf $$dir; exit $$status

# The demo: seeds the demo province into var/childhealth.db when it is empty, prints the demo
# accounts of each role, and serves on http://127.0.0.1:8000 (Ctrl+C stops it).
demo: $(STAMP)
	$(BIN)/childhealth serve --demo --host 127.0.0.1 --port 8000

clean:
	rm -rf $(VENV) build *.egg-info
