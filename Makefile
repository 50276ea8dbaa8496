# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := app.py

.PHONY: run test lint install clean bench bench-tools browser-tools translations catalogs bluesky-devenv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Translations: the .po catalogs are committed, the .mo files gettext reads are built here.
TRANSLATIONS := ideaboard/translations
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2

## Compile ideaboard/translations/*/LC_MESSAGES/messages.po into .mo (fuzzy entries left out).
translations: install
	$(BIN)/pybabel compile -d $(TRANSLATIONS) -D messages

## After changing UI text: extract every string, then add the new ones to the ko and en
## catalogs (empty, to be translated; tests/i18n fails until ko has them all). Lines wrap at
## 100 columns, as the committed catalogs do, so a change shows only its own entries.
catalogs: install
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --add-location=file -w 100 \
		--project=IdeaBoard -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -D messages \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date -w 100

# `make run` uses the built-in sandboxes of X, Bluesky and Mastodon unless told otherwise
# (make run SANDBOX=0), and
# keeps every e-mail in the development mailbox at /dev/mailbox unless IDEABOARD_SMTP_URL is
# set (then e-mail goes to that server and the mailbox page does not exist).
SANDBOX ?= 1
RUN_ENV := IDEABOARD_X_SANDBOX=$(SANDBOX) IDEABOARD_BLUESKY_SANDBOX=$(SANDBOX) \
	IDEABOARD_MASTODON_SANDBOX=$(SANDBOX) IDEABOARD_MAILBOX=1

## Start the site on http://127.0.0.1:5000 and its worker, with demo data (SQLite in instance/).
run: install translations
	$(RUN_ENV) $(BIN)/flask db upgrade
	$(RUN_ENV) $(BIN)/flask ideaboard demo --if-empty
	@echo "Site: http://127.0.0.1:5000  ·  sandbox X: http://127.0.0.1:5000/x-sandbox/sandbox/"
	@echo "Sandbox Bluesky: http://127.0.0.1:5000/bluesky-sandbox/sandbox/  ·  sandbox Mastodon: http://127.0.0.1:5000/mastodon-sandbox/sandbox/"
	@if [ -z "$$IDEABOARD_SMTP_URL" ]; then \
		echo "E-mail: every message is kept in the mailbox at http://127.0.0.1:5000/dev/mailbox/"; \
	else echo "E-mail: sent through IDEABOARD_SMTP_URL"; fi
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	(sleep 2; $(RUN_ENV) exec $(BIN)/flask ideaboard worker --interval 5) & \
	worker=$$!; \
	$(RUN_ENV) $(BIN)/flask run --host 127.0.0.1 --port 5000

# The browser tests (tests/browser) drive Debian's Chromium through Playwright (Playwright's
# own browser download is not used), with Korean fonts for the screenshots, and check pages
# with axe-core from npm, kept in build/npm (not committed). Outside CI the tests skip, with
# the reason, what is missing; in CI they fail.
AXE_VERSION := 4.14.1
AXE := build/npm/node_modules/axe-core/axe.min.js

$(AXE):
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
	npm install --no-save --no-audit --no-fund --prefix build/npm axe-core@$(AXE_VERSION)

browser-tools: $(AXE)
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Bluesky's reference servers (@atproto/dev-env 0.3.215, the last release for Node 20: PLC,
# PDS and AppView, the AppView on the local PostgreSQL) for the end-to-end tests in
# tests/social/test_bluesky_devenv.py; kept in build/atproto-devenv (not committed), the whole
# tree pinned by tests/bluesky_devenv/package-lock.json. docs/bluesky-devenv.md says more.
ATPROTO_DEVENV := build/atproto-devenv/node_modules/@atproto/dev-env/package.json

$(ATPROTO_DEVENV): tests/bluesky_devenv/package.json tests/bluesky_devenv/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
	mkdir -p build/atproto-devenv
	cp tests/bluesky_devenv/package.json tests/bluesky_devenv/package-lock.json build/atproto-devenv/
	cd build/atproto-devenv && npm ci --no-audit --no-fund
	touch $@

bluesky-devenv: $(ATPROTO_DEVENV)

## Install what the tests need, then lint and run the whole suite on SQLite and, at the same
## time, on PostgreSQL (IDEABOARD_TEST_DATABASE_URL, default the local server; skipped with
## the reason when it does not answer, except in CI, where that fails the run). The two runs
## share nothing (each has its own databases, ports and temporary files) and each keeps one
## core busy, so together they take the time of the longer one; the PostgreSQL run's output
## is kept in build/pytest-postgresql.log and printed after the SQLite run's. Either run
## failing, or finding no tests (pytest's exit 5), fails `make test`.
PG_LOG := build/pytest-postgresql.log

test: install translations browser-tools bluesky-devenv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@mkdir -p build
	@$(BIN)/python -m pytest --db postgresql -p no:cacheprovider > $(PG_LOG) 2>&1 & pg=$$!; \
	$(BIN)/python -m pytest --db sqlite; sqlite=$$?; \
	wait $$pg; postgresql=$$?; \
	echo "=== the PostgreSQL run (also in $(PG_LOG)) ==="; cat $(PG_LOG); \
	echo "SQLite run: exit $$sqlite; PostgreSQL run: exit $$postgresql"; \
	if [ $$sqlite -ne 0 ]; then exit $$sqlite; fi; exit $$postgresql

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# `make bench`: seed the benchmark boards (kept in instance/bench/ and reused), then measure
# pages, a vote storm, scaling and import on SQLite and PostgreSQL (bench/run.py; results in
# bench/results/). BENCH_SCALE=small for a quick pass; BENCH_ARGS for more (e.g.
# BENCH_ARGS="--databases sqlite --parts pages").
BENCH_SCALE ?= default
BENCH_ARGS ?=

bench-tools:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

bench: install bench-tools
	$(BIN)/python bench/run.py --scale $(BENCH_SCALE) $(BENCH_ARGS)
