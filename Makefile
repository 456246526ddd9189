# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# CPU wheel on machines without a GPU build; never replaces an importable torch.
TORCH_CPU ?= torch==2.13.0
# The CPU-only wheel index: a plain `pip install torch` on Linux pulls the multi-GB CUDA build.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: run test bench compile venv deps-tui deps-test train-extra clean

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

# The training extra (torch + megatron-core), what `primus-cli direct` runs. An importable torch
# (ROCm, CUDA or CPU) is kept and pinned (pip may not replace it); where none imports, a CPU wheel
# is installed, never a CUDA build (tools/install_torch.py). The app names this target.
$(VENV)/.train-installed: $(VENV)/.tui-installed tools/install_torch.py
	$(PY) tools/install_torch.py "$(TORCH_CPU)" "$(TORCH_INDEX)" $(VENV)/torch-pin.txt
	$(PIP) install -q -c $(VENV)/torch-pin.txt -e ".[train]"
	@touch $@

$(VENV)/.test-installed: $(VENV)/.train-installed
	$(PIP) install -q -c $(VENV)/torch-pin.txt -e ".[train,dev]"
	@touch $@

deps-tui: $(VENV)/.tui-installed
deps-test: $(VENV)/.test-installed
train-extra: $(VENV)/.train-installed

# Byte-compile the app as a non-editable install would (only changed files; works even where
# PYTHONDONTWRITEBYTECODE is set): the wizard then opens without recompiling its modules.
compile:
	@$(PY) -m compileall -q primus_tui >/dev/null

run: deps-tui compile
	$(VENV)/bin/primus-tui $(ARGS)

# Test files run on TEST_WORKERS processes (pytest-xdist; a file's tests stay on one worker).
TEST_WORKERS ?= 2
test: deps-test
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: deps-test compile
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
