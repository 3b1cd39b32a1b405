# The template's two commands: `make demo` and `make test`. Each makes and uses .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo

.PHONY: demo test lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --group dev
	touch $@

# Generate the default project into build/demo and run its pipeline on this machine.
demo: $(BIN)/.installed
	rm -rf $(DEMO_DIR)
	$(BIN)/cookiecutter --no-input --output-dir $(DEMO_DIR) .
	$(MAKE) -C $(DEMO_DIR)/admission-risk run
	@echo "Demo project: $(DEMO_DIR)/admission-risk (its README explains what is there)"

# The template's whole suite: prompts and hooks, every option combination, generated projects
# installed and tested, cruft updates.
test: $(BIN)/.installed
	$(BIN)/python -m pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check hooks tests
	$(BIN)/ruff format --check hooks tests

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache
