# Auteur developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NAME ?= My Film
QUALITY ?= standard
STRUCTURE ?= three-act
COMPOSE ?= docker compose

.DEFAULT_GOAL := help
.PHONY: help setup studio lab test bench lint new-project up down logs build shell-studio shell-worker

help: ## List every target with what it does
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## Create the environment in .venv (studio and test do this when needed)

studio: $(STAMP) ## Open the studio on the embedded default with a demo project
	$(BIN)/auteur studio

lab: $(STAMP) ## Start JupyterLab on 127.0.0.1 in notebooks/
	$(BIN)/auteur lab

test: $(STAMP) ## Create the environment if needed, then run every test
	$(BIN)/python -m pytest

bench: $(STAMP) ## Run the benchmarks in tests/bench and print their figures
	@set -e; for script in tests/bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

lint: $(STAMP) ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

new-project: $(STAMP) ## Create a project: make new-project NAME="My Film" QUALITY=standard STRUCTURE=three-act
	$(BIN)/auteur new "$(NAME)" --quality $(QUALITY) --structure $(STRUCTURE)

up: ## Start studio, lab, scheduler and GPU worker (no GPU: docker compose --profile cpu up -d studio lab scheduler cpu-worker)
	$(COMPOSE) up -d

down: ## Stop the compose services
	$(COMPOSE) down

logs: ## Follow the compose services' logs
	$(COMPOSE) logs -f

build: ## Build the compose images
	$(COMPOSE) build

shell-studio: ## Open a shell in the studio container
	$(COMPOSE) exec studio bash

shell-worker: ## Open a shell in a worker container
	$(COMPOSE) exec worker bash
