# Orchestra Lab: `make lab` to learn, `make test` to check everything. Both set up first.
# Needs only python3 (3.11+) and make; uv is bootstrapped from PyPI into .tools/ if missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
STAMP := $(VENV)/.orchestra-installed
export UV_PYTHON_DOWNLOADS := never
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: setup lab test lint bench grade notebooks clean help

help:
	@echo "make lab    set up and open JupyterLab on notebooks/ (prints the URL)"
	@echo "make test   set up and run the whole test suite (lint included)"
	@echo "make lint   ruff and the import-layer contracts only"
	@echo "make grade  grade your exercise notebooks (NB=path for one)"
	@echo "make bench  run the benchmarks side by side"
	@echo "make notebooks  build and execute every notebook from its .py source"
	@echo "make clean  remove the environment and build outputs"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# JupyterLab settings for the kit: open a notebook on its "orchestra" kernel without asking,
# and fetch no news from the internet.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(STAMP): pyproject.toml uv.lock setup/jupyterlab-overrides.json | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name orchestra \
	    --display-name "Python (orchestra)" >/dev/null
	mkdir -p $(dir $(LAB_SETTINGS)) && cp setup/jupyterlab-overrides.json $(LAB_SETTINGS)
	@touch $@

setup: $(STAMP)

# The real-browser test drives Debian's Chromium with Playwright (no browser download).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	    echo "The browser test needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	fi

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --ServerApp.root_dir=. \
	    --LabApp.default_url=/lab/tree/notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(STAMP) lint $(CHROMIUM)
	$(VENV)/bin/python -m pytest
	$(MAKE) --no-print-directory conformance

# One style for the whole tree (ruff, configured in pyproject.toml) and the layers of
# STYLE.md (import-linter contracts in pyproject.toml): checked, not remembered.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

grade: $(STAMP)
	$(VENV)/bin/python exercises/grade.py $(NB)

# Build and execute every notebook from its percent-format source (notebooks/NN_*.py,
# solutions/NN_*.py; exercises come from the solutions), after a change to a chapter, the
# package or the simulator; commit the result, nbval checks it. See tools/notebooks/build.py.
notebooks: $(STAMP)
	$(VENV)/bin/python tools/notebooks/build.py

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .tools build

# langchain's standard chat-model suite (langchain-tests) for ChatAnthropic against the
# simulator, in its own environment: its pytest plugins would clash with the kit's run.
CONFORMANCE_VENV := .venv-conformance
CONFORMANCE_STAMP := $(CONFORMANCE_VENV)/.installed
$(CONFORMANCE_STAMP): tests/conformance/pyproject.toml tests/conformance/uv.lock | $(UV)
	cd tests/conformance && UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(CONFORMANCE_VENV) \
	    $(abspath $(UV)) sync --frozen --python $(PYTHON) -q
	@touch $@

conformance: $(STAMP) $(CONFORMANCE_STAMP)
	cd tests/conformance && $(CURDIR)/$(CONFORMANCE_VENV)/bin/python -m pytest

# The newest releases of the SDK and the integrations, in a throwaway environment: which of the
# integration tests and the conformance suite break, and why. Not part of `make test`.
check-latest: $(STAMP) | $(UV)
	$(VENV)/bin/python tools/check_latest.py --uv $(abspath $(UV))

.PHONY: conformance check-latest
