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

.PHONY: setup run run-prod test test-unit test-integration test-e2e lint bench migrate clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

.tools/node_modules/.bin/bun:
	npm install --prefix .tools --no-save --no-fund --no-audit bun@$(BUN_VERSION)

## The proof-of-work widget the app serves (npm `altcha`, pinned by version and SHA-256)
assets/vendor/altcha.min.js: scripts/vendor_altcha.sh
	scripts/vendor_altcha.sh

setup: $(VENV)/.installed .tools/node_modules/.bin/bun assets/vendor/altcha.min.js migrate

## Create the data directories, check the database and Redis answer (one line either way), apply migrations
migrate: $(VENV)/.installed
	python -m sms2fa_app.backend.preflight
	reflex db migrate

## Run the app in development mode (http://localhost:3000)
run: setup
	reflex run

## Run the app as in production (front and back on port 3000)
run-prod: setup
	reflex run --env prod

## Every test: unit, integration (real Redis, real Plivo SDK over HTTP), end-to-end (Chromium)
test: setup
	scripts/ensure_test_tools.sh
	pytest

test-unit: setup
	pytest tests/unit

test-integration: setup
	pytest tests/integration

test-e2e: setup
	scripts/ensure_test_tools.sh
	pytest tests/e2e

lint: $(VENV)/.installed
	ruff check .
	ruff format --check .

## The OTP service against raw Redis, then the whole login through the websocket under load (a few minutes)
bench: setup
	python bench/otp_bench.py
	python bench/load.py

clean:
	rm -rf .web .states
