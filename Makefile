# The two commands, first: `make run` and `make test`.
HOST ?= 127.0.0.1
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres venv lint seed bench bench-smoke clean

run: $(STAMP) .env
	$(BIN)/python manage.py migrate --noinput -v 1
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v 0
	LOCAL_HTTP=true ALLOWED_HOSTS="$${ALLOWED_HOSTS:-$(HOST),localhost,127.0.0.1}" \
	  $(BIN)/python -m novosphere.wsserver -b $(HOST) -p $(PORT) --access-log - novosphere.asgi:application

# Runs the suite on SQLite (the embedded default), then on PostgreSQL. The tests
# that need Redis (marked `redis`) belong to the scale stack, PostgreSQL + Redis:
# they run on the PostgreSQL half only. The tests that touch no database run on the
# SQLite half only, those on a PostgreSQL cluster of their own on the PostgreSQL half only
# (tests/conftest.py; TEST_EVERY_BACKEND=true runs them on both).
test: $(STAMP)
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: $(STAMP)
	env -u DATABASE_URL $(BIN)/pytest -n 2 -m "not redis" $(PYTEST_ARGS)

test-postgres: $(STAMP)
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -n 2 $(PYTEST_ARGS)

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[test]"
	touch $(STAMP)

# What bench/ needs beyond the tests' packages, installed once per venv and pyproject.toml
# (`make bench-smoke` installed it again on every run).
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet ".[bench]"
	touch $(BENCH_STAMP)

# A local secret for `make run`, written once, never committed.
.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "wrote .env with a fresh SECRET_KEY"

# Every script in bench/ at a tiny size (seconds each), so that none of them rots;
# CI runs it after the tests. Needs PostgreSQL and Redis like `make test`.
bench-smoke: $(BENCH_STAMP)
	@set -e; for script in bench/*.py; do \
	  case "$$script" in bench/common.py) continue;; esac; \
	  echo "== $$script --smoke"; start=$$(date +%s); \
	  $(BIN)/python "$$script" --smoke > "/tmp/novosphere-$$(basename $$script .py)-smoke.log" 2>&1 \
	    || { tail -n 40 "/tmp/novosphere-$$(basename $$script .py)-smoke.log"; echo "FAIL: $$script --smoke"; exit 1; }; \
	  echo "   ok in $$(( $$(date +%s) - start )) s"; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles build *.egg-info
