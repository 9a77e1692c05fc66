# `make serve` and `make test` work on a fresh machine with make and Python 3.11 or newer.
# They use the newest of python3.14 ... python3.11 (or python3) on PATH that runs and is >= 3.11;
# `make test PYTHON=python3.12` (a name or a path) picks another one.
# Prints the interpreter's full version, or nothing when it is older than 3.11.
PY_VERSION_CODE := import sys; sys.version_info >= (3, 11) and print("%d.%d.%d" % sys.version_info[:3])
ifeq ($(origin PYTHON),undefined)
# A name that is on PATH but does not run (a pyenv shim for an inactive version) is skipped.
FOUND := $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	v=$$($$p -c '$(PY_VERSION_CODE)' 2>/dev/null) && [ -n "$$v" ] && { echo "$$p $$v"; break; }; done)
PYTHON := $(word 1,$(FOUND))
PYTHON_VERSION := $(word 2,$(FOUND))
else
PYTHON_VERSION := $(shell $(PYTHON) -c '$(PY_VERSION_CODE)' 2>/dev/null)
endif
ifeq ($(PYTHON_VERSION),)
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),install)),)
ifeq ($(PYTHON),)
$(error No Python >= 3.11 on PATH (tried python3.14 python3.13 python3.12 python3.11 python3): install one, or run make PYTHON=/path/to/python3.x)
else
$(error PYTHON=$(PYTHON) does not run or is older than 3.11: install Python >= 3.11, or run make PYTHON=/path/to/python3.x)
endif
endif
endif

VENV ?= .venv
BIN := $(VENV)/bin
# The stamp names the Python version: another PYTHON rebuilds the venv, the same one reuses it.
STAMP := $(VENV)/.installed-$(PYTHON_VERSION)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test lint browser screenshots contract bench profiles profiles-http evidence independent-faults seeds spec mutation clean

$(STAMP): pyproject.toml
	@if [ -e $(VENV) ] && [ "$$($(BIN)/python -c '$(PY_VERSION_CODE)' 2>/dev/null)" != "$(PYTHON_VERSION)" ]; then \
		echo "$(VENV) was not built by $(PYTHON) ($(PYTHON_VERSION)): rebuilding it"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/calendar-mock serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

