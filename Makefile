# The two commands of the README: `make run` and `make test`. Each creates .venv and
# installs what it needs on a machine that has only python3 and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

# The versions installed are the locks' (exact pins with hashes, made by `make lock`), not
# whatever is newest that day: requirements.lock for run, requirements-dev.lock for test.
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock

.PHONY: run test test-slow lint bench lock clean

run: $(RUN_STAMP)
	$(BIN)/newsbot run

# The suite mostly waits (bots, subprocesses, local servers), so it runs on parallel workers
# (pytest-xdist), more than the 2 cores it was measured on: every test binds port 0 and
# makes its own database and folders (README, "Development"). `make test WORKERS=0` runs it
# in one process; `worksteal` hands a long test's queue-mates to an idle worker.
# PYTHONDONTWRITEBYTECODE (set on some machines, and in the image) is cleared for pytest: with
# it every worker rewrote and compiled every test module again (~9 s of CPU each instead of
# ~4 s) and every `newsbot` process the tests start compiled the bot's modules again.
# mypy (~12 s of CPU on a fresh clone) checks the types while the tests run, on the CPU
# their waits leave idle; its report comes after theirs, and either failing fails the rule.
WORKERS ?= 4
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	@types=$$(mktemp); $(BIN)/mypy > "$$types" 2>&1 & mypy=$$!; \
	echo "PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(WORKERS) --dist worksteal (and $(BIN)/mypy beside it)"; \
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(WORKERS) --dist worksteal; tests=$$?; \
	wait $$mypy; typed=$$?; echo "$(BIN)/mypy"; cat "$$types"; rm -f "$$types"; \
	[ $$tests -eq 0 ] && [ $$typed -eq 0 ]

# The long fault runs (a chat API down for a minute, repeated SIGKILLs): .ci/run runs them too.
# One at a time: each is a timeline of faults on its own bot, not meant to share the cores.
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

# The project itself goes in with --no-deps (everything it needs came from the lock) and
# --no-build-isolation (built with the lock's setuptools rather than one fetched unpinned).
$(RUN_STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(PIP) install -q --require-hashes -r $(LOCK)
	$(PIP) install -q --no-deps --no-build-isolation -e .
	@touch $@

$(DEV_STAMP): $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(PIP) install -q --require-hashes -r $(DEV_LOCK)
	$(PIP) install -q --no-deps --no-build-isolation -e .
	@touch $@ $(RUN_STAMP)

# Re-resolve the locks after a change to pyproject.toml's dependencies, keeping every pin
# that still fits; `make lock UPGRADE=1` moves every pin to the newest release allowed.
# One resolution for every platform (markers where they differ) from Python 3.11 up; the
# dev lock is constrained by the runtime one, so both install the same runtime versions.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade)
lock: $(DEV_STAMP)
	$(UV_COMPILE) --output-file $(LOCK)
	$(UV_COMPILE) --extra dev --constraint $(LOCK) --output-file $(DEV_LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
