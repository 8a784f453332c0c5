# Weiquan: the two commands a newcomer needs are `make demo` and `make test` (see README.md).
# Every target sets up what it needs first (scripts/bootstrap.sh: Debian packages, .venv, pip);
# that step is quick when nothing changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
PY       := $(VENV)/bin/python
SERVICES := $(PY) scripts/services.py
ARGS     ?=

# The demo always starts from an empty SQLite database, eager Celery and its own media folder.
DEMO_DB  := $(CURDIR)/demo.sqlite3
# Development settings (DEBUG, the published development keys): `make run` serves this database.
DEMO_ENV := DEBUG=true DATABASE_URL=sqlite:///$(DEMO_DB) CELERY_BROKER_URL= MEDIA_ROOT=$(CURDIR)/demo-media

.PHONY: help bootstrap test test-shifted check demo run worker serve smoke bench screenshots clean distclean

help:
	@echo "make demo     set up, build a fresh demo database, run 'manage.py demo' (PDFs in demo-output/)"
	@echo "make test     set up, pick PostgreSQL+Redis if they answer (else SQLite, eager Celery), run pytest"
	@echo "              extra pytest arguments: make test ARGS=\"-k journal -x\""
	@echo "make check    manage.py check, makemigrations --check, the import contracts (CI runs this first)"
	@echo "make test-shifted  the suite (no browser) once more at a shifted clock (faketime; CI runs it)"
	@echo "make run      the web server on the demo database: http://127.0.0.1:8000/"
	@echo "make worker   a Celery worker with beat (needs Redis or CELERY_BROKER_URL)"
	@echo "make serve    production web node: migrate, collectstatic, gunicorn (variables from the environment)"
	@echo "make smoke    gunicorn with DEBUG off on a fresh PostgreSQL database: sign in, a page, the API (CI runs it)"
	@echo "make fuzz-api schemathesis against a live server on the demo data: the API matches its schema (CI runs it)"
	@echo "make bench    run benchmarks/*.py"
	@echo "make screenshots  docs/inbox.png, docs/case.png, docs/dashboard.png from a fresh demo database"
	@echo "make clean    remove the demo database, demo output and caches (keeps .venv and db.sqlite3)"
	@echo "make distclean  clean, and remove .venv too"

bootstrap:
	@bash scripts/bootstrap.sh

test: bootstrap
	@$(SERVICES) test -- python -m pytest $(ARGS)

# The checks run on the test settings; `check --deploy` once more as a deployment would be set up
# (DEBUG off, real keys, a host name): any warning fails.
DEPLOY_ENV = DEBUG=false ALLOWED_HOSTS=weiquan.example.org DATABASE_URL=sqlite:///$(CURDIR)/.deploy-check.sqlite3 \
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	FIELD_ENCRYPTION_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')

check: bootstrap
	@DJANGO_SETTINGS_MODULE=config.test_settings $(SERVICES) test --label Checks -- python manage.py check
	@DJANGO_SETTINGS_MODULE=config.test_settings $(SERVICES) test --label Checks -- python manage.py makemigrations --check --dry-run
	@env $(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	@$(VENV)/bin/lint-imports --no-cache

# The suite once more on a shifted clock, so a test that only passes "today" fails here:
# a pre-dawn Spring Festival instant in Asia/Shanghai (faketime, Debian package; SQLite, no browser).
SHIFTED_CLOCK ?= 2027-02-06 01:30:00
test-shifted: bootstrap
	@command -v faketime >/dev/null || { echo "test-shifted: needs faketime (sudo apt-get install faketime)"; exit 3; }
	@echo "Test run: shifted clock $(SHIFTED_CLOCK) Asia/Shanghai (faketime), SQLite, no browser tests"
	@env -u DATABASE_URL -u CELERY_BROKER_URL TZ=Asia/Shanghai \
	  faketime -f "@$(SHIFTED_CLOCK)" $(PY) -m pytest -q -p no:cacheprovider -m "not browser and not celery_worker" $(ARGS)

demo: bootstrap
	@rm -f $(DEMO_DB) $(DEMO_DB)-journal
	@rm -rf demo-output demo-media
	@echo "demo: fresh database $(DEMO_DB)"
	@$(DEMO_ENV) $(PY) manage.py migrate --no-input -v 0
	@$(DEMO_ENV) $(PY) manage.py demo
	@n=$$(find demo-output -name '*.pdf' 2>/dev/null | wc -l); \
	  echo "demo: $$n PDF(s) in $(CURDIR)/demo-output/"; \
	  echo "demo: 'make run' serves this database at http://127.0.0.1:8000/ (sign in as zhou.min, zheng.li, ...)"

run: bootstrap
	@DEBUG=$${DEBUG:-true} $(SERVICES) dev -- python manage.py runserver 127.0.0.1:8000

worker: bootstrap
	@DEBUG=$${DEBUG:-true} $(SERVICES) dev --require-broker -- celery -A config worker -B -l info

# A production web node (README.md, "Running in production"): the settings come from the
# environment as they are (DEBUG off unless set: SECRET_KEY, FIELD_ENCRYPTION_KEY, DATABASE_URL,
# ALLOWED_HOSTS, ...). It refuses to start on a database with migrations not applied (they are a
# release step, run once, as the tables' owner: `manage.py migrate`), collects the static files
# into STATIC_ROOT, then runs gunicorn with config/gunicorn.py.
serve: bootstrap
	@$(PY) manage.py migrate --check >/dev/null || { echo "serve: not starting: the database is unreachable (above) or has migrations not applied (run 'manage.py migrate' first: README.md, \"Running in production\")" >&2; exit 1; }
	@$(PY) manage.py collectstatic --no-input -v 0
	@exec $(PY) -m gunicorn -c config/gunicorn.py

# The production run end to end on PostgreSQL (scripts/smoke.py): its own database, DEBUG off,
# generated keys, gunicorn; signs in, loads a styled page, walks an API path; drops the database.
smoke: bootstrap
	@$(PY) scripts/smoke.py

# The API fuzzed against its own OpenAPI schema (scripts/fuzz_api.py): a scratch database with the
# demo data, gunicorn with the throttles raised, `schemathesis run --checks all` as a supervisor and
# as a company contact; any failure fails. WEIQUAN_FUZZ_EXAMPLES=20 for a deeper run.
.PHONY: fuzz-api
fuzz-api: bootstrap
	@$(PY) scripts/fuzz_api.py

bench: bootstrap
	@shopt -s nullglob; files=(benchmarks/[!_]*.py); \
	  if [ $${#files[@]} -eq 0 ]; then echo "bench: no benchmarks/*.py yet"; exit 0; fi; \
	  for f in "$${files[@]}"; do echo "== $$f"; $(PY) "$$f" || exit $$?; done

screenshots: bootstrap
	@$(PY) scripts/screenshots.py

clean:
	rm -rf demo.sqlite3 demo.sqlite3-journal demo-output demo-media .pytest_cache .hypothesis *.egg-info staticfiles celerybeat-schedule*
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
