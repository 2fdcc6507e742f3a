# Seatwise: `make run` serves the demo on the embedded SQLite default; `make test` runs every test.
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make test` runs the suite on SQLite, then again on PostgreSQL when this answers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-postgres test-fast lint typecheck-root fuzz bench bench-peer schema clean scim-conformance

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/seatwise migrate
	$(BIN)/seatwise demo --ensure
	$(BIN)/seatwise serve --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest -p no:cacheprovider
	@if $(BIN)/python -m tests.pg_ready "$(TEST_DATABASE_URL)"; then \
		echo "== the same suite on PostgreSQL ($(TEST_DATABASE_URL))"; \
		TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/python -m pytest -p no:cacheprovider; \
	else \
		echo "== PostgreSQL does not answer at $(TEST_DATABASE_URL): SQLite run only"; \
	fi

test-sqlite: install
	$(BIN)/python -m pytest -p no:cacheprovider

test-postgres: install
	TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/python -m pytest -p no:cacheprovider

# The fast suite while developing: SQLite only, without the tests marked `slow` (`make test` runs them).
test-fast: install
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -p no:cacheprovider -m "not slow"

# Linters: ruff (lint and format check) over the tree, mypy over seatwise.gql and seatwise.models, and the
# architecture's import contracts (pyproject.toml [tool.importlinter], docs/architecture.md) with import-linter.
lint: install typecheck-root
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy -p seatwise.gql -p seatwise.models
	cd .typecheck && PYTHONPATH=. ../$(BIN)/lint-imports --no-cache ../pyproject.toml

# mypy and import-linter cannot follow setuptools' editable import hook: give them a source root,
# .typecheck/seatwise (git-ignored), whose subpackages are symlinks to the folders they install from.
typecheck-root:
	@mkdir -p .typecheck/seatwise
	@cp seatwise/__init__.py .typecheck/seatwise/__init__.py
	@for pkg in gql models migrations; do ln -sfn ../../$$pkg .typecheck/seatwise/$$pkg; done

# The API fuzzers (GraphQL and SCIM) with many more examples than the suite's default, on SQLite and then on
# PostgreSQL when it answers at TEST_DATABASE_URL (each run prints how many examples it sent).
FUZZ_EXAMPLES ?= 2000
fuzz: install
	env -u TEST_DATABASE_URL SEATWISE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -p no:cacheprovider -s tests/http/test_fuzz.py tests/http/test_scim_fuzz.py
	@if $(BIN)/python -m tests.pg_ready "$(TEST_DATABASE_URL)"; then \
		TEST_DATABASE_URL="$(TEST_DATABASE_URL)" SEATWISE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -p no:cacheprovider -s tests/http/test_fuzz.py tests/http/test_scim_fuzz.py; \
	else \
		echo "== PostgreSQL does not answer at $(TEST_DATABASE_URL): fuzzed on SQLite only"; \
	fi

# The SCIM 2.0 conformance checker (scim2-cli running scim2-tester) in its own virtual environment .venv-scim,
# pinned by tests/scim-conformance-requirements.txt, then run against a live server (`make test` runs it too).
SCIM_VENV := .venv-scim
SCIM_REQUIREMENTS := tests/scim-conformance-requirements.txt

$(SCIM_VENV)/.installed: $(SCIM_REQUIREMENTS)
	$(PYTHON) -m venv --clear $(SCIM_VENV)
	$(SCIM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(SCIM_REQUIREMENTS)
	cp $(SCIM_REQUIREMENTS) $(SCIM_VENV)/.installed

scim-conformance: install $(SCIM_VENV)/.installed
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -p no:cacheprovider -s tests/http/test_scim_conformance.py

schema: install
	$(BIN)/seatwise export-schema --output schema.graphql

# The benchmark (README "Benchmark"): organizations of 1,000 and 100,000 users on SQLite and on PostgreSQL
# (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/seatwise_bench: dropped and created), real servers,
# interleaved rounds; prints the tables and writes bench/results.json. About 7 minutes; options in BENCH_ARGS
# (e.g. BENCH_ARGS="--rounds 5"; `.venv/bin/python -m bench --help` lists them). Then the webhook benchmark
# (bench/webhooks.py): assignLicense + revokeLicense with no endpoint vs one, and deliveries per second.
# Between them the 100k / 1k ratios again on the `mixed` data shape (bench/shapes.py: conflicts spread over every page,
# 5% deleted users, 20 groups), at c=1, into bench/results-mixed.json (about 3 more minutes).
MIXED_OPERATIONS ?= seats,accessCheck,alerts,licenseConflicts,subscriptions,usersPage,idleLicenses
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench --shape mixed --operations $(MIXED_OPERATIONS) --concurrency 1 --no-workers --no-floors \
		--export-formats "" --output bench/results-mixed.json $(BENCH_ARGS)
	$(BIN)/python -m bench.webhooks --database sqlite
	@url="$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/seatwise_bench}"; \
	if $(BIN)/python -m tests.pg_ready "$${url%/*}/postgres"; then $(BIN)/python -m bench.webhooks --database postgres; fi
	@url="$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/seatwise_bench}"; \
	if $(BIN)/python -m tests.pg_ready "$${url%/*}/postgres"; then $(BIN)/python -m bench.plans; \
	else $(BIN)/python -m bench.plans --databases sqlite; fi

# Seatwise against PostGraphile (bench/peer, pinned, installed here with npm ci) on the same PostgreSQL data.
bench-peer: install bench/peer/node_modules/.installed
	$(BIN)/python -m bench --peer-only $(BENCH_ARGS)

bench/peer/node_modules/.installed: bench/peer/package.json bench/peer/package-lock.json
	cd bench/peer && npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) $(SCIM_VENV) *.egg-info seatwise.sqlite3* .typecheck bench/peer/node_modules
