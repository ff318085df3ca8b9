# OneThing: `make run` sets up and serves; `make test` sets up and runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test typecheck install demo bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)
	$(BIN)/pybabel -q compile -d web/translations

run: install
	$(BIN)/onething db init
	$(BIN)/onething audit keygen
	$(BIN)/onething certificates keygen
	$(BIN)/onething demo
	$(BIN)/onething run --host 127.0.0.1 --port 5000

test: install typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

typecheck: install
	$(BIN)/mypy --strict domain application
	$(BIN)/mypy infrastructure web

screenshots: install
	ONETHING_SCREENSHOTS=screenshots $(BIN)/python -m pytest -q tests/browser
	@echo "PNG files of the main pages are in ./screenshots/"

PG_BENCH ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

# Every benchmark, each printing its ratios against a baseline measured in the same run (figures and the
# before/after table: benchmarks/RESULTS.md). Needs the PostgreSQL server of PG_BENCH.
bench: install
	$(BIN)/python benchmarks/commands.py --postgres $(PG_BENCH)
	$(BIN)/python benchmarks/projections.py --events 50000 --postgres $(PG_BENCH)
	$(BIN)/python benchmarks/audit.py --events 50000
	$(BIN)/python benchmarks/web.py --cases 100000 --rounds 30
	$(BIN)/python benchmarks/latency.py --postgres $(PG_BENCH)
	$(BIN)/python benchmarks/http_load.py --postgres $(PG_BENCH)
	$(BIN)/python benchmarks/files.py --mb 100
	$(BIN)/python benchmarks/rules.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis *.egg-info
