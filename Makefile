# Two commands do everything on a fresh machine with Python 3:
#   make book   build the website into _build/html
#   make test   run every test (lint, unit and property tests, notebooks, book build, browser)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BOOK_OPTS := --all

.PHONY: book test lint unit notebooks build-strict browser binder bench student clean help

help:
	@echo "make book     build the website into _build/html"
	@echo "make test     run every test"
	@echo "make bench    run the benchmarks"
	@echo "make student  write the student edition into student/"
	@echo "make clean    remove build outputs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.book-deps: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# PyTorch is optional: the tests compare against stored PyTorch numbers, and also live
# when torch is importable. It is installed only if pip finds torch 2.13.0 without the
# index (a local wheel): the registry's build is gigabytes.
$(VENV)/.test-deps: requirements-test.txt $(VENV)/.book-deps
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	@if $(BIN)/python -c "import torch" 2>/dev/null; then :; \
	elif $(BIN)/python -m pip download --quiet --no-index --no-deps \
	        --dest $(VENV)/.torch-wheel torch==2.13.0 >/dev/null 2>&1; then \
	  echo "installing torch 2.13.0 from a local wheel for the live PyTorch comparisons"; \
	  $(BIN)/python -m pip install --quiet --find-links $(VENV)/.torch-wheel torch==2.13.0; \
	  rm -rf $(VENV)/.torch-wheel; \
	else echo "torch 2.13.0 is not available offline: live PyTorch comparisons will skip"; fi
	touch $@

book: $(VENV)/.book-deps
	$(BIN)/jupyter-book build . $(BOOK_OPTS)
	@echo
	@echo "The website is in _build/html. Open _build/html/index.html in a browser,"
	@echo "or serve it: $(BIN)/python -m http.server -d _build/html 8000"

lint: $(VENV)/.test-deps
	$(BIN)/ruff check lrcourse tests bench tools _ext

# Tests that need the built website (browser, launch URLs) run after build-strict;
# the slow fresh-install test (marked binder) has its own target.
unit: $(VENV)/.test-deps
	$(BIN)/python -m pytest tests -q --ignore=tests/browser --ignore=tests/test_launch_urls.py \
		-m "not binder"

notebooks: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env chapters/

# The book, executed from scratch, with Sphinx warnings (and notebook errors) as errors.
build-strict: $(VENV)/.book-deps
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going

browser: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q tests/browser tests/test_launch_urls.py

# What Binder does: requirements.txt alone, in a fresh environment, runs every notebook.
binder: $(VENV)/.test-deps
	$(BIN)/python -m pytest -q -m binder tests/test_binder.py

test: lint unit notebooks build-strict browser binder

bench: $(VENV)/.test-deps
	$(BIN)/python -m bench

student: $(VENV)/.test-deps
	$(BIN)/python -m lrcourse.student --out student

clean:
	rm -rf _build student
