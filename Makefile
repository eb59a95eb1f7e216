# One entry point for planners and CI. `make briefing` and `make test` install
# what they need first (virtual environment from requirements.lock, CJK fonts).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AS_OF ?=

.PHONY: setup fonts briefing clean-data test lab clean help

help:
	@echo "make briefing   build the reports from data/raw (installs what is missing)"
	@echo "make test       run the test suite (installs what is missing)"
	@echo "make lab        open JupyterLab on notebooks/"
	@echo "make setup      only install (.venv from requirements.lock, CJK fonts)"

setup: $(STAMP) fonts

# Reinstall whenever the pins or the package metadata change.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) scripts/check_python.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

fonts:
	@bash scripts/ensure_cjk_fonts.sh

briefing: setup
	$(PY) -m analysis briefing $(if $(AS_OF),--as-of $(AS_OF),)

test: setup
	$(PY) -m pytest

lab: setup
	$(PY) -m jupyter lab notebooks/

clean:
	rm -rf data/clean reports
