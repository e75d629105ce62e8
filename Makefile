# The README's two commands are `make run` and `make test`; each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck imports check worker bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sandbox,test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m core.launcher

# The browser tests drive Debian's chromium (never a downloaded browser): installed here when
# missing and we are root, otherwise make stops at once with one line saying what to run.
CHROMIUM := /usr/bin/chromium
CHROMIUM_HELP := The browser tests need Debian's chromium: run 'sudo apt-get install chromium', then 'make test' again

test: $(CHROMIUM) $(STAMP)
	$(BIN)/python -m pytest

$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,$(error $(CHROMIUM_HELP)))
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Imports point one way (pyproject.toml, [tool.importlinter]; DESIGN.md "Layout").
imports: $(STAMP)
	$(BIN)/lint-imports

check: lint typecheck imports test

# One more worker against the same Redis and database (run as many as the cores allow).
# It counts into the metric files of `make run` (core.metrics) unless told otherwise.
worker: $(STAMP)
	PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/instance/metrics} \
		$(BIN)/flask --app wsgi worker

bench: $(STAMP)
	$(BIN)/python benchmarks/webhook_ingest.py
	$(BIN)/python benchmarks/triage_eval.py
	$(BIN)/python benchmarks/fanout.py
	$(BIN)/python benchmarks/reply_throughput.py
	$(BIN)/python benchmarks/send_throughput.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
