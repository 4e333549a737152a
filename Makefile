# Tokengate developer commands. Every target bootstraps .venv from requirements.lock first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.lock | cut -c1-16)
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 2

# The first Python >= 3.12 on PATH, else one that pyenv has installed.
PYTHON ?= $(shell for candidate in python3.13 python3.12 python3 \
	$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[3-9]*/bin/python3 \
	$${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3; do \
	  command -v $$candidate >/dev/null 2>&1 \
	  && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  && { command -v $$candidate; break; }; done)

# Settings that pass Django's deployment checks, for `check --deploy` in `make test`.
DEPLOY_CHECK_ENV := DJANGO_ENV=production ALLOWED_HOSTS=tokengate.example EMAIL_HOST=smtp.tokengate.example \
	SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -d '/+=') \
	API_KEY_PEPPER=check-deploy-pepper \
	FIELD_ENCRYPTION_KEYS=check:$$(head -c 32 /dev/urandom | base64)

.PHONY: help run serve test prod-smoke bench soak lint messages compilemessages lock clean

help:
	@echo "make run    - development server with demo data, Celery worker and beat (SQLite, no services)"
	@echo "make test   - ruff, mypy, deploy checks, migrations check and the pytest suite"
	@echo "make serve  - production ASGI server on \$$HOST:\$$PORT with \$$WEB_CONCURRENCY workers"
	@echo "make bench  - gateway vs a bare Django passthrough (PEER=litellm, BENCH_ARGS=--soak)"
	@echo "make prod-smoke - two production servers, worker and beat on PostgreSQL and Redis, checked end to end"
	@echo "make soak   - bounded soak (\$$SOAK_SECONDS, default 300) against PostgreSQL + Redis"
	@echo "make messages - extract translatable strings into locale/"
	@echo "make lock   - re-resolve requirements.lock from pyproject.toml (needs network)"

$(STAMP): requirements.lock
	@test -n "$(PYTHON)" || { echo "Python >= 3.12 not found (install it or set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $@

compilemessages: $(STAMP)
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0

run: $(STAMP) compilemessages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py create_demo_data
	$(PY) manage.py publish_default_policies
	$(PY) manage.py create_demo_channel
	@echo "Tokengate on http://$(HOST):$(PORT)/ (Ctrl-C stops the server, worker and beat)"
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; \
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=1 --without-gossip --without-mingle & \
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule & \
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) & \
	wait -n

serve: $(STAMP) compilemessages
	DJANGO_ENV=$${DJANGO_ENV:-production} $(PY) manage.py migrate --noinput
	DJANGO_ENV=$${DJANGO_ENV:-production} $(PY) manage.py collectstatic --noinput -v 0
	DJANGO_ENV=$${DJANGO_ENV:-production} exec $(BIN)/uvicorn config.asgi:application \
	  --host $(HOST) --port $(PORT) --workers $(WEB_CONCURRENCY) \
	  --proxy-headers --no-server-header --no-access-log --timeout-graceful-shutdown 30

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# axe-core for the browser tests' accessibility checks, pinned by its lock file.
E2E_NODE := tests/e2e/node_modules/.package-lock.json
$(E2E_NODE): tests/e2e/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/e2e --silent --no-audit --no-fund; \
	else echo "npm not found: the accessibility browser checks will fail (install npm)"; fi

test: lint compilemessages $(E2E_NODE)
	$(DEPLOY_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# PostgreSQL and Redis on 127.0.0.1 (database tokengate_bench, Redis db 1); see bench/README.md.
bench: $(STAMP) compilemessages
	$(PY) -m bench.run $(if $(PEER),--peer $(PEER)) $(BENCH_ARGS)

# Needs PostgreSQL and Redis on 127.0.0.1 (SMOKE_DATABASE_URL, SMOKE_REDIS_URL to change).
prod-smoke: $(STAMP) compilemessages
	$(PY) -m deploy.prod_smoke

# Several production workers, one PostgreSQL, one Redis and a faulty fake upstream; fails on
# any 500 or ledger drift (tests/reliability/soak.py says what it needs).
soak: $(STAMP) compilemessages
	$(PY) tests/reliability/soak.py

messages: $(STAMP)
	$(PY) manage.py makemessages --no-location --ignore=.venv --ignore=var \
	  -l en -l zh_Hans -l ja -l vi -l fr -l ru

lock:
	uv pip compile pyproject.toml --group dev --universal --python-version 3.12 \
	  --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) var
