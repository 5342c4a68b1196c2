# tsexplore: `make lab` opens the tour notebook, `make test` runs lint, types and the whole suite.
# Both set everything up on a fresh machine; a second run skips the set-up in seconds.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
ARGS   ?=
PYTEST_ARGS ?=
# Jupyter refuses to run as root without being told (containers and CI run as root).
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test lint types pytest bench setup browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	touch $(STAMP)

setup: $(STAMP) browser

# Debian's chromium drives the UI tests (Playwright's own browser download does not work here).
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian chromium for the UI tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; UI tests will be skipped"; \
	  else echo "warning: no chromium and no apt-get; UI tests will be skipped"; fi; \
	fi

lab: $(STAMP)
	$(BIN)/python -m tsexplore.sample --quiet
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks/tour.ipynb --port=$(PORT) $(ROOT_FLAG) $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check tsexplore tests benchmarks

types: $(STAMP)
	$(BIN)/mypy --strict tsexplore

pytest: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test: setup lint types pytest

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis test-artifacts
