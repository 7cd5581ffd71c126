# mlbp: two commands for a newcomer.
#   make run    create .venv, install mlbp, run the main job on the bundled example
#   make test   create .venv with dev extras, run the fast test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-slow lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/mlbp

test: $(VENV)/.installed-dev
	$(BIN)/pytest -q

test-slow: $(VENV)/.installed-dev
	$(BIN)/pytest -q -m slow

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check mlbp tests bench
	$(BIN)/lint-imports

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) outputs multirun .mlbp
