# Two entry points: `make demo` runs the sample clinic, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo serve test suite lint bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/microneedling demo

# The clinic web app on the default SQLite database (sample clinic, demo account; prints both).
serve: $(VENV)/.installed
	$(BIN)/microneedling serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: lint suite

# The tests alone, e.g. on a second Python: make suite PYTHON=python3.13 VENV=.venv313. (Lint and
# types are checked once, on the first Python; NumPy 2.5's stubs reject ndarray.max() with no axis.)
# pytest exits 5 when it collected nothing: that is a broken suite, not a pass.
suite: $(VENV)/.installed-dev
	$(BIN)/pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_simulate.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_analysis.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_crosstalk.py
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_lists.py
	$(BIN)/python benchmarks/bench_web.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_repeatability.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m benchmarks.bench_skin_tones
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_detection_limit.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench_cohort.py
	$(BIN)/pytest benchmarks --benchmark-only -p no:cacheprovider

# The CLI fuzz test with many more examples than CI runs (a fixed seed either way).
fuzz: $(VENV)/.installed-dev
	MICRONEEDLING_FUZZ_EXAMPLES=$${MICRONEEDLING_FUZZ_EXAMPLES:-300} $(BIN)/pytest tests/cli/test_fuzz_cli.py -q

clean:
	rm -rf $(VENV) .venv313 .pytest_cache .mypy_cache .ruff_cache
