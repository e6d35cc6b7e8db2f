# Two commands do everything on a fresh machine with Python 3.11 or newer:
#   make book   build the website into _build/html
#   make test   run every test: lint; unit, property and reference tests; every notebook
#               under several BLAS kernels; Binder's environment; the book build; browser
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The oldest Python the course supports is the one Binder builds with.
MIN_PYTHON := $(patsubst python-%,%,$(strip $(file < runtime.txt)))

PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider
# For `make unit`: the tests spread over the cores (pytest-xdist). Each module, or class,
# runs whole on one worker, so a module's shared fixture is made once.
XDIST := -n auto --dist loadscope
# Tests that need the built website; they run after build-strict.
SITE_TESTS := tests/browser tests/test_launch_urls.py
# The notebooks in a real JupyterLab, in a browser; they need no built website.
LAB_TESTS := tests/lab
# The student edition, written and its website built by Jupyter Book: a line of its own.
EDITION_TESTS := tests/test_student.py
NOT_SITE := $(addprefix --ignore=,$(SITE_TESTS) $(LAB_TESTS))

.PHONY: book translations test lint unit portability binder checks edition notebooks build-strict browser \
	site lab screenshots \
	bench student clean help bytecode

help:
	@echo "make book     build the website into _build/html"
	@echo "make test     run every test"
	@echo "make bench    run the benchmarks"
	@echo "make screenshots  photograph every page of the built website whole"
	@echo "make student  write the student edition into student/"
	@echo "make clean    remove build outputs"

$(BIN)/python:
	@$(PYTHON) -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$(MIN_PYTHON)'.split('.'))))" \
	  || { echo "The course needs Python $(MIN_PYTHON) or newer; $(PYTHON) is older."; \
	       echo "Name a newer one: make PYTHON=python$(MIN_PYTHON) ..."; exit 1; }
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

# The course package's bytecode, written once (only what changed): a machine that sets
# PYTHONDONTWRITEBYTECODE would otherwise compile lrcourse again in every kernel, test
# worker and grading sandbox.
bytecode: $(VENV)/.book-deps
	@$(BIN)/python -m compileall -q lrcourse

# Both editions: English in _build/html, Chinese in _build/html/zh, from one execution of
# the notebooks (tools/build_book.py).
book: $(VENV)/.book-deps bytecode
	$(BIN)/python tools/build_book.py
	@echo
	@echo "The website is in _build/html (English) and _build/html/zh (Chinese). Open"
	@echo "_build/html/index.html in a browser, or serve it:"
	@echo "  $(BIN)/python -m http.server -d _build/html 8000"

# After changing English text: extract the messages and merge them into the Chinese
# catalogs (locales/zh_CN); new and changed messages are then empty or fuzzy, and the
# Chinese build fails until they are translated.
translations: $(VENV)/.book-deps
	$(BIN)/python tools/build_book.py --messages

# Independent lines of work share the cores: the test suite, the portability runs, the
# student edition (written, then its website built), Binder's environment (mostly
# installing), the website (built, then tested in a browser) and the notebooks in a live
# JupyterLab. Each is one process at a time (or a kernel or browser it drives), so
# together they keep every core busy; the test suite is not also spread over the cores
# (pytest-xdist), which cost its workers about 25 CPU-s more in collecting and
# coordinating than one process. Each line's output is printed when it finishes; a
# failing line does not stop the others.
test: $(VENV)/.test-deps bytecode
	$(MAKE) --no-print-directory --keep-going -j7 --output-sync=target \
	  lint checks portability edition binder site lab

lint: $(VENV)/.test-deps
	$(BIN)/ruff check lrcourse tests bench tools _ext

# Every test that needs neither the built website, the student edition nor Binder's
# environment, except the portability runs: unit, property and reference tests,
# checkers, grading (otter-grader's own runs included).
checks: $(VENV)/.test-deps bytecode
	$(PYTEST) tests $(NOT_SITE) --ignore=$(EDITION_TESTS) -m "not binder and not portability"

# The student edition: written from the chapters, its website built by Jupyter Book as
# an instructor's `make student` builds it, then searched for any trace of a solution.
edition: $(VENV)/.test-deps bytecode
	$(PYTEST) $(EDITION_TESTS)

unit: $(VENV)/.test-deps bytecode
	$(PYTEST) tests $(XDIST) $(NOT_SITE) -m "not binder and not portability and not slow"

# Every notebook under the OpenBLAS kernels Prescott, Nehalem and Sandybridge with one
# thread and Haswell with the machine's threads (the machine's own kernel with its
# threads is the book build's run).
portability: $(VENV)/.test-deps bytecode
	$(PYTEST) tests/test_portability.py

# What Binder does: repo2docker's Python and pip steps in a fresh environment, then every
# notebook in it.
binder: $(VENV)/.test-deps bytecode
	$(PYTEST) tests/test_binder.py

# Every notebook under nbval in this environment: a quick check while writing a chapter
# (make test runs them in the book build and the portability runs).
notebooks: $(VENV)/.test-deps bytecode
	$(PYTEST) --nbval-lax --nbval-current-env chapters/

# The book, executed from scratch, with Sphinx warnings and notebook errors as errors.
# It runs in the environment as given: this is the machine's own BLAS kernel's run.
build-strict: $(VENV)/.book-deps bytecode
	rm -rf _build/html _build/.doctrees _build/.doctrees-zh _build/jupyter_execute
	$(BIN)/python tools/build_book.py --strict

lab: $(VENV)/.test-deps bytecode
	$(PYTEST) $(LAB_TESTS)

# The browser and launch-link tests, against the website as last built.
browser: $(VENV)/.test-deps bytecode
	$(PYTEST) $(SITE_TESTS)

site: build-strict $(VENV)/.test-deps
	$(PYTEST) $(SITE_TESTS)

# Every page of the website as last built, photographed whole into _build/screenshots/
# (the browser tests take each page's first screen only).
screenshots: $(VENV)/.test-deps bytecode
	LRCOURSE_SCREENSHOTS=full $(PYTEST) tests/browser/test_site.py -k screenshot

bench: $(VENV)/.test-deps bytecode
	$(BIN)/python -m bench

# The student edition (student/, a repository of its own) and, beside it and never
# published, one otter-grader autograder per chapter (autograders/).
student: $(VENV)/.test-deps bytecode
	$(BIN)/python -m lrcourse.student --out student --autograders autograders

clean:
	rm -rf _build student autograders
