# One entry point for planners and CI. `make briefing` and `make test` install
# what they need first (virtual environment from requirements.lock, CJK fonts).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AS_OF ?=
# AS_OF reaches the shell only as an environment variable, quoted there ("$$AS_OF"): a value such as
# `2025Q2; rm -rf ~` is one (rejected) argument, never a command.
export AS_OF
# JupyterLab: local only and no browser by default (works on servers and in containers);
# --allow-root is added when make runs as root, where Jupyter otherwise refuses to start.
LAB_IP ?= 127.0.0.1
LAB_PORT ?= 8888
LAB_ARGS ?= --no-browser

.PHONY: setup fonts test-tools briefing test test-fast lab clean help

help:
	@echo "make briefing   build the reports from data/raw (installs what is missing)"
	@echo "make test       run the test suite (installs what is missing)"
	@echo "make test-fast  the quick loop while editing: every test but the whole-run ones (CI runs make test)"
	@echo "make lab        open JupyterLab on notebooks/ (LAB_IP, LAB_PORT, LAB_ARGS to change; prints the URL)"
	@echo "make setup      only install (.venv from requirements.lock, CJK fonts)"
	@echo "make clean      delete derived data and scratch output (data/clean, data/scratch, reports/scratch); never reports/"

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

# pdftotext reads the PDFs in the tests (as a reader copies text out of them)
test-tools:
	@bash scripts/ensure_test_tools.sh

briefing: setup
	$(PY) -m analysis briefing $${AS_OF:+--as-of "$$AS_OF"}

test: setup test-tools
	$(PY) -m pytest

test-fast: setup test-tools
	$(PY) -m pytest -m "not slow"

lab: setup
	@echo "Notebooks run here write to data/scratch/ and reports/scratch/ (not data/clean or reports/<quarter>/)."
	$(PY) -m jupyter lab notebooks/ --ip=$(LAB_IP) --port=$(LAB_PORT) $(LAB_ARGS) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# Derived data and scratch output only: published reports (and their history/) are what was sent
# to leadership and are never deleted by make; remove reports/ by hand if that is really meant.
clean:
	rm -rf data/clean data/scratch reports/scratch
