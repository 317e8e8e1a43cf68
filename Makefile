# Đôn Đốc — `make run` serves the product, `make test` runs the suite (see README).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# pytest-xdist workers; the suite is parallel-safe (one database per worker)
JOBS ?= auto
export FLASK_APP := app

.PHONY: run test test-sqlite test-postgres journeys lint bench venv translations system-deps node-deps clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

translations: venv
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | tail -1

# Debian packages the product and its tests use: pango (WeasyPrint's text layout), Liberation fonts
# (Times-compatible, for reports), harfbuzz subsetting (fast WeasyPrint fonts), poppler-utils (PDF → PNG
# for charts in Word and for looking at reports), Chromium (browser tests).
# Installed where we can (root with apt); elsewhere the tests that need them say so and skip.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2 libharfbuzz-subset0 poppler-utils chromium
system-deps:
	@if command -v dpkg >/dev/null && ! dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null) \
	      || echo "system-deps: could not install $(SYSTEM_PACKAGES); tests that need them will be skipped"; \
	  else echo "system-deps: not root; install $(SYSTEM_PACKAGES) to run every test"; fi; \
	fi

# axe-core for the journeys' accessibility checks, from the npm registry (tests/journeys/package-lock.json)
AXE := tests/journeys/node_modules/axe-core/axe.min.js
node-deps: $(AXE)
$(AXE): tests/journeys/package.json tests/journeys/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/journeys --no-audit --no-fund --silent && touch $@; \
	else echo "node-deps: npm not found; the journeys' accessibility checks will fail"; fi

run: venv translations system-deps
	PORT=$(PORT) $(BIN)/python -m tracker.launch

test: venv translations system-deps node-deps
	$(BIN)/pytest -q -n $(JOBS) $(PYTEST_ARGS)

test-sqlite: venv translations node-deps
	$(BIN)/pytest -q -n $(JOBS) $(PYTEST_ARGS)

# Only the journeys: the product started as `make run` starts it, driven in Chromium (tests/journeys/)
journeys: venv translations system-deps node-deps
	$(BIN)/pytest -q -n 0 tests/journeys $(PYTEST_ARGS)

# The same suite against this machine's PostgreSQL and Redis servers
test-postgres: venv translations node-deps
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	TEST_REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	$(BIN)/pytest -q -n $(JOBS) $(PYTEST_ARGS)

# ruff, then the layers of docs/architecture.md as import-linter contracts (pyproject.toml)
# (no cache: a stale import-linter cache once passed here what failed on a fresh checkout)
lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: venv translations
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance/dondoc.sqlite3 tests/out bench/out tests/journeys/node_modules
