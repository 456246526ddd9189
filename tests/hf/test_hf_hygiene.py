"""The HF core and its commands stay light: no textual/torch/megatron, huggingface_hub only when fetching."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["primus_tui.hf", "primus_tui.commands.import_cmd", "primus_tui.commands.audit"])
def test_import_is_light(module: str) -> None:
    code = f"import importlib, sys; importlib.import_module({module!r}); print(' '.join(sys.modules))"
    loaded = {m.split(".")[0] for m in subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                      check=True).stdout.split()}
    assert not loaded & {"textual", "torch", "megatron", "huggingface_hub", "transformers"}


def test_hf_error_is_a_user_error() -> None:
    from primus_tui import errors
    from primus_tui.hf import HFError

    assert issubclass(HFError, errors.UsageError) and HFError in errors.UserError and HFError.exit_code == 2
