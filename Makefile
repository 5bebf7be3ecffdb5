# Two entry points for a fresh machine (see README):
#   make demo   set up .venv and run the main job on the bundled example data
#   make test   set up .venv and run the test suite
# They print only what a person needs; the installer's output goes to .venv/install.log.
# CI (.ci/run) checks that a fresh clone's `make demo` prints at most 20 lines.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
LOG     = $(VENV)/install.log

.PHONY: setup demo test test-fast lint format lab bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "evalkit: installeren in $(VENV) (een paar minuten; details in $(LOG)) ..."
	@$(PYTHON) -m venv $(VENV) || { echo "evalkit: kon geen virtuele omgeving maken met $(PYTHON) (Python >= 3.11 met venv nodig)."; exit 1; }
	@{ $(PY) -m pip install --upgrade pip \
	   && $(PY) -m pip install -e ".[dev]" \
	   && $(PY) -m ipykernel install --sys-prefix --name python3; } > $(LOG) 2>&1 \
	 || { echo "evalkit: installeren mislukt. De laatste regels van $(LOG):"; tail -n 12 $(LOG); exit 1; }
	@touch $@
	@echo "evalkit: klaar met installeren."

demo: setup
	@$(VENV)/bin/evalkit demo
	@echo "Open het overzicht in een browser. Met eigen gegevens: README.md, 'From the template to one report'."

# Tests run in parallel (pytest-xdist): one worker per core, at most 4 (each worker holds its
# own copy of the libraries); no test depends on which worker runs it (executed notebooks are
# shared through tests/notebook_support.py, screenshot folders are per test file, and the
# PostgreSQL cases run in a pass of their own). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
XDIST = $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist load)

# The PostgreSQL cases share one database: they run afterwards in one process.
test: setup
	@$(PY) -m pytest -q -p no:cacheprovider $(XDIST) -k "not postgres"; s1=$$?; \
	 $(PY) -m pytest -q -p no:cacheprovider -p no:xdist -k postgres; s2=$$?; \
	 status=$$s1; [ $$status -eq 0 ] && status=$$s2; \
	 if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then \
	   echo "Let op: de browsertests zijn overgeslagen omdat Chromium ontbreekt. Aanzetten:"; \
	   echo "  sudo apt-get install chromium   (Debian/Ubuntu; .ci/run doet dit in CI), dan opnieuw: make test"; \
	 fi; exit $$status

# Lint: what CI checks before the tests (pyproject.toml [tool.ruff], [tool.mypy]); silent when clean.
# `make format` rewrites the files the way `ruff format --check` wants them.
lint: setup
	@$(VENV)/bin/ruff check --quiet . && $(VENV)/bin/ruff format --check --quiet . \
	 && $(VENV)/bin/mypy --no-error-summary evalkit \
	 || { echo "make lint: fix the findings above (make format rewrites the layout)"; exit 1; }

format: setup
	@$(VENV)/bin/ruff format --quiet . && $(VENV)/bin/ruff check --quiet --fix .

# The fast subset (under a minute): everything but tests marked slow (see tests/conftest.py).
# Each test file runs in one worker (--dist loadfile), so its imports and module fixtures are
# paid once. Bytecode caches (__pycache__, git-ignored) are written even where
# PYTHONDONTWRITEBYTECODE is set: without them every worker compiles evalkit and rewrites the
# test modules' asserts again on every run (about 4 s of CPU each). docs/development.md says
# what the subset covers and how long it takes.
XDIST_FAST = $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadfile)
test-fast: setup
	@PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -q -p no:cacheprovider -m "not slow" $(XDIST_FAST)

# JupyterLab refuses to start as root without --allow-root (containers, CI); a normal user gets
# no flag. Deferred (=): `id -u` runs only when the lab target is used.
LAB_ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(VENV)/bin/jupyter lab $(LAB_ROOT_FLAG) notebooks/

clean:
	rm -rf $(VENV) reports
