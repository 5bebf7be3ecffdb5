# Two entry points for a fresh machine (see README):
#   make demo   set up .venv and run the main job on the bundled example data
#   make test   set up .venv and run the test suite
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: setup demo test test-fast lab bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

demo: setup
	$(VENV)/bin/evalkit demo

test: setup
	$(PY) -m pytest -q

# The fast subset (under a minute): everything but tests marked slow (see tests/conftest.py).
test-fast: setup
	$(PY) -m pytest -q -m "not slow"

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) reports
