# skillgap — the two commands are `make demo` and `make test`; the rest are helpers.
# Everything runs offline except `make test`'s one-time installation of test tools
# (Python packages from PyPI into .venv, Debian's chromium for the browser tests).

CARGO   ?= cargo
PYTHON  ?= python3
VENV    := .venv
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)
BIN     := $(TARGET_DIR)/debug/skillgap
PIPELINE ?= pipelines/demo.toml
# The tests build every feature (Apache Ballista included), so that one DataFusion build
# serves the binary and every test; `make demo` keeps the lean default build.
TEST_FEATURES := --features skillgap-cli/ballista

.PHONY: demo test build build-test test-deps system-deps test-rust test-python fixtures docs lint clean hdf hdf-ze bench fuzz

## demo: build, run the pipeline on the committed fixtures, say where the outputs are.
demo: build
	SKILLGAP_LOG=warn $(BIN) run --pipeline $(PIPELINE) --semester 2026-S1 > /dev/null
	$(BIN) run --pipeline $(PIPELINE)
	@echo
	@echo "Query the gold tables:  $(BIN) sql \"SELECT code_bassin, code_rome, offres, libelle_tension FROM gold.competence_gap LIMIT 10\""
	@echo "or with DuckDB:         SELECT * FROM read_parquet('out/demo/current/gold/competence_gap/*.parquet');"
	@echo "Gap sheets:             out/demo/current/sheets/index.html (one HTML and one XLSX per bassin)"

build:
	$(CARGO) build --locked -p skillgap-cli

build-test:
	$(CARGO) build --locked -p skillgap-cli $(TEST_FEATURES)

## test: install what the tests need, then run every test (Rust and Python), the
## multi-process Ballista cluster test included.
test: test-deps build-test test-rust test-python

test-deps: $(VENV)/.installed system-deps

## system-deps: Debian's headless Chromium, for the sheets' browser tests and PDF.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

$(VENV)/.installed: tests/python/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

test-rust:
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --locked --workspace $(TEST_FEATURES) --no-fail-fast; \
	else \
		$(CARGO) test --locked --workspace $(TEST_FEATURES) --no-fail-fast; \
	fi

test-python: build-test
	SKILLGAP_BIN=$(abspath $(BIN)) $(VENV)/bin/python -m pytest -q tests/python

## fuzz: the robustness campaign at full budget: every reader fed mutated inputs for
## FUZZ_SECONDS each (make test runs a 1.5 s smoke of it); findings keep their inputs.
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= $(shell date +%s)
fuzz:
	SKILLGAP_FUZZ_SECONDS=$(FUZZ_SECONDS) SKILLGAP_FUZZ_SEED=$(FUZZ_SEED) $(CARGO) nextest run --locked --workspace $(TEST_FEATURES) \
		-E 'test(every_reader_survives_mutated_inputs)' --no-capture

## bench: benchmarks beside the reference tools (DuckDB, geopandas), written to docs/benchmarks.md.
bench: test-deps
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(CARGO) build --locked --release -p skillgap-bench -p skillgap-cli $(TEST_FEATURES)
	$(VENV)/bin/python bench/run.py

## hdf: Hauts-de-France on the files its users download (fixtures/real: BMO 2024 XLSX, BMO
## bassins, Admin Express communes, ROME 4.0, DARES FAP), with generated activity where no
## public source exists here; hdf-ze: the same activity on INSEE's zones d'emploi 2020.
REAL := fixtures/real
hdf: build
	$(BIN) fixtures generate --scale demo --seed 42 --bmo-communes $(REAL)/communes_bassins_bmo.csv --commune-polygons $(REAL)/communes_hdf.geojson --region 32 --out out/hauts-de-france/inputs
	$(BIN) referentials build --rome $(REAL)/rome4_referentiel_code_rome_v460.csv --rome-fap2009 $(REAL)/rome_v3_fap2009_dares.xls --fap2021 $(REAL)/fap2021_nomenclature.csv --out out/hauts-de-france/referentials
	$(BIN) run --pipeline pipelines/hauts-de-france.toml
	@echo
	@echo "Gap sheets:  out/hauts-de-france/current/sheets/index.html (one HTML and one XLSX per BMO bassin)"
	@echo "Tables:      out/hauts-de-france/current/{silver,gold,public}/ — $(BIN) sql --pipeline pipelines/hauts-de-france.toml \"SELECT …\""

hdf-ze: build
	$(BIN) fixtures generate --scale demo --seed 42 --grid-communes $(REAL)/communes_ze2020_hdf.csv --grid-zones $(REAL)/zones_emploi_hdf.geojson --out out/hauts-de-france-ze/inputs
	$(BIN) run --pipeline pipelines/hauts-de-france-ze.toml
	@echo "Gap sheets:  out/hauts-de-france-ze/current/sheets/index.html"

## fixtures: regenerate the committed demo fixtures (review the diff before committing).
fixtures: build
	rm -rf fixtures/demo
	$(BIN) fixtures generate --scale demo --seed 42 --out fixtures/demo

## docs: regenerate docs/tables.md from schemas/*.yml.
docs: build
	$(BIN) docs tables > docs/tables.md

lint:
	$(CARGO) clippy --workspace --all-targets $(TEST_FEATURES) -- -D warnings
	$(CARGO) fmt --all -- --check

clean:
	rm -rf out target $(VENV)
