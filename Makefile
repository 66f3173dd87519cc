# The README's two commands: `make run` and `make test`. Each sets up .venv when needed.
VENV ?= .venv
PYTHON ?= python3
PORT ?= 5000
BIN = $(VENV)/bin

.PHONY: run test lint bench translations audit audit-latest lock clean

# Installs exactly requirements.lock (every package pinned and hash-checked), then Tindak itself
# without resolving anything more; `pip check` fails here if pyproject.toml gained a dependency
# that the lock lacks (run `make lock`).
$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

## Regenerate requirements.lock from pyproject.toml (runtime + dev); LOCK_ARGS=--upgrade for newer pins
lock: $(BIN)/.installed
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) -o requirements.lock pyproject.toml

## Known vulnerabilities in the locked packages (PyPI's advisory data; needs PyPI's JSON API)
audit: $(BIN)/.installed
	$(BIN)/pip-audit --strict --disable-pip --vulnerability-service pypi -r requirements.lock

## The fallback where PyPI's per-release API does not answer: pins that are the latest release are
## checked against PyPI's advisories for it; older pins are named as not audited
audit-latest: $(BIN)/.installed
	$(BIN)/python scripts/audit_latest.py requirements.lock

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

## Static checks, as CI runs them: ruff (pyflakes, pycodestyle, import order) and mypy
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

## Print the benchmark figures (add ARGS=--quick for a short run)
bench: $(BIN)/.installed
	$(BIN)/python bench/engine.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache webapp/translations/*/LC_MESSAGES/*.mo tests/js/node_modules
