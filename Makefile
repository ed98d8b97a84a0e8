# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install lint bench clean

## Create .venv and install the project with its test tools (re-runs when pyproject.toml changes).
install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $@

## Start the sandbox Freshservice and the copilot on embedded defaults (PORT, SANDBOX_PORT honoured).
run: install
	$(PY) -m copilot.launch

## Run the whole test suite.
test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .

## Benchmarks: print medians/ratios and write docs/benchmarks.md.
bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
