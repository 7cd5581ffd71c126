# mlbp: two commands for a newcomer.
#   make run    create .venv, install mlbp, run the main job on the bundled example
#   make test   create .venv with dev extras, run the fast test suite on every core
#   make test-area AREA=deploy   the tests of one package, stopping at the first failure
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-area test-slow lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

# the bundled example is a project like any user's: its overlay is examples/restaurant_offers/conf
run: $(VENV)/.installed
	$(BIN)/mlbp --config-dir examples/restaurant_offers/conf

# one xdist worker per core, each with one native thread per pool (tests/conftest.py)
test: $(VENV)/.installed-dev
	$(BIN)/pytest -q -n auto --dist worksteal

test-area: $(VENV)/.installed-dev
	$(BIN)/pytest tests/$(AREA) -x -q

test-slow: $(VENV)/.installed-dev
	$(BIN)/pytest -q -m slow

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mlbp tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy mlbp/engine

# every benchmark in turn; each prints its ratio against the limit it chases (serve/log need `wrk`)
BENCHES = cache_ratio data_stages sweep serve score drift bandit log_overhead registry_concurrency
bench: $(VENV)/.installed-dev
	@for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || echo "(bench/$$b.py exited $$?)"; done

clean:
	rm -rf $(VENV) outputs multirun .mlbp
