# `make run` and `make test` set everything up on a fresh machine: a virtualenv in .venv with
# the locked dependencies and the model files (fetched once into the cache), then serve or test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The first interpreter that runs and is a supported version (3.11 or 3.12); override with
# `make PYTHON=/path/to/python3.x`.
PYTHON ?= $(shell for p in python3 python3.11 python3.12; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)

.PHONY: run test lint setup clean models

$(VENV)/.runtime: requirements.lock
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or 3.12 is needed (set PYTHON=...)" >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -c "import mediapipe, aiortc, webrtcvad; print('runtime ready:', mediapipe.__version__)"
	@touch $@

# Model files that are not shipped inside a package: fetched once into the cache, verified.
models: $(VENV)/.runtime
	$(PY) server.py fetch-models

$(VENV)/.test: $(VENV)/.runtime requirements-test.lock
	$(PY) -m pip install --quiet -r requirements-test.lock
	@touch $@

setup: $(VENV)/.test models

run: $(VENV)/.runtime models
	$(PY) server.py

# The page scripts' type checker (TypeScript, checkJs over JSDoc), from the npm registry.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm is needed for make lint (apt-get install npm)" >&2; exit 1; }
	npm ci --silent --no-audit --no-fund
	@touch $@

# ruff, then mypy over the whole tree for the Python CI runs (3.11) and for 3.12; then the
# page scripts, type-checked as TypeScript would (jsconfig.json).
lint: $(VENV)/.test node_modules/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m mypy --python-version 3.12
	node_modules/.bin/tsc -p jsconfig.json

test: $(VENV)/.test models lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts node_modules
