"""TUI speed: first frame (no torch/megatron in the app process).

- first frame: process spawn -> wizard screen composed and refreshed (headless), median of 9;
  target < 0.3 s. Also reports whether torch / megatron / huggingface_hub were imported.
Log-pane ingest with the plots on, and key latency meanwhile: bench_run_view.py.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


PROBE = ROOT / "benchmarks" / "first_frame_probe.py"  # the wizard, to its first rendered update
HEAVY = {"torch", "megatron", "huggingface_hub"}

# The floor on this machine: a Textual app holding one Static, measured the same way.
FLOOR = r"""
import sys
from textual.app import App
from textual.widgets import Static
class One(App):
    def compose(self):
        yield Static("hello")
app = One()
display = app._display
def first_frame(screen, update):
    if update is not None and not getattr(app, "_seen", False):
        app._seen = True
        update.render_segments(app.console)
        print('FRAME', ' '.join(sys.modules), flush=True)
        app.exit()
    return display(screen, update)
app._display = first_frame
app.run(headless=True, size=(100, 30))
"""



def report(name: str, value: float, unit: str, target: str, ok: bool) -> None:
    shown = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    print(f"{name}: {shown} {unit} ({target}) {'OK' if ok else 'SLOW'}", flush=True)


def _spawn_to_frame(argv: list[str], runs: int, env: dict | None = None) -> tuple[float, str]:
    walls = []
    heavy = "-"
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        walls.append(time.perf_counter() - start)
        proc.wait()
        if not line.startswith("FRAME"):
            raise SystemExit(f"first-frame child failed: {line!r}")
        heavy = ",".join(sorted({m.split(".")[0] for m in line.split()[1:]} & HEAVY)) or "-"
    return statistics.median(walls), heavy


def first_frame() -> None:
    import os
    import tempfile

    import importlib.util

    app_source = ROOT / "primus_tui" / "tui" / "app.py"
    compiled = Path(importlib.util.cache_from_source(str(app_source)))
    precompiled = compiled.exists() and compiled.stat().st_mtime >= app_source.stat().st_mtime  # `make compile`
    nocache = "PYTHONDONTWRITEBYTECODE" in os.environ and not precompiled
    value, heavy = _spawn_to_frame([str(PROBE)], 9)
    where = " (no bytecode cache: PYTHONDONTWRITEBYTECODE is set)" if nocache else ""
    report(f"first frame (spawn -> wizard drawn, headless 100x30, median of 9){where}", value, "s", "target < 0.3 s", value < 0.3)
    print(f"heavy modules imported by the app process: {heavy}")
    if nocache:
        # What an installed app does: primus_tui's modules load from cached bytecode (a temp prefix,
        # so the source tree stays clean); one warm-up run writes the cache.
        with tempfile.TemporaryDirectory() as cache:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPYCACHEPREFIX"] = cache
            _spawn_to_frame([str(PROBE)], 1, env)
            cached, _ = _spawn_to_frame([str(PROBE)], 9, env)
        report("first frame, bytecode cached (as installed)", cached, "s", "target < 0.3 s", cached < 0.3)
    floor, _ = _spawn_to_frame(["-c", FLOOR], 5)
    print(f"floor: a one-Static Textual app, same measure: {floor:.3f} s (textual's import is most of it)")


def main() -> None:
    first_frame()  # log-pane ingest and key latency: bench_run_view.py


if __name__ == "__main__":
    main()
