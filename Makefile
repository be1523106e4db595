# HMS harmful brain activity classification with gradient-boosted trees.
# `make help` lists the targets. DATA_DIR=... selects a Kaggle-layout folder (default: the
# demo data in data/demo); WORK_DIR=... says where outputs go (default: data/).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?=
WORK_DIR ?=
DEMO_DIR ?= data/demo
DEMO_EEGS ?= 300
DEMO_SEED ?= 0
FAMILIES ?=
N_TRIALS ?= 20
STORAGE ?=
MODEL ?=
TRAIN_ARGS ?=
EEG_ID ?=
KAGGLE_DIR ?= data/raw/hms
PYTEST_ARGS ?= -n 2

DIRS = $(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(if $(WORK_DIR),--work-dir $(WORK_DIR))

.DEFAULT_GOAL := help
.PHONY: help install demo demo-data validate features train tune submit inspect bench test lint \
	format data clean bench-train

help: ## list the targets
	@echo "usage: make TARGET [DATA_DIR=path] [WORK_DIR=path]"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/.installed ## create .venv and install the project (editable) with dev tools

$(DEMO_DIR)/.complete: | $(BIN)/.installed
	$(BIN)/hms demo-data $(DEMO_DIR) --n-eegs $(DEMO_EEGS) --seed $(DEMO_SEED)
	@touch $@

demo-data: install ## generate the demo data set in data/demo (DEMO_EEGS=300, DEMO_SEED=0)
	$(BIN)/hms demo-data $(DEMO_DIR) --n-eegs $(DEMO_EEGS) --seed $(DEMO_SEED)
	@touch $(DEMO_DIR)/.complete

DEMO_DIRS = --data-dir $(DEMO_DIR) $(if $(WORK_DIR),--work-dir $(WORK_DIR))
DEMO_WORK = $(if $(WORK_DIR),$(WORK_DIR),data)

demo: install $(DEMO_DIR)/.complete ## set up, generate demo data, run every stage on it
	$(BIN)/hms validate --data-dir $(DEMO_DIR)
	$(BIN)/hms features $(DEMO_DIRS)
	$(BIN)/hms train $(DEMO_DIRS)
	$(BIN)/hms submit $(DEMO_DIRS)
	$(BIN)/hms score $(DEMO_DIR)/demo_test_solution.csv $(DEMO_WORK)/submissions/submission.csv
	$(BIN)/hms inspect $(DEMO_DIRS)
	@echo "demo: data in $(DEMO_DIR); features, models and the submission under $(DEMO_WORK)/"

validate: install ## check every file of DATA_DIR before a long run (exit 1 on any problem)
	$(BIN)/hms validate $(if $(DATA_DIR),--data-dir $(DATA_DIR))

features: install ## compute (or reuse) the cached feature tables of DATA_DIR (FAMILIES=a,b)
	$(BIN)/hms features $(DIRS) $(if $(FAMILIES),--families $(FAMILIES))

train: install ## patient-fold CV, baselines, blend and a model bundle in WORK_DIR/models
	$(BIN)/hms train $(DIRS) $(TRAIN_ARGS)

tune: install ## Optuna study per model (N_TRIALS=20; resumes; STORAGE=sqlalchemy-url)
	$(BIN)/hms tune $(DIRS) --n-trials $(N_TRIALS) $(if $(STORAGE),--storage $(STORAGE))

submit: install ## predict DATA_DIR/test.csv with the latest bundle -> WORK_DIR/submissions
	$(BIN)/hms submit $(DIRS) $(if $(MODEL),--model $(MODEL))

inspect: install ## HTML report of the latest bundle -> WORK_DIR/reports/{run}/index.html
	$(BIN)/hms inspect $(DIRS) $(if $(MODEL),--model $(MODEL)) $(if $(EEG_ID),--eeg-id $(EEG_ID))

bench-train: install $(DEMO_DIR)/.complete ## training seconds per stage and peak RSS at 1/8, 1/2 and the Kaggle size (106,800 rows) built from the demo table
	$(BIN)/python -m pipelines.bench_train --data-dir $(DEMO_DIR) --work-dir $(DEMO_WORK)

bench: install ## benchmark feature extraction: windows/s, vs mne-features, peak RSS (~12 min)
	$(BIN)/python -m pipelines.bench

test: install ## run the test suite (uses ../shared/hms_real_mini when present)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

data: install ## download the Kaggle competition data into data/raw/hms (needs Kaggle credentials)
	$(BIN)/python -m pip install --quiet "kaggle>=1.6,<3"
	mkdir -p $(KAGGLE_DIR)
	$(BIN)/kaggle competitions download -c hms-harmful-brain-activity-classification -p $(KAGGLE_DIR)
	cd $(KAGGLE_DIR) && unzip -q -n hms-harmful-brain-activity-classification.zip
	@echo "data: now run stages with DATA_DIR=$(KAGGLE_DIR)"

clean: ## remove generated outputs under data/ (keeps data/raw and data/README.md)
	find data -mindepth 1 -maxdepth 1 ! -name raw ! -name README.md -exec rm -rf {} +
