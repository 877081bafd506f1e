# The two commands: `make run` and `make test`. Everything else is what they build on.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8501

.PHONY: run run-prod test test-times soak install install-dev migrate demo-data warm simulate scheduler app api lint typecheck bench i18n clean

# The console listens on this machine only unless BARBERPRO_HOST says otherwise.
HOST ?= $(or $(BARBERPRO_HOST),127.0.0.1)

# The JSON API (api/, issue 17) is its own uvicorn process on API_PORT, bound like the
# console; docs/architecture.md ("The API's process") says why it is not mounted in the
# console's server.
API_PORT ?= $(or $(BARBERPRO_API_PORT),8000)
API_SERVER = $(VENV)/bin/uvicorn api.app:create_app --factory --host $(HOST) --port $(API_PORT) \
	--no-server-header --proxy-headers --forwarded-allow-ips 127.0.0.1

run: install migrate demo-data warm
	@echo "Starting the simulator, the scheduler, the watchdog, the API at http://$(HOST):$(API_PORT)/docs and the console at http://$(HOST):$(PORT)"
	@PORT=$(PORT) BARBERPRO_HOST=$(HOST) $(PY) -m core.users sign-in-help
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) -m data.simulate & \
	$(PY) scheduler.py & \
	$(PY) -m core.ops.watchdog & \
	$(API_SERVER) & \
	BARBERPRO_EMBEDDED_SCHEDULER=false $(VENV)/bin/streamlit run serve.py \
		--server.headless true --server.address $(HOST) --server.port $(PORT) \
		--browser.gatherUsageStats false

# The unit tests on every core (pytest-xdist; one PostgreSQL database per worker, tests that
# share a heavy generated console on one worker), then the browser tests (marker e2e) on
# their own, one test module per worker on two workers: each module starts its own server
# on a free port, and the production one (PostgreSQL, minutes of jobs) runs beside the
# rest instead of after it. Both runs always run, each prints its closing line, and the
# target fails if either fails. The shared folder carries the generated full console from
# the first run to the second. Each run is recorded as JUnit XML under
# `python -m core.ops test-results-dir` (<data_dir>/ops/test-results/) as
# unit-<commit>.xml and e2e-<commit>.xml, for the launch-readiness score; a tree with
# uncommitted changes records <commit>-dirty, which no running commit matches.
# OMP_NUM_THREADS=1: xdist already runs a worker per core; OpenMP pools on top (the
# gradient boosting) spin against each other: one fit took 132 s instead of 2 s under load.
test: install-dev
	@cache=$$(mktemp -d); trap 'rm -rf "$$cache"' EXIT; export OMP_NUM_THREADS=1; \
	results=$$($(PY) -m core.ops test-results-dir 2>/dev/null || echo data/ops/test-results); \
	commit=$$(git rev-parse HEAD 2>/dev/null || echo unknown); \
	[ -z "$$(git status --porcelain 2>/dev/null)" ] || commit="$$commit-dirty"; \
	mkdir -p "$$results"; \
	BARBERPRO_TEST_CACHE="$$cache" $(PY) -m pytest -n auto --dist loadgroup -m "not e2e and not soak" \
		--junitxml="$$results/unit-$$commit.xml"; \
	unit=$$?; \
	BARBERPRO_TEST_CACHE="$$cache" $(PY) -m pytest -m e2e -n 2 --dist loadfile tests/e2e \
		--junitxml="$$results/e2e-$$commit.xml"; \
	e2e=$$?; \
	[ $$unit -eq 0 ] && [ $$e2e -eq 0 ]

# The time-sensitive tests (marker "clock") at every pinned date and hour of this week and
# month; the ones that generate a whole console or drive a browser (the live pipeline
# among them) at the four worst moments (tests/pinned_times.py).
test-times: install-dev
	$(PY) -m tests.pinned_times -- -m "clock and not e2e" -q -p no:cacheprovider \
		--ignore tests/pages/test_every_page.py
	$(PY) -m tests.pinned_times --worst -- -m clock -q -p no:cacheprovider \
		tests/e2e tests/pages/test_every_page.py

# The long checks: every URL parameter of every page fed 200 hostile examples through
# AppTest (make test: 50), and the checks marked "soak" that make test leaves out
# (bench startup's whole quick run).
soak: install-dev
	BARBERPRO_URL_PARAMETER_EXAMPLES=200 $(PY) -m pytest -q -p no:cacheprovider \
		tests/pages/test_url_parameters.py
	$(PY) -m pytest -q -p no:cacheprovider -m soak tests

# Production on PostgreSQL (README "Deploying on PostgreSQL"): migrate, then the scheduler
# and the console as separate processes; no demo data, no simulator. Needs
# BARBERPRO_DATABASE_URL=postgresql+psycopg://... The same steps as deploy/Procfile and
# deploy/systemd/.
run-prod: install
	$(PY) -m deploy.run_prod --port $(PORT)

# Idempotent: the stamp files are only rebuilt when a requirements file changes.
install: $(VENV)/.installed-runtime

install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-runtime: requirements.txt $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed-runtime
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

migrate: install
	$(PY) -m core.migrate

demo-data: install
	$(PY) -m data.generate --if-empty

# The console's first run before the server starts (metrics, detail tables, health history,
# churn model, alerts; two processes, a progress bar per phase): the scheduler then finds
# nothing to redo, and on a warm console it takes seconds. A failed job does not stop
# `make run`: the scheduler retries it.
warm: install
	-$(PY) -m data.warm

simulate: install
	$(PY) -m data.simulate

scheduler: install
	$(PY) scheduler.py

app: install
	$(VENV)/bin/streamlit run serve.py --server.headless true --server.address $(HOST) \
		--server.port $(PORT)

# The JSON API alone (api/, issue 17), bound like the console (BARBERPRO_HOST), on
# API_PORT; it reads the same settings and database. Tokens: python -m core.users token.
api: install migrate
	$(API_SERVER)

# The gates .ci/run passes before the tests: lint (style, format, layering contracts)
# and typecheck (mypy on core/, stale ignores included; config in pyproject.toml).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: install-dev
	$(VENV)/bin/mypy

bench: install-dev
	$(PY) -m bench refresh --json bench/results/refresh.json

# Merge every _() string of the code into locale/es_AR (then translate the empty ones).
i18n: install
	$(PY) -m core.i18n_catalog

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
