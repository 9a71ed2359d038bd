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

.PHONY: setup lab test bench grade notebooks clean help

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

# Every test, then the browser test last: a missing browser (or a failure elsewhere) stops
# nothing else, and the exit status says whether all passed. tools/find_browser.py finds a
# Chromium where users have one, or installs one (apt-get as root, else Playwright's); with
# none, it prints one line saying what to install.
test: $(STAMP)
	$(VENV)/bin/python -m pytest --ignore=tests/test_browser.py; status=$$?; \
	$(VENV)/bin/python tools/find_browser.py --install \
	    && $(VENV)/bin/python -m pytest -n 0 tests/test_browser.py && exit $$status

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
