# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= data
# Debian packages the test suite talks to as real peers (SIP, media, prompts, browser).
DEB_TEST_PACKAGES := sip-tester baresip espeak-ng chromium sox
APT_GET := $(shell command -v apt-get 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test venv install install-test system-deps lint clean bench screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv install: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/centralino serve --data-dir $(DATA_DIR)

system-deps:
	@missing=""; for p in $(DEB_TEST_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ -z "$(APT_GET)" ]; then echo "missing Debian packages:$$missing (no apt-get here)"; exit 1; fi; \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

install-test: $(VENV)/.installed-test system-deps

lint: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install-test
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .hypothesis build src/*.egg-info

# Refresh docs/screenshots/ from the live browser test (real SIP calls) and the admin page test.
screenshots: install-test
	CENTRALINO_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q \
	  tests/e2e/test_e2e_desktop.py tests/web/test_web_browser.py
