# Two commands on a fresh machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 7071
STATE := .local
LOCAL_ENV = eval "$$($(PY) scripts/local_env.py)"

.PHONY: run test install services migrate stop lint typecheck unit bench clean help

help:
	@echo "make run       install, start the local services and the local Functions host"
	@echo "make test      the same set-up, then ruff, mypy and the whole test suite"
	@echo "make services  only the local services (Redis, PostgreSQL+pgvector, Azurite) + migrations"
	@echo "make stop      stop the host and the services this project started"

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

local.settings.json:
	cp local.settings.sample.json local.settings.json

services: install local.settings.json
	@scripts/services.sh start
	@$(LOCAL_ENV) && $(PY) -m shared.stores.migrate

migrate: services

# The host runs in the background so that `make run` returns; re-running it when all is up is quick.
run: services
	@scripts/devhost.sh start $(HOST) $(PORT)

stop:
	@scripts/devhost.sh stop
	@scripts/services.sh stop

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

test: services lint typecheck
	$(LOCAL_ENV) && $(PY) -m pytest

bench: services
	@$(LOCAL_ENV) && for suite in $$($(PY) -c "from bench.__main__ import suites; print(*suites())"); do \
		$(PY) -m bench $$suite || exit 1; done

clean: stop
	rm -rf $(STATE) $(VENV) .pytest_cache .mypy_cache .ruff_cache
