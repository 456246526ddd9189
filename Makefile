# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# CPU wheel on machines without a GPU build; never replaces an importable torch.
TORCH_CPU ?= torch==2.13.0

.PHONY: run test bench compile venv deps-tui deps-test clean

$(PY):
	@if $(PYTHON) -c "import torch" >/dev/null 2>&1; then \
	  echo "torch found in $(PYTHON): venv will reuse it (--system-site-packages)"; \
	  $(PYTHON) -m venv --system-site-packages $(VENV); \
	else \
	  $(PYTHON) -m venv $(VENV); \
	fi
	$(PIP) install -q --upgrade pip

venv: $(PY)

$(VENV)/.tui-installed: $(PY) pyproject.toml
	$(PIP) install -q -e .
	@touch $@

$(VENV)/.test-installed: $(VENV)/.tui-installed
	@$(PY) -c "import torch" >/dev/null 2>&1 || $(PIP) install -q "$(TORCH_CPU)"
	$(PIP) install -q -e ".[train,dev]"
	@touch $@

deps-tui: $(VENV)/.tui-installed
deps-test: $(VENV)/.test-installed

# Byte-compile the app as a non-editable install would (only changed files; works even where
# PYTHONDONTWRITEBYTECODE is set): the wizard then opens without recompiling its modules.
compile:
	@$(PY) -m compileall -q primus_tui >/dev/null

run: deps-tui compile
	$(VENV)/bin/primus-tui $(ARGS)

test: deps-test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: deps-test compile
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
