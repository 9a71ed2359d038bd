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

.PHONY: setup lab test browser bench grade notebooks clean help

help:
	@echo "make lab    set up and open JupyterLab on notebooks/ (prints the URL)"
	@echo "make test   set up and run the whole test suite"
	@echo "make grade  grade your exercise notebooks (NB=path for one)"
	@echo "make bench  run the benchmarks side by side"
	@echo "make notebooks  rebuild and re-execute every notebook from tools/notebooks/"
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

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --ServerApp.root_dir=. \
	    --LabApp.default_url=/lab/tree/notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The browser test runs last, so a missing browser stops nothing else. It drives a Chromium
# with Playwright: tools/find_browser.py looks for one where users have one. Else `browser`
# installs one: Debian's chromium when root with apt-get, Playwright's own otherwise (a
# download); if there is still none, it prints one line saying what to install, and fails.
FIND_BROWSER := $(VENV)/bin/python tools/find_browser.py
NO_BROWSER := ! $(FIND_BROWSER) >/dev/null 2>&1
PLAYWRIGHT_LOG := build/playwright-install.log

test: $(STAMP)
	$(VENV)/bin/python -m pytest --ignore=tests/test_browser.py
	@$(MAKE) --no-print-directory browser
	$(VENV)/bin/python -m pytest -n 0 tests/test_browser.py

browser: $(STAMP)
	@if $(NO_BROWSER) && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || true; \
	fi
	@if $(NO_BROWSER); then \
	    echo "Installing Playwright's Chromium for the browser test (log: $(PLAYWRIGHT_LOG))"; \
	    mkdir -p build && $(VENV)/bin/playwright install --no-shell chromium >$(PLAYWRIGHT_LOG) 2>&1 || true; \
	fi
	@$(FIND_BROWSER) >/dev/null

grade: $(STAMP)
	$(VENV)/bin/python exercises/grade.py $(NB)

# Rewrite and re-execute every notebook from its script in tools/notebooks/ (after a change to
# a chapter, the package or the simulator); commit the result, nbval checks it.
NOTEBOOK_SCRIPTS := b00 b01 b01x b02 b03 b04 b04x b07 b08 b09
notebooks: $(STAMP)
	@for b in $(NOTEBOOK_SCRIPTS); do echo "== $$b"; $(VENV)/bin/python tools/notebooks/$$b.py || exit 1; done

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .tools build
