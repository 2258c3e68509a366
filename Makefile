# Two commands (see README):  make run   — install, build the demo, analyse, start the app
#                             make test  — install and run every test (what CI runs)
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PORT    ?= 8501
PLOTS   ?= 4000

.PHONY: install run demo analyze app test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m geoapp.offline --install
	bash scripts/ensure_fonts.sh

demo.gpkg: | install
	$(BIN)/geoapp demo demo.gpkg --plots $(PLOTS)

demo: install
	$(BIN)/geoapp demo demo.gpkg --plots $(PLOTS)

analyze: demo
	$(BIN)/geoapp analyze demo.gpkg --out out/

run: analyze
	$(BIN)/geoapp app demo.gpkg --port $(PORT)

test: install
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_postgis.sh
	bash scripts/ensure_fonts.sh --test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf out demo.gpkg tests/artifacts benchmarks/results
