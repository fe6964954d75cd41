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

.PHONY: run test lint setup clean models catalogs

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

# A real local language model for the tests: llama-cpp-python's server in its own virtualenv.
# llama-cpp-python builds from source (about 5 min on 2 cores), once: the wheel is kept beside
# the model files in the cache, and later setups install it from there.
LLM_VENV := .venv-llm
WHEELS := $(HOME)/.cache/interview-lens/wheels
LLAMA := llama-cpp-python==0.3.36

$(LLM_VENV)/.installed: requirements-llm.lock
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or 3.12 is needed (set PYTHON=...)" >&2; exit 1; }
	@test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install --quiet --upgrade pip
	@mkdir -p $(WHEELS)
	@ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || { \
		echo "building $(LLAMA) once (a few minutes)"; \
		$(LLM_VENV)/bin/python -m pip wheel --quiet --no-deps -w $(WHEELS) $(LLAMA); }
	$(LLM_VENV)/bin/python -m pip install --quiet --find-links $(WHEELS) -r requirements-llm.lock
	@touch $@

$(VENV)/.test: $(VENV)/.runtime requirements-test.lock
	$(PY) -m pip install --quiet -r requirements-test.lock
	@touch $@

setup: $(VENV)/.test models $(LLM_VENV)/.installed

run: $(VENV)/.runtime models
	$(PY) server.py

# The message catalogs (locales/): every message in the code into the .pot files, and merged into
# each language's .po for its translator (docs/translating.md).
catalogs: $(VENV)/.runtime
	$(PY) -m locales.update

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

test: $(VENV)/.test models $(LLM_VENV)/.installed lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) $(LLM_VENV) .pytest_cache .ruff_cache test-artifacts node_modules
