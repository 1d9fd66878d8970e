# What the README tells a newcomer to type. Every target creates .venv when it is missing.
PY ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run app test test-fast bench validate lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m experiments run experiments/specs/interactive_vs_one_way.toml --out results/flagship-quick --overwrite --replicates 16 --executor process && $(BIN)/python -m experiments report results/flagship-quick

# No outside request at start: no version check against pypi.org, no telemetry to mixpanel.
app: $(STAMP)
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(BIN)/solara run app.py --host 127.0.0.1 --port 8765 --no-check-version

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --benchmark-skip

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --benchmark-skip -m "not slow and not browser"

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,peers]"
	@mkdir -p .benchmarks
	$(BIN)/python -m pytest tests/benchmarks -q --benchmark-only -p no:cacheprovider \
		--benchmark-json=.benchmarks/latest.json
	$(BIN)/python tests/benchmarks/summary.py .benchmarks/latest.json

validate: $(STAMP)
	$(BIN)/python -m validation

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .benchmarks
