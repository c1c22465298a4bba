# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
FLASK := $(VENV)/bin/flask --app registry
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard registry/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test install setup translations extract-messages bench clean

## run: install, migrate, sync schemes, load the demo data and serve on http://127.0.0.1:$(PORT)
run: install
	$(FLASK) setup
	@$(FLASK) demo logins
	@echo ""
	@echo "Carbon footprint label registry: http://127.0.0.1:$(PORT)/"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## test: the whole suite (set REGISTRY_TEST_DATABASE_URL to run it on PostgreSQL)
test: install
	$(VENV)/bin/python -m pytest

install: $(VENV)/.installed $(CATALOGUES)

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
