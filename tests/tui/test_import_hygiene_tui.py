"""The app process stays light: no torch, no megatron (the trainer runs in the launched process)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "megatron", "transformers")

CODE = r"""
import sys
import primus_tui.tui.app as app_module
after_import = sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1].split(',')))
app = app_module.make_app()
async def pilot(p):
    await p.pause()
    p.app.exit()
app.run(headless=True, size=(80, 24), auto_pilot=pilot)
after_run = sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1].split(',')))
hub = 'huggingface_hub' in sys.modules
print(','.join(after_import) or '-', ','.join(after_run) or '-', hub)
"""


def test_app_import_and_first_frame_do_not_import_torch_or_megatron():
    out = subprocess.run([sys.executable, "-c", CODE, ",".join(HEAVY)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    after_import, after_run, hub = out.stdout.split()
    assert after_import == "-" and after_run == "-", out.stdout
    assert hub == "False"  # huggingface_hub only when a model is fetched
