# Orchestra Lab: `make lab` to learn, `make test` to check everything. Both set up first.
# Needs only python3 (3.11+) and make; uv is bootstrapped from PyPI into .tools/ if missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
STAMP := $(VENV)/.orchestra-installed
CONFORMANCE_VENV := .venv-conformance
CONFORMANCE_STAMP := $(CONFORMANCE_VENV)/.installed
PHOENIX_VENV := .venv-phoenix
PHOENIX_STAMP := $(PHOENIX_VENV)/.installed
PREFECT_VENV := .venv-prefect
PREFECT_STAMP := $(PREFECT_VENV)/.installed
AGENTS_VENV := .venv-agents
AGENTS_STAMP := $(AGENTS_VENV)/.installed
export UV_PYTHON_DOWNLOADS := never
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# Installed packages are not compiled to bytecode at set-up: compiling the kit's environment
# took 25 of the 37 s that the five environments took on a warm cache, and a run imports a
# fraction of it. Where PYTHONDONTWRITEBYTECODE is set (as on our CI machines), every import
# would then compile its sources again, which doubled the time each notebook spends importing
# LangChain, LangGraph and LlamaIndex (17 s to 9 s); so a .pth file in each environment lets its
# interpreters write the bytecode of what they import, once (compile-on-import below).
export UV_COMPILE_BYTECODE := 0

.PHONY: setup lab test lint bench grade notebooks clean help phoenix prefect-env

help:
	@echo "make lab    set up and open JupyterLab on notebooks/ (prints the URL)"
	@echo "make phoenix  serve the Phoenix trace UI on http://127.0.0.1:6006 (chapter 10)"
	@echo "make test   set up and run the whole test suite (lint included)"
	@echo "make agents  create .venv-agents, CrewAI and AutoGen for chapter 11 (make test does too)"
	@echo "make lint   ruff and the import-layer contracts only"
	@echo "make grade  grade your exercise notebooks (NB=path for one)"
	@echo "make bench  run the benchmarks side by side"
	@echo "make notebooks  build and execute every notebook from its .py source"
	@echo "make prefect-env  Prefect 3 for tools/prefect_sweep.py (the sweep as a Prefect flow)"
	@echo "make clean  remove the environment and build outputs"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

define compile-on-import
@echo "import sys; sys.dont_write_bytecode = False" \
    > $$(echo $(1)lib/python3*/site-packages)/orchestra-write-bytecode.pth
endef

# JupyterLab settings for the kit: open a notebook on its "orchestra" kernel without asking,
# and fetch no news from the internet.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

$(STAMP): pyproject.toml uv.lock setup/jupyterlab-overrides.json | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	$(call compile-on-import,$(VENV)/)
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name orchestra \
	    --display-name "Python (orchestra)" >/dev/null
	mkdir -p $(dir $(LAB_SETTINGS)) && cp setup/jupyterlab-overrides.json $(LAB_SETTINGS)
	@touch $@

setup: $(STAMP)

# The notebooks as committed are trusted, in a database of the kit's own, so that their saved
# widgets (chapter 09's review panel, progress bars) draw on first open (tools/trust_book.py).
TRUST := $(CURDIR)/$(VENV)/share/jupyter/orchestra-trust

# Chapter 11's CrewAI/AutoGen environment (1.0 GB, about a minute) is created in the background
# while the lab opens, so that `make lab` stays under 3 minutes on a fresh machine.
lab: $(STAMP) $(PHOENIX_STAMP)
	@test -f $(AGENTS_STAMP) || { mkdir -p build; \
	    echo "creating $(AGENTS_VENV) for chapter 11 in the background: build/agents-setup.log"; \
	    $$(command -v setsid) nohup $(MAKE) --no-print-directory agents >build/agents-setup.log 2>&1 & }
	$(VENV)/bin/python tools/trust_book.py --data-dir $(TRUST)
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --ServerApp.root_dir=. \
	    --LabApp.default_url=/lab/tree/notebooks --NotebookNotary.data_dir=$(TRUST) \
	    $(if $(filter 0,$(shell id -u)),--allow-root)

