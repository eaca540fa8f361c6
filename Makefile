# Two commands do all set-up on a fresh machine:
#   make run   zero-setup app on SQLite: venv, install, migrate, demo data, web + worker
#   make test  the whole suite against PostgreSQL and Redis (sets up what it needs first)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: run test bench lint install-run install-test clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(PY) scripts/ensure_env.py
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py ensure_schedules -v0
	$(PY) manage.py ensure_admin
	$(PY) manage.py load_demo
	$(PY) scripts/serve.py

test: $(VENV)/.test-deps
	$(PY) -m ruff check -q .
	$(PY) -m ruff format --check -q .
	scripts/test_services.sh
	$(PY) -m pytest --create-db $(PYTEST_ARGS)

bench: $(VENV)/.test-deps
	scripts/test_services.sh
	$(PY) bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.test-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles media
