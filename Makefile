# One command to run the app, one to run every test. Each sets up what it needs first
# (virtualenv, Python packages, bun, database migrations) and skips what is already there.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BUN_VERSION := 1.4.4
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes
PIP_COMPILE := PIP_CONFIG_FILE=/dev/null pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

I18N_DIR := sms2fa_app/locales
I18N_LOCALES := es pt_BR de ar hi

.PHONY: i18n-extract i18n-init i18n-compile setup run run-prod stack frontend admin oidc-client oidc-rotate-keys test test-fast test-unit test-integration test-e2e test-stack lint bench migrate clean lock

## The virtualenv: pip and setuptools upgraded first, then the runtime and development requirements, all pinned
## with hashes (requirements*.txt, made from requirements*.in by `make lock`).
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-pip.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP_INSTALL) --upgrade -r requirements-pip.txt
	$(PIP_INSTALL) -r requirements-dev.txt
	touch $@

.tools/node_modules/.bin/bun:
	npm install --prefix .tools --no-save --no-fund --no-audit bun@$(BUN_VERSION)

## The proof-of-work widget the app serves (npm `altcha`, pinned by version and SHA-256)
assets/vendor/altcha.min.js: scripts/vendor_altcha.sh
	scripts/vendor_altcha.sh

setup: $(VENV)/.installed .tools/node_modules/.bin/bun assets/vendor/altcha.min.js i18n-compile migrate

## Languages (docs/languages.md): every Text/Plural (state/words) and Phrase/PluralPhrase (backend) into the
## template, msgctxt = the message id and msgid = the English source; then each locale's catalog is updated from it
i18n-extract: $(VENV)/.installed
	pybabel extract --no-default-keywords -k Text:1c,2 -k Plural:1c,2,3 -k Phrase:1c,2 -k PluralPhrase:1c,2,3 \
		-F babel.cfg --sort-output --no-location --omit-header -o $(I18N_DIR)/messages.pot sms2fa_app
	for locale in $(I18N_LOCALES); do \
		pybabel update -i $(I18N_DIR)/messages.pot -d $(I18N_DIR) -l $$locale --no-fuzzy-matching --ignore-obsolete; \
	done

## A new language's catalog: make i18n-init LOCALE=fr (then translate it, add it to I18N_LOCALES and SUPPORTED_LOCALES)
i18n-init: $(VENV)/.installed
	pybabel init -i $(I18N_DIR)/messages.pot -d $(I18N_DIR) -l $(LOCALE)

## The .mo files the app loads (build output, not in git); fuzzy entries are left out. Not `pybabel compile`: its
## %-format check misreads "{rate}% delivered" (the words are brace-formatted; the catalog test checks those)
i18n-compile: $(VENV)/.installed
	python -m sms2fa_app.backend.i18n.catalogs

## Create the data directories, check the database and Redis answer (one line either way), apply migrations
migrate: $(VENV)/.installed
	python -m sms2fa_app.backend.preflight
	reflex db migrate

## Run the app in development mode (http://localhost:3000); `make run PORT=3001 BACKEND_PORT=8001` moves it (the
## settings read both; APP_URL and WEBAUTHN_ORIGIN follow PORT unless set)
run: setup
	reflex run

## Run the app as in production (front and back on port 3000)
run-prod: setup
	reflex run --env prod

## The production stack on this machine: PostgreSQL, Redis, 2 backend workers, the built frontend behind nginx
## (Debian's packages, installed when missing and root), on 127.0.0.1 and free ports. Ctrl-C stops it all.
stack: $(VENV)/.installed .tools/node_modules/.bin/bun
	scripts/ensure_test_tools.sh
	python -m scripts.stack

## The static frontend and its CSP hashes for nginx on real hosts (README, Production), with the settings in the
## environment: make frontend PUBLIC_URL=https://sms2fa.example.com OUT=/srv/sms2fa
frontend: $(VENV)/.installed .tools/node_modules/.bin/bun
	python -m scripts.frontend --public-url "$(PUBLIC_URL)" --out "$(OUT)"

## The first admin (and any other), from the command line only: make admin EMAIL=ops@example.com (the account must
## exist; it can open /admin once 2FA is on)
admin: $(VENV)/.installed
	python -m sms2fa_app.backend.admin.cli grant-admin "$(EMAIL)"

## An OpenID client (docs/openid-provider.md): make oidc-client NAME=Grafana REDIRECT_URIS="https://a/cb https://b/cb"
## [PUBLIC=1] [TWO_FACTOR=1] [FIRST_PARTY=1]; prints client_id= and, once, client_secret=
oidc-client: $(VENV)/.installed
	python -m sms2fa_app.backend.admin.oidc_clients register --name "$(NAME)" --redirect-uris "$(REDIRECT_URIS)" \
		$(if $(filter 1 yes true,$(PUBLIC)),--public) $(if $(filter 1 yes true,$(TWO_FACTOR)),--two-factor) \
		$(if $(filter 1 yes true,$(FIRST_PARTY)),--first-party)

## A new ID-token signing key; the old one stays published until the ID tokens it signed have expired
oidc-rotate-keys: $(VENV)/.installed
	python -m sms2fa_app.backend.admin.oidc_clients rotate-keys

## Every test: unit, integration (real Redis, real Plivo SDK over HTTP), end-to-end (Chromium), the stack
test: setup
	scripts/ensure_test_tools.sh
	pytest

test-unit: setup
	pytest tests/unit

## The developer's fast lane: unit tests without the slow ones (app compile, subprocesses, the readyz timeout),
## about a minute on an idle 2-core machine; `make test` still runs everything
test-fast: $(VENV)/.installed
	pytest tests/unit -m "not slow" -q

test-integration: setup
	pytest tests/integration

test-e2e: setup
	scripts/ensure_test_tools.sh
	pytest tests/e2e

test-stack: setup
	scripts/ensure_test_tools.sh
	pytest tests/stack

lint: $(VENV)/.installed
	ruff check .
	ruff format --check .

## The OTP service against raw Redis, forward-auth's verify on one worker, then the whole login through the websocket
## under load (a few minutes)
bench: setup
	python bench/otp_bench.py
	python bench/verify_bench.py
	python bench/oidc_bench.py
	python bench/load.py

## Re-pin requirements*.txt (with hashes, from PyPI only) after editing requirements*.in
lock: $(VENV)/.installed
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in
	$(PIP_COMPILE) -o requirements-pip.txt requirements-pip.in

clean:
	rm -rf .web .states
