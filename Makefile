# The README's two commands: `make run` and `make test`. Each sets up .venv when needed.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 5000
BIN = $(VENV)/bin

.PHONY: run test bench translations clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## Compile the Indonesian and English message catalogs
translations: $(BIN)/.installed
	$(BIN)/pybabel compile -d webapp/translations >/dev/null

## Set up, load the demo (kept across runs) and serve on http://127.0.0.1:$(PORT)
run: translations
	$(BIN)/tindak init --demo
	$(BIN)/tindak serve --with-worker --bind 127.0.0.1:$(PORT)

## Set up and run the whole test suite
test: translations
	$(BIN)/python -m pytest

## Print the benchmark figures (add ARGS=--quick for a short run)
bench: $(BIN)/.installed
	$(BIN)/python bench/engine.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache webapp/translations/*/LC_MESSAGES/*.mo tests/js/node_modules
