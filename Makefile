# Psoas Coach: `make run` to chat, `make test` for everything CI checks.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export PYTHONPATH := $(CURDIR)
export DATABASE_URL ?= sqlite:///$(CURDIR)/.data/coach.sqlite3
# Rasa and TensorFlow are chatty and phone home; keep startup quiet and offline.
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# The pinned Rasa 3.6 world emits import-time deprecation noise that buries real messages.
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::PendingDeprecationWarning
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook
# endpoints.yml sends it to the action server; scripts/run.sh makes one per start when empty.
export COACH_ACTION_SECRET ?=

MODEL := models/coach.tar.gz
# The learned safety reader (coach/safety/reader.py): built from the labelled messages it may learn from.
READER := models/safety_reader.pkl
READER_INPUTS := $(wildcard tests/safety/real/tuning_r*.yml tests/safety/real/opened_r*.yml) \
  tests/safety/cases.yml tests/safety/blind_cases.yml coach/safety/reader.py coach/safety/labels.py scripts/train_reader.py \
  knowledge/exercises.yml knowledge/constraints.yml
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(wildcard nlu_components/*.py)

.PHONY: run run-production voice test lint unit integration validate test-stories nlu-gate eval bench kb migrate train clean system-deps telegram-webhook purge

run: $(VENV)/.installed kb $(MODEL) $(READER)
	@scripts/run.sh

# Two Rasa servers and two action servers behind HAProxy, on the local PostgreSQL, Redis and
# RabbitMQ (docs/deploy.md; settings in deploy/production.env). A DATABASE_URL you set wins;
# this Makefile's SQLite default does not apply here.
run-production: $(VENV)/.installed $(MODEL) $(READER)
	@$(if $(filter file,$(origin DATABASE_URL)),env -u DATABASE_URL) $(PY) -m scripts.production

# Hands-free: microphone -> coach -> speakers (VOICE_ARGS="--text" or "--wav-in a.wav b.wav").
# Starts the coach's servers for the loop's lifetime unless `make run` already has them up.
voice: $(VENV)/.installed kb $(MODEL) $(READER)
	@scripts/voice.sh $(VOICE_ARGS)

# The first run's long steps say what they do, show progress and how long they took
# (scripts/progress.py); later runs skip them, or print one line, when nothing changed.
$(VENV)/.installed: requirements.lock scripts/find-python.sh
	@PYTHON_310=$$(scripts/find-python.sh) || exit 1; \
	total=$$(grep -cE '^[A-Za-z0-9]' requirements.lock); \
	echo "Setting up Psoas Coach: a virtual environment in $(VENV) with $$total locked packages (once)."; \
	rm -rf $(VENV) && "$$PYTHON_310" -m venv $(VENV) && \
	$(PY) scripts/progress.py "Updating pip to 24.0" -- $(PY) -m pip install "pip==24.0" && \
	$(PY) scripts/progress.py "Installing $$total packages (requirements.lock)" --kind pip --total $$total -- \
	  $(PY) -m pip install --no-deps --progress-bar off -r requirements.lock && \
	$(PY) scripts/progress.py "Checking the installed packages fit together" -- $(PY) -m pip check && touch $@

# Applies pending schema migrations (coach/store/migrations), then stores the knowledge base.
kb: $(VENV)/.installed
	@mkdir -p .data && $(PY) -m coach.kb load

# Only the migrations, for an operator upgrading $(DATABASE_URL) before starting new servers.
migrate: $(VENV)/.installed
	@mkdir -p .data && $(PY) -m coach.store.migrate

$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	@$(PY) -m scripts.sync_nlu --check
	@$(PY) scripts/progress.py "Training the model (config, domain or data changed; a few minutes on two cores)" --kind train -- \
	  $(RASA) train --fixed-model-name coach --out models && touch $@

$(READER): $(VENV)/.installed $(READER_INPUTS)
	@$(PY) -m scripts.train_reader --out $@

train: $(MODEL) $(READER)

PY_SOURCES := coach actions connectors nlu_components voice rasa_fixes.py tests scripts evaluation

# ruff, then mypy on the packages and with the settings in pyproject.toml's [tool.mypy].
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	$(VENV)/bin/mypy

validate: $(VENV)/.installed
	$(RASA) data validate --fail-on-warnings --quiet

unit: $(VENV)/.installed kb $(READER)
	$(PY) -m pytest -q tests/unit tests/safety

integration: $(VENV)/.installed kb $(MODEL) $(READER)
	$(PY) -m pytest -q -rs --durations=30 tests/integration

test-stories: $(MODEL) $(READER)
	$(RASA) test core --stories tests/stories --model $(MODEL) --fail-on-prediction-errors --out reports/stories --quiet

nlu-gate: $(MODEL) $(READER) kb
	$(PY) -m scripts.evaluate_nlu

# Everything CI runs (.ci/run), inside its 30 minutes on two cores: the checks that need no model
# (lint, validate, unit) run beside the training, then the integration tests, then the story
# and NLU checks side by side. Each job's output is printed whole when it ends.
test:
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint validate unit $(MODEL)
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-stories nlu-gate

eval: $(MODEL) $(READER) kb
	$(PY) -m scripts.evaluate_nlu --cross-validation

# The coach against the stock `rasa init` bot in one run (docs/performance.md); about 20 minutes.
# BENCH_ARGS="--quick" for a short development run, "--help" for the options.
bench: $(VENV)/.installed kb $(MODEL) $(READER)
	$(PY) -m scripts.benchmark $(BENCH_ARGS)

# Registers TELEGRAM_WEBHOOK_URL with Telegram (once, and after the URL or secret changes; docs/channels.md).
telegram-webhook: $(VENV)/.installed
	@$(PY) -m scripts.telegram_webhook

# Retention (docs/privacy.md): deletes the data of users inactive for COACH_RETENTION_DAYS (default 365),
# or PURGE_DAYS=N; the scheduler runs the same function daily.
purge: $(VENV)/.installed
	@$(PY) -m scripts.purge $(if $(PURGE_DAYS),--days $(PURGE_DAYS))

# Debian packages for the browser and voice tests (chromium, espeak-ng, sox); skips what is there.
system-deps:
	@scripts/system-deps.sh

clean:
	rm -rf models .data reports .pytest_cache
