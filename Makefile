# Trellis: `make run` starts the app on embedded defaults; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# A development machine runs with DEBUG on unless told otherwise (production sets SECRET_KEY).
export DEBUG ?= true

.PHONY: install run test lint format check typecheck bench fuzz clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "Trellis is starting at http://$${HOST:-127.0.0.1}:$${WEB_PORT:-8000}/  (API docs: /api/docs/, admin: /admin/)"
	@echo "Sign in with any demo login above. Ctrl-C stops the web server, the worker and beat."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# mypy with django-stubs: no error in the strict modules, none outside `.ci/mypy-baseline.txt` (which only shrinks).
typecheck: install
	.ci/mypy

clean:
	rm -rf $(VENV) var .pytest_cache

# schemathesis against a live server on a throwaway database (tests/fuzz/run.sh says how, and what is left out).
fuzz: install
	tests/fuzz/run.sh

bench: install
	$(BIN)/python -m tests.benchmarks.patients
	$(BIN)/python -m tests.benchmarks.plans
	$(BIN)/python -m tests.benchmarks.pages
