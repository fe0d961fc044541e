# Trellis: `make run` starts the app on embedded defaults; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# A development machine runs with DEBUG on unless told otherwise (production sets SECRET_KEY).
export DEBUG ?= true

.PHONY: install install-dev lock run test test-fast test-browser lint format check typecheck bench fuzz clean

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

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "Trellis is starting at http://$${HOST:-127.0.0.1}:$${WEB_PORT:-8000}/  (API docs: /api/docs/, admin: /admin/)"
	@echo "Sign in with any demo login above. Ctrl-C stops the web server, the worker and beat."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

# The whole suite in two stages, so a failure shows early: everything but the browser tests, with
# coverage of the apps (the floor is `fail_under` in pyproject.toml), then the browser tests.
test: test-fast test-browser

test-fast: install-dev
	$(BIN)/pytest -m "not browser" --durations=15 --cov --cov-report=term:skip-covered

# Exit 5 is pytest's "no test selected": a run narrowed by PYTEST_ADDOPTS to a folder without browser tests.
test-browser: install-dev
	$(BIN)/pytest -m browser --durations=15 || [ $$? -eq 5 ]

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

bench: install-dev
	$(BIN)/python -m tests.benchmarks.patients
	$(BIN)/python -m tests.benchmarks.plans
	$(BIN)/python -m tests.benchmarks.pages
