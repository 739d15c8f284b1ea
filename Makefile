# Two entry points for a new user: `make run` serves the site, `make test` runs the whole suite.
# Both create the virtual environment, install, migrate, seed and index first; each step is idempotent.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
INSTALLED := $(VENV)/.installed
APP_INSTALLED := $(VENV)/.installed-app
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: install setup run serve test lint format bench security clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

# What a server needs and no more: the development tools (pytest, sqlmap, browsers' drivers) stay off it.
$(APP_INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(APP_INSTALLED)

setup: install
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) index catch-up

run: setup
	BIND=$(HOST):$(PORT) WEB_CONCURRENCY=$(WORKERS) $(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# Production: the same server with the settings of gunicorn.conf.py, taken from the environment (README,
# "Deploying"); the database is migrated and this machine's index brought up to date first.
serve: $(APP_INSTALLED)
	$(FLASK) db upgrade
	$(FLASK) index catch-up
	$(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

test: setup lint
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python bench/search_bench.py --n 10000
	$(BIN)/python bench/relevance.py

# sqlmap against a freshly served site and bandit over the code (README, "Security scan"); not in `test`.
security: setup
	$(BIN)/python bench/security_scan.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