# tests/browser drive the distribution's headless Chromium: installed here when it is missing
# and we are root with apt-get (CI is). Never fails: without it those tests skip, or fail when
# REQUIRE_BROWSER=1 (.ci/run sets it).
BROWSER_PACKAGES := chromium chromium-driver
CHROMEDRIVER ?= /usr/bin/chromedriver
browser:
	@if [ ! -x $(CHROMEDRIVER) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(BROWSER_PACKAGES) for tests/browser (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; install="apt-get install -y -qq --no-install-recommends"; \
		{ $$install $(BROWSER_PACKAGES) || { apt-get update -qq && $$install $(BROWSER_PACKAGES); }; } \
			>/dev/null 2>&1 || echo "could not install $(BROWSER_PACKAGES): tests/browser will skip"; \
	fi

# One test file per worker process, a worker per core and two more (at most 4). The contract
# runs are CPU-bound, but part of a worker's time is waiting (servers starting, the timestamps'
# one-second resolution, bounded timeouts): on 2 cores, 2 workers used 1.46 of them and took
# 15 min 31 s, 3 workers 12 min 5 s (1.72 cores), 4 workers 11 min 14 s (1.8 cores).
CORES = $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)')
TEST_WORKERS ?= $(shell expr $(CORES) + 2)
# Where the environment forbids writing bytecode (PYTHONDONTWRITEBYTECODE=1, as on the machines
# this kit is built on), every server, CLI and worker process the tests start compiled the kit
# from source again: 0.3 s of CPU each. It is compiled once here instead (into __pycache__,
# which git ignores). pytest's own bytecode - each module of the kit, of the tests and of the
# plugins' distributions with its asserts rewritten - was made again in every pytest process
# (the workers and the pytest runs the plugin's tests start): 6.5 s of CPU each. One collection
# writes it first, and the run may add what only a test imports (4 workers: 11 min 14 s -> 10 min
# 57 s, 20.2 -> 19.4 min of CPU).
test: lint browser
	$(BIN)/python -m compileall -q mock_server contract_tests spec tests examples >/dev/null
	-PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest --collect-only -q -p no:cacheprovider >/dev/null 2>&1
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile

# The README's pictures of /_mock/docs and /_mock/, drawn by headless Chromium.
screenshots: $(STAMP) browser
	$(BIN)/python tests/browser/screenshots.py docs/screenshots

contract: $(STAMP)
	$(BIN)/calendar-contract run --level strict

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Heavier evidence than make test: the suite against the mock under many random profiles,
# every layer, both levels (PROFILES=N; a failing profile is printed to replay). profiles-http:
# the same with each mock served on 127.0.0.1 and run by URL, as QA runs a deployment
# (--concurrency 8, the footprint bound).
PROFILES ?= 25
profiles: $(STAMP)
	PROFILE_EXAMPLES=$(PROFILES) PROFILE_LAYERS=conformance,stateful,semantic,auth PROFILE_RANDOM=1 \
		$(BIN)/python -m pytest -q tests/test_suite_under_profiles.py

profiles-http: $(STAMP)
	PROFILE_HTTP=1 PROFILE_EXAMPLES=$(PROFILES) PROFILE_LAYERS=conformance,stateful,semantic,auth \
		PROFILE_RANDOM=1 $(BIN)/python -m pytest -q tests/test_suite_under_profiles.py

# More of what make test samples: the footprint over ten runs (there: two), every planted
# fault compared at concurrency 1 and 8 (there: every fourth), plain schemathesis with 150
# examples an operation against the served mock (there: 15), 1,000 instances for each validator
# pair (there: 40).
evidence: $(STAMP)
	FOOTPRINT_RUNS=10 PLANTED_FAULTS_EQUIVALENCE=all MOCK_SCHEMATHESIS_EXAMPLES=150 SCHEMA_VERDICT_EXAMPLES=1000 \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_footprint.py tests/test_planted_faults.py \
		tests/test_mock_schemathesis.py tests/test_schema_verdicts.py

# The suite against faults others planted in servers others wrote (52 in strict_server.py, 50 in
# busy_staging_server.py: tests/independent/*_faults.py): what each run failed, how many were
# caught. About an hour on 2 cores; not part of `make test`.
independent-faults: $(STAMP)
	$(BIN)/python mutation/independent_faults.py

# Correct servers under random seeds: the whole suite by URL at the default --max-examples against
# each server of tests/independent and the mock served, both levels; each must get the verdict its
# row of tests/independent_servers.EXPECTED states (SEEDS=N a server and level; about 15 minutes
# at 3 on 2 cores). `make test` runs each once, with a fixed seed and 1-2 examples an operation.
# DELAY_MS=60 JITTER_MS=50: each server behind a slow link that reorders answers (slow_link.py).
SEEDS ?= 3
DELAY_MS ?= 0
JITTER_MS ?= 0
seeds: $(STAMP)
	$(BIN)/python mutation/seed_sweep.py --seeds $(SEEDS) --delay-ms $(DELAY_MS) --jitter-ms $(JITTER_MS)

# After editing spec/openapi.yaml: its derived keys, then its map (tests fail while either is stale).
spec: $(STAMP)
	$(BIN)/python -m calendar_spec.derive
	$(BIN)/python -m calendar_spec.report

# Mutation testing: mutmut mutates the mock's domain and validation modules ([tool.mutmut] in
# pyproject.toml) and runs the contract suite against each mutant (mutation/). Not part of
# `make test`; about an hour on 2 busy cores, stopped after MUTATION_TIMEOUT. `make mutation MUTATE=mock_server/api/params.py`
# measures one module (or several, space-separated). Starts afresh each time (a new check
# must meet every mutant again); the report is mutation/report.py's.
MUTATE ?=
MUTATION_STAMP := $(VENV)/.installed-mutation-$(PYTHON_VERSION)
$(MUTATION_STAMP): $(STAMP)
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	touch $(MUTATION_STAMP)

MUTATION_TIMEOUT ?= 2h
# The suite against the mock under its default answers and under the other answer to every
# question, each held to its profile too (mutation/test_suite_against_mock.py).
MUTATION_PROFILES ?= default,contrarian
MUTATION_LEVEL ?= profile
MUTATION_LAYERS ?= semantic,auth,profile
mutation: $(MUTATION_STAMP)
	rm -rf mutants
	status=0; MUTATION_PROFILES=$(MUTATION_PROFILES) MUTATION_LEVEL=$(MUTATION_LEVEL) MUTATION_LAYERS=$(MUTATION_LAYERS) \
		nice -n 15 timeout $(MUTATION_TIMEOUT) $(BIN)/mutmut run --max-children 2 \
		$(if $(MUTATE),$$($(BIN)/python mutation/report.py --glob "$(MUTATE)")) > mutants.log 2>&1 \
		|| { status=$$?; tail -c 2000 mutants.log; echo; echo "mutmut stopped ($$status): mutants.log"; }; \
	$(BIN)/python mutation/report.py; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info mutants mutants.log
