# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
FLASK := $(VENV)/bin/flask --app registry
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard registry/translations/*/LC_MESSAGES/messages.po))

# Debian packages the registry uses outside Python: cairo and a CJK font render the printable label artwork
# (PDF, PNG); zbar is the independent QR decoder the tests read the labels' QR codes with; chromium is the
# browser the Playwright tests drive; faketime (libfaketime) runs the suite again with the clock moved ahead in .ci/run;
# redis-server is the Redis the task queue's test starts (on a port of its own) to run a job through RedisHuey.
SYSTEM_PACKAGES := libcairo2 fonts-noto-cjk libzbar0 chromium faketime redis-server

.PHONY: run test lint install system-deps axe setup translations extract-messages bench clean

## run: install, migrate, sync schemes, load the demo data and serve on http://127.0.0.1:$(PORT), with the task
## queue's worker (the periodic jobs: expiry, ...) beside the server, stopped with it
run: install system-deps
	$(FLASK) setup
	@$(FLASK) demo logins
	@echo ""
	@echo "Carbon footprint label registry: http://127.0.0.1:$(PORT)/"
	@echo "E-mails (e.g. the link that confirms a registration) are written to instance/mail/."
	@echo "The worker of the periodic jobs runs beside it (flask tasks worker; its log lines say [tasks])."
	@export REGISTRY_MAIL_BACKEND=$${REGISTRY_MAIL_BACKEND:-file}; \
	$(FLASK) tasks worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## test: the whole suite (set REGISTRY_TEST_DATABASE_URL to run it on PostgreSQL)
test: install system-deps axe
	$(VENV)/bin/python -m pytest

## lint: the shape checks, which CI runs before the tests: ruff's lint rules and formatting (`ruff format .`
## formats), mypy on registry/ and the import contracts (all configured in pyproject.toml)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy registry
	$(VENV)/bin/lint-imports

install: $(VENV)/.installed $(CATALOGUES)

## axe: axe-core, the accessibility checker the browser tests inject into pages, from npm into build/node_modules
## (tests/disclosure/test_browser_ux.py, tests/applications/test_browser.py; without npm they are skipped and say why)
AXE_VERSION := 4.14.1
axe:
	@if [ -f build/node_modules/axe-core/axe.min.js ]; then exit 0; fi; \
	if command -v npm >/dev/null; then \
		npm install --prefix build --no-save --no-audit --no-fund --silent axe-core@$(AXE_VERSION); \
	else \
		echo "npm is missing: the accessibility checks (axe-core) are skipped. Debian: apt-get install npm"; \
	fi

## system-deps: install the Debian packages above when missing (as root with apt), or say how to
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian packages:$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null \
		|| { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; }; \
	else \
		echo "Missing system packages:$$missing. Install them (Debian/Ubuntu: sudo apt-get install$$missing);"; \
		echo "until then label artwork renders without Chinese glyphs, and the QR-decoding and browser tests are skipped."; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

# Translations are compiled at install; the .mo files are never committed.
%.mo: %.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@

translations: $(CATALOGUES)

## extract-messages: refresh the message catalogue after changing user-facing text
extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project carbon-label-registry -o registry/translations/messages.pot .
	$(VENV)/bin/pybabel update -i registry/translations/messages.pot -d registry/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) *.egg-info

## bench: the benches in bench/ (each prints its figures against a baseline measured in the same run)
bench: install system-deps
	$(VENV)/bin/python bench/signed_labels.py
