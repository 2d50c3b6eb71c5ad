# Aftercare: two commands do all the set-up.
#   make run   the portal with demo data on the embedded default (SQLite, filesystem broker, console email)
#   make test  the whole suite against PostgreSQL and Redis on localhost
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test lint fmt services browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

# --- make run -------------------------------------------------------------------
RUN_ENV := DJANGO_DEBUG=true AFTERCARE_SITE_URL=http://localhost:$(PORT)

run: $(VENV)/.installed
	@$(RUN_ENV) $(BIN)/python manage.py migrate --noinput -v 0
	@$(RUN_ENV) $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Aftercare is starting on http://localhost:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo ""
	@$(RUN_ENV) PORT=$(PORT) BIN=$(BIN) portal/bin/run-embedded

# --- make test ------------------------------------------------------------------
TEST_ENV := DJANGO_SETTINGS_MODULE=portal.settings_test
# Two pytest-xdist workers (one per core): the suite runs in about a third of the
# serial time; each worker gets its own test database. PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= 2

services:
	@bash .ci/services

# Debian's Chromium for the browser journeys (tests/e2e): apt-get install when missing.
browser:
	@bash .ci/browser

test: $(VENV)/.installed-dev services browser
	$(BIN)/pip check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/mypy
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/mypy

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var/ staticfiles/ .pytest_cache/

# Screenshots for a person to review, into tests/e2e/screenshots/ (git-ignored):
# every page the browser journeys check, at phone (390x844) and desktop (1280x800)
# size, with axe-report-*.md; then the patients pages with demo data.
.PHONY: screenshots
screenshots: $(VENV)/.installed-dev services browser
	$(TEST_ENV) $(BIN)/pytest tests/e2e -m browser --screenshots -p no:xdist -q
	$(BIN)/python tests/e2e/screenshot_patients.py

# --- make bench -----------------------------------------------------------------
# Every benchmark and fault script (bench/run_all.py) against PostgreSQL on localhost;
# each script starts its own Redis, SMTP catcher, gunicorn and Celery processes on
# spare loopback ports. Figures, baselines and targets: bench/results/latest.md.
# About 25 minutes on 2 cores, the fault scripts at their full length; BENCH_ARGS=--quick is a
# smoke test of a few minutes, BENCH_ARGS=--short-faults shortens (c) and (d) by 6 minutes.
# wrk (Debian's package) generates the load of bench/load.py; installed when missing.
.PHONY: bench
bench: $(VENV)/.installed-dev services
	@bash .ci/apt-install /usr/bin/wrk wrk
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

# --- make fuzz ------------------------------------------------------------------
# The API fuzzing of make test (tests/security/test_fuzz_api.py) at full size: the
# coverage phase (every boundary and kind of invalid value of every parameter) and
# FUZZ_EXAMPLES random examples per operation and persona (make test: 100, no
# coverage phase). Requests sent per operation and persona: var/fuzz/calls-*.json.
FUZZ_EXAMPLES ?= 1000
.PHONY: fuzz
fuzz: $(VENV)/.installed-dev services
	$(TEST_ENV) AFTERCARE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) AFTERCARE_FUZZ_COVERAGE=1 $(BIN)/pytest -n $(PYTEST_WORKERS) -q \
		tests/security/test_fuzz_api.py tests/security/test_fuzz_regressions.py
