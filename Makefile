# qbattery developer commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-slow lint bench docs docs-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/qbattery reproduce --out results/paper
	@echo "Figures, data and checks are in results/paper/"

# Two pytest workers on two cores: one BLAS thread each, or OpenBLAS's threads of both
# workers contend for the cores (a sparse-LU test ran 10x slower in one CI run).
ONE_THREAD := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

test: $(STAMP)
	$(ONE_THREAD) $(BIN)/python -m pytest -q -n 2 --durations=15 --doctest-modules tests src/qbattery

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow tests

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

DOCS_CHECK_STAMP := $(VENV)/.installed-docs-check
$(DOCS_CHECK_STAMP): pyproject.toml $(DOCS_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs-check]'
	touch $(DOCS_CHECK_STAMP)

# The site, into docs/_build/html: warnings are errors, every tutorial is executed.
# The output directory starts empty, so no page of an older build is left behind.
docs: $(DOCS_STAMP)
	rm -rf docs/_build/html
	$(BIN)/python -m sphinx -b html -W --keep-going -E docs docs/_build/html

# Render every page of the built site in headless Chromium: figures load, equations are
# typeset, no markup is left raw, nothing overflows, nothing is loaded from the network.
docs-check: docs $(DOCS_CHECK_STAMP)
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	$(BIN)/python docs/check_site.py docs/_build/html --screenshots docs/_build/screenshots

clean:
	rm -rf $(VENV) results docs/_build .pytest_cache .mypy_cache .ruff_cache
	rm -rf docs/auto_examples docs/gen_modules docs/sg_execution_times.rst