# Every check: a failure (or a missing browser) stops nothing else, and the exit status says
# whether all passed. First the style and the import layers (ruff and import-linter, configured
# in pyproject.toml); then pytest, with the browser test beside it (a JupyterLab and a Chromium
# use the CPU the main run leaves idle while its notebooks wait; at a lower priority the lab,
# starved, did not start within its minute; its log is printed at the end); then langchain's
# standard suite in its own environment.
# tools/find_browser.py finds a Chromium where users have one, or installs one (apt-get as root,
# else Playwright's); with none, it prints one line saying what to install. Chapter 10 appends
# how long its Phoenix took to start to build/phoenix-start.jsonl. `make test` ends with what
# each part took (build/test-times.txt) and pytest's seconds by kind of test (conftest.py's
# bill), so that the next growth of the suite is seen where it happens.
# Seconds into pytest at which the browser test starts. At 0 (ci: 624 s in all) it slowed
# chapters 11 and 10 by 55 and 74 s; at 150 (676 s) it met the package's server tests (Prefect's
# flow 165 s instead of 59): the machine has no quiet window for it, so it starts at once.
BROWSER_AFTER ?= 0
ENVS := $(STAMP) $(CONFORMANCE_STAMP) $(PHOENIX_STAMP) $(PREFECT_STAMP) $(AGENTS_STAMP)
test:
	@mkdir -p build; date +%s > build/test-start; \
	$(MAKE) -j5 --no-print-directory $(ENVS) || exit 1; \
	echo "environments  $$(( $$(date +%s) - $$(cat build/test-start) )) s" > build/test-times.txt
	@status=0; t=$$(date +%s); \
	lap() { now=$$(date +%s); printf '%-13s %s s\n' "$$1" $$((now - t)) >> build/test-times.txt; t=$$now; }; \
	$(LINT) || status=1; lap lint; \
	( sleep $(BROWSER_AFTER); $(VENV)/bin/python tools/find_browser.py --install \
	    && ORCHESTRA_BILL=build/test-bill-browser.txt ORCHESTRA_FORK_KERNELS=0 \
	       $(VENV)/bin/python -m pytest -n 0 tests/test_browser.py; \
	  echo $$? > build/browser.status; date +%s > build/browser.end ) > build/browser.log 2>&1 & \
	browser=$$!; begun=$$(date +%s); \
	ORCHESTRA_PHOENIX_LOG=$(CURDIR)/build/phoenix-start.jsonl ORCHESTRA_BILL=build/test-bill.txt \
	    $(VENV)/bin/python -m pytest --ignore=tests/test_browser.py || status=1; lap pytest; \
	$(CONFORMANCE) || status=1; lap conformance; \
	wait $$browser; echo; echo "== the browser test (build/browser.log)"; cat build/browser.log; \
	test "$$(cat build/browser.status)" = 0 || status=1; \
	printf '%-13s %s s (beside pytest)\n' browser $$(( $$(cat build/browser.end) - begun )) \
	    >> build/test-times.txt; \
	echo; echo "make test took (wall-clock):"; sed 's/^/  /' build/test-times.txt; \
	printf '  %-13s %s s\n' total $$(( $$(date +%s) - $$(cat build/test-start) )); \
	for bill in build/test-bill.txt build/test-bill-browser.txt; do \
	    test -f $$bill && sed 's/^/  /' $$bill; done; \
	exit $$status

