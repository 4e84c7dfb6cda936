# The two commands a newcomer needs: `make run` and `make test`. Each does all its own setup.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck imports check bench drill chromium nginx screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install whenever a pyproject.toml changes. The client (client/, its own distribution) is
# installed beside the server, so the `keyvault` command is there for `make run` users too.
# It is installed from its folder, never by name from an index (which may hold another project).
$(VENV)/.installed-app: pyproject.toml client/pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e './client[httpx]' -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml client/pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e './client[httpx]' -e '.[dev]'
	touch $@ $(VENV)/.installed-app

$(VENV)/.installed-bench: pyproject.toml client/pyproject.toml | $(PY)
	$(BIN)/pip install --quiet -e './client[httpx]' -e '.[dev,bench]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed-app

## run: serve the app (admin, API, gateway; ASGI under uvicorn) at http://127.0.0.1:8000/admin/
# on a local SQLite database. --no-proxy-headers: client addresses come from
# KEYVAULT_TRUSTED_PROXY_COUNT alone (uvicorn would otherwise trust X-Forwarded-For from 127.0.0.1).
# A db.sqlite3 without the .env holding its keys is refused; START_OVER=1 moves it aside.
run: $(VENV)/.installed-app
	@$(PY) -m keyvault_site.local_env .env --database db.sqlite3 $(if $(START_OVER),--start-over)
	@grep -q '^KEYVAULT_PRIMARY_KEY=' .env || $(PY) manage.py init_encryption --write .env
	$(PY) manage.py migrate --noinput
	@$(PY) manage.py create_local_admin
	$(BIN)/uvicorn keyvault_site.asgi:application --host $(HOST) --port $(PORT) --no-proxy-headers \
		--reload --reload-dir settings_app --reload-dir keyvault_site --reload-dir templates

## test: the whole suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL)
# The bench extra too: the suite runs a quick smoke pass of the benchmarks so they never rot.
# Tests run in a random order (pytest-randomly prints the seed) and fail below the branch-coverage
# floor in pyproject.toml. Replay an order: make test PYTEST_ARGS=--randomly-seed=N;
# file order: make test PYTEST_ARGS="-p no:randomly".
test: $(VENV)/.installed-bench
	$(BIN)/pytest --cov $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint deploy/Dockerfile

# The crypto core is held to --strict (mypy cannot set `strict` per module in its config).
typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy .
	$(BIN)/mypy --strict settings_app/crypto

# The layers of docs/architecture.md, as contracts in pyproject.toml ([tool.importlinter]).
imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

## check: lint, format, types, import layers, Dockerfile (what CI runs after the tests)
check: lint typecheck imports

## bench: benchmarks against the floor and peer packages; writes docs/benchmarks.md
bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks

## drill: the key rotation runbook under live load (PostgreSQL, Redis db 5, gunicorn x2)
# Prints reads, failures, wrong values and p99 per phase; writes them to docs/drill.md.
# Exits non-zero on any failed read or a reencrypt p99 above 3x the p99 at rest.
drill: $(VENV)/.installed-bench
	$(PY) -m benchmarks.drill --output docs/drill.md

## nginx: Debian's nginx for the TLS proxy test in tests/deploy (needs root or sudo)
nginx:
	scripts/install-nginx.sh

## chromium: Debian's Chromium for the browser tests in tests/e2e (needs root or sudo)
chromium:
	scripts/install-chromium.sh

## screenshots: refresh docs/img/ from the browser tests
screenshots: $(VENV)/.installed-dev
	KEYVAULT_UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/e2e -m e2e

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
