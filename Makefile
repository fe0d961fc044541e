# Trellis: `make run` starts the app on embedded defaults (DEBUG off); `make test` runs the whole suite;
# `make dev` is `make run` for developers (DEBUG on, reloading).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Tests and tools run with DEBUG on unless told otherwise; `make run` turns it off (production sets SECRET_KEY).
export DEBUG ?= true

.PHONY: install install-dev lock run run-env dev serving test test-fast test-browser lint format check typecheck bench bench-connections \
	bench-sweep loadtest fuzz client-test clean

# Two locks, each installed by hash and again whenever it changes: requirements.txt is what production
# runs (`make run`), requirements-dev.txt the test, lint and type tools on top (every other target).
$(BIN)/.installed-runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements-dev.txt | $(BIN)/.installed-runtime
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed-runtime

install-dev: install $(BIN)/.installed-dev

# Recompile both locks from requirements.in and requirements-dev.in, keeping the pins the .in files do
# not name unless asked (`make lock LOCK_ARGS=--upgrade`).
LOCK_ARGS ?=
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock: install-dev
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# `make run` is the product as an evaluator meets it: DEBUG off, friendly error pages, collected static files
# served by WhiteNoise, gunicorn, on embedded defaults. Its keys (SECRET_KEY, AUDIT_HMAC_KEY) are generated once
# into var/run.env (never
# committed; `make clean` removes them). The cookies are not marked Secure because it serves plain HTTP.
RUN_ENV := var/run.env
run-env:
	mkdir -p var
	$(PYTHON) -c "import pathlib, secrets; p = pathlib.Path('$(RUN_ENV)'); t = p.read_text() if p.exists() else ''; \
	p.write_text(t + ''.join(k + '=' + secrets.token_urlsafe(50) + '\n' for k in ('SECRET_KEY', 'AUDIT_HMAC_KEY') \
	if not any(line.startswith(k + '=') for line in t.splitlines())))"

run: export DEBUG := false
run: export SESSION_COOKIE_SECURE := false
run: export CSRF_COOKIE_SECURE := false
run: export LOG_FORMAT := text
run: install run-env
	set -a && . ./$(RUN_ENV) && set +a && \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py createcachetable && \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0 && \
	$(BIN)/python manage.py seed_demo && \
	$(MAKE) --no-print-directory serving && \
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile --env $(RUN_ENV)

# `make dev` is for developers: DEBUG on (Django's technical error pages, static files from static/),
# runserver reloading on every change, the same worker and beat.
dev: install-dev
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py seed_demo
	$(MAKE) --no-print-directory serving
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile.dev

serving:
	@echo
	@echo "Trellis is starting at http://$${HOST:-127.0.0.1}:$${WEB_PORT:-8000}/  (API docs: /api/docs/, admin: /admin/)"
	@echo "Sign in with any demo login above. Ctrl-C stops the web server, the worker and beat."
	@echo

# The whole suite in two stages, so a failure shows early: everything but the browser tests, with
# coverage of the apps (the floor is `fail_under` in pyproject.toml), then the browser tests.
test: test-fast test-browser

# The fast suite runs on two processes (pytest-xdist; each has its own test database and Celery broker database):
# 3,800 tests take about twice as long on one.
test-fast: install-dev
	$(BIN)/pytest -m "not browser" -n 2 --durations=15 --cov --cov-report=term:skip-covered

# Exit 5 is pytest's "no test selected": a run narrowed by PYTEST_ADDOPTS to a folder without browser tests.
# Two processes too, each with its Chromium and live server: 71 tests in 4 min 48 s, about 7 min 40 s on one.
test-browser: install-dev
	$(BIN)/pytest -m browser -n 2 --durations=15 || [ $$? -eq 5 ]

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# mypy with django-stubs: no error in the strict modules, none outside `.ci/mypy-baseline.txt` (which only shrinks).
typecheck: install-dev
	.ci/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .coverage

# schemathesis against a live server on a throwaway database (tests/fuzz/run.sh says how, and what is left out).
fuzz: install-dev
	tests/fuzz/run.sh

# A client generated from the served schema with openapi-python-client, every module imported, the spec's flow run
# with it against a live server on a throwaway database (tests/client/run.sh says how).
client-test: install-dev
	tests/client/run.sh

# The practice-scale load benchmark (tests/benchmarks/loadtest.py): gunicorn as in production, driven by wrk, on
# DATABASE_URL (by default a database of its own, built once and reused: the first run takes a few minutes).
LOADTEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/trellis_loadtest
loadtest: install-dev
	DATABASE_URL=$${DATABASE_URL:-$(LOADTEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/12} \
	$(BIN)/python -m tests.benchmarks.loadtest

bench: install-dev
	$(BIN)/python -m tests.benchmarks.patients
	$(BIN)/python -m tests.benchmarks.plans
	$(BIN)/python -m tests.benchmarks.pages
	$(BIN)/python -m tests.benchmarks.dashboard
	$(BIN)/python -m tests.benchmarks.diagnoses
	$(BIN)/python -m tests.benchmarks.audit
	$(BIN)/python -m tests.benchmarks.outcomes
	$(BIN)/python -m tests.benchmarks.templates
	$(MAKE) --no-print-directory bench-connections

# gunicorn as production runs it, driven by 20 concurrent clients: connections (per request, persistent, pooled)
# and workers x threads on staff/me and the plan detail (PostgreSQL's DATABASE_URL; about 4 minutes).
bench-connections: install-dev
	$(BIN)/python -m tests.benchmarks.connections

# The review sweep over 100,000 active plans (PostgreSQL's DATABASE_URL; builds its own database: about 10
# minutes, so not part of `make bench`).
bench-sweep: install-dev
	$(BIN)/python -m tests.benchmarks.sweep
