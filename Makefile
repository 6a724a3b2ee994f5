# The two commands of the README: `make run` and `make test`. Each creates .venv and
# installs what it needs on a machine that has only python3 and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test test-slow lint bench clean

run: $(RUN_STAMP)
	$(BIN)/newsbot run

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

# The long fault runs (a chat API down for a minute, repeated SIGKILLs): .ci/run runs them too.
test-slow: $(DEV_STAMP)
	$(BIN)/pytest -m longrun

bench: $(RUN_STAMP)
	$(BIN)/newsbot bench
	$(BIN)/newsbot bench feeds

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { echo "error: '$(PYTHON) -m venv' failed; on Debian/Ubuntu install python3-venv" >&2; exit 1; }
	$(PIP) install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -q -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -q -e '.[dev]'
	@touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
