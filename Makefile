# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install browser lint typecheck bench clean

## Create .venv and install the project with its test tools (re-runs when pyproject.toml changes).
install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e ".[test]"
	@rm -f $(VENV)/.installed-*
	@touch $@

## Start the sandbox Freshservice and the copilot on embedded defaults (PORT, SANDBOX_PORT honoured).
## Runs with COPILOT_ENV=development (set by copilot/launch.py) unless COPILOT_ENV is set here or in .env.
run: install
	$(PY) -m copilot.launch

## Lint, type-check and run the whole test suite (installs Debian's Chromium for the browser tests when root).
test: install browser
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest

## Chromium for Playwright (never downloaded by Playwright: we use the system browser).
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing chromium for the browser tests..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	  (apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null); \
	else echo "Chromium not found and not root: browser tests will be skipped (apt-get install chromium)."; fi

lint: install
	$(PY) -m ruff check .

## Static types of copilot/, tools/ and app.py (configured in pyproject.toml).
typecheck: install
	$(PY) -m mypy

## Benchmarks: print medians/ratios and write docs/benchmarks.md.
bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