# One style for the whole tree and the layers of STYLE.md: checked, not remembered.
LINT = $(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports
lint: $(STAMP)
	$(LINT)

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
	rm -rf $(VENV) $(CONFORMANCE_VENV) $(PHOENIX_VENV) $(PREFECT_VENV) $(AGENTS_VENV) .tools build

# langchain's standard chat-model suite (langchain-tests) for ChatAnthropic against the
# simulator, in its own environment: its pytest plugins would clash with the kit's run.
$(CONFORMANCE_STAMP): tests/conformance/pyproject.toml tests/conformance/uv.lock | $(UV)
	cd tests/conformance && UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(CONFORMANCE_VENV) \
	    $(abspath $(UV)) sync --frozen --python $(PYTHON) -q
	$(call compile-on-import,$(dir $@))
	@touch $@

CONFORMANCE = (cd tests/conformance && $(CURDIR)/$(CONFORMANCE_VENV)/bin/python -m pytest)
conformance: $(STAMP) $(CONFORMANCE_STAMP)
	$(CONFORMANCE)

# Arize Phoenix, the local trace UI of chapter 10, in its own environment: its pins conflict
# with the kit's. Measured on a fresh cache (2026-11-29): 5 s to create, 625 MB. The chapter
# starts its own server on free loopback ports; `make phoenix` serves one to browse, on
# 127.0.0.1:6006 (set `phoenix_url` in the chapter to send it the spans). Telemetry off.
$(PHOENIX_STAMP): setup/phoenix/pyproject.toml setup/phoenix/uv.lock | $(UV)
	cd setup/phoenix && UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(PHOENIX_VENV) \
	    $(abspath $(UV)) sync --frozen --python $(PYTHON) -q
	$(call compile-on-import,$(dir $@))
	@touch $@

phoenix: $(STAMP) $(PHOENIX_STAMP)
	mkdir -p build/phoenix
	PHOENIX_TELEMETRY_ENABLED=false PHOENIX_HOST=127.0.0.1 PHOENIX_PORT=6006 \
	    PHOENIX_WORKING_DIR=$(CURDIR)/build/phoenix $(PHOENIX_VENV)/bin/phoenix serve

# Prefect 3, the batch orchestrator that runs `orchestra sweep`'s points as tasks
# (tools/prefect_sweep.py), in its own environment: its pins (websockets among them) conflict
# with the kit's. Measured 2026-11-29 on the 2-core machine, shared with other jobs: 389 MB,
# 28 s to create from an empty cache (93 s from a warm one under a load average of 9: compiling
# to bytecode is most of it). Its server is ephemeral (started by the flow), its home build/prefect.
$(PREFECT_STAMP): setup/prefect/pyproject.toml setup/prefect/uv.lock | $(UV)
	cd setup/prefect && UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(PREFECT_VENV) \
	    $(abspath $(UV)) sync --frozen --python $(PYTHON) -q
	$(call compile-on-import,$(dir $@))
	@touch $@

prefect-env: $(PREFECT_STAMP)

# CrewAI and AutoGen, two of chapter 11's systems, in their own environment: crewai pins pydantic
# and anthropic below the kit's. The chapter runs their capstone runners as subprocesses
# (orchestra/examples/capstone_crewai.py, capstone_autogen.py) with PYTHONPATH at the repo.
# Measured on an empty cache (2026-11-29): 68 s to create, 1.0 GB (lancedb, pyarrow, chromadb
# and onnxruntime come with CrewAI), so `make lab` leaves it out. The runners turn telemetry off.
$(AGENTS_STAMP): setup/agents/pyproject.toml setup/agents/uv.lock | $(UV)
	cd setup/agents && UV_PROJECT_ENVIRONMENT=$(CURDIR)/$(AGENTS_VENV) \
	    $(abspath $(UV)) sync --frozen --python $(PYTHON) -q
	$(call compile-on-import,$(dir $@))
	@touch $@

agents: $(AGENTS_STAMP)

# The newest releases of the SDK and the integrations, in a throwaway environment: which of the
# integration tests and the conformance suite break, and why. Not part of `make test`.
check-latest: $(STAMP) | $(UV)
	$(VENV)/bin/python tools/check_latest.py --uv $(abspath $(UV))

.PHONY: conformance check-latest agents
