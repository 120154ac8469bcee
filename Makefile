# Portolan — two commands: `make run` (demo on http://127.0.0.1:8000) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= $(CURDIR)/var
PYTEST_ARGS ?=

.PHONY: run test test-only lint install browser system clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the browser tests (the Playwright browser download does not work offline).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		else \
			echo "chromium is missing: run 'sudo apt-get install chromium' (or run make test as root)"; exit 1; \
		fi; \
	fi

# Pango from Debian for WeasyPrint (PDF export); present wherever chromium is.
system:
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
		else \
			echo "Pango is missing (PDF export): run 'sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0'"; exit 1; \
		fi; \
	fi

run: $(STAMP) system
	@mkdir -p $(DATA_DIR)
	@test -s $(DATA_DIR)/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $(DATA_DIR)/secret_key
	@chmod 600 $(DATA_DIR)/secret_key
	@export PORTOLAN_DATA_DIR=$(DATA_DIR) PORTOLAN_SECRET_KEY="$$(cat $(DATA_DIR)/secret_key)" \
		PORTOLAN_SSL_REDIRECT=0 PORTOLAN_SECURE_COOKIES=0; \
	$(BIN)/portolan migrate --no-input -v0 && \
	$(BIN)/portolan collectstatic --no-input -v0 && \
	$(BIN)/portolan demo --if-empty && \
	echo "Portolan is on http://127.0.0.1:8000 — log in as pmo / portolan-demo (or admin, contributor, executive, viewer)." && \
	$(BIN)/portolan runserver 127.0.0.1:8000 --noreload

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) system browser lint
	@mkdir -p $(DATA_DIR)
	PORTOLAN_DEBUG=1 PORTOLAN_DATA_DIR=$(DATA_DIR) $(BIN)/portolan makemigrations --check --dry-run >/dev/null
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-only: $(STAMP)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
