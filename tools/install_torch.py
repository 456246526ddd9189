"""Install a CPU torch into this interpreter's environment, never a CUDA build and never over a
torch that already imports (ROCm, CUDA or CPU): `make train-extra` runs it.

1. torch imports: keep it, pin its version (pip may not replace it later).
2. Else the first of the PyTorch CPU index (one try, short timeout) and the configured index whose
   wheel a dry run shows is not a CUDA build (a CUDA wheel requires `nvidia-*` packages); none:
   stop with a one-line error.
The pin file (`torch==<version>`) constrains every later install.
Usage: install_torch.py SPEC CPU_INDEX PIN_FILE
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

PIP = [sys.executable, "-m", "pip"]
CUDA_MARKERS = ("nvidia-", "cuda-")


def _pip(*args: str) -> bool:
    return subprocess.run([*PIP, *args]).returncode == 0


def _distribution_version() -> str | None:
    """The installed torch distribution's version (no import: its dependencies may be missing yet)."""
    code = "import importlib.metadata as m\ntry:\n    print(m.version('torch'))\nexcept m.PackageNotFoundError:\n    pass"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.stdout.strip() or None


def _imports() -> bool:
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


def _requires(spec: str, source: list[str]) -> list[str] | None:
    """Dry run: what the wheel `source` gives for `spec` requires (None: no wheel found)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        if not _pip("install", "-q", "--dry-run", "--ignore-installed", "--no-deps", "--report", str(report),
                    *source, spec):
            return None
        items = json.loads(report.read_text()).get("install", [])
    return [r for item in items for r in item.get("metadata", {}).get("requires_dist", []) or []]


def cuda_requirements(requires: list[str]) -> list[str]:
    """The requirements that make a torch wheel a CUDA build."""
    return [r for r in requires if r.lower().startswith(CUDA_MARKERS)]


def main(spec: str, cpu_index: str, pin_file: str) -> int:
    if _imports():
        print(f"torch {_distribution_version()} is importable: kept (never replaced)")
    else:
        sources = {cpu_index: ["--retries", "0", "--timeout", "15", "--index-url", cpu_index], "the configured index": []}
        cuda_at = None
        for name, source in sources.items():
            requires = _requires(spec, source)
            if requires is None:
                continue
            cuda = cuda_requirements(requires)
            if cuda:  # a CUDA build: gigabytes, and useless without an NVIDIA GPU
                cuda_at = cuda_at or (name, cuda[0])
                continue
            if not _pip("install", "-q", "--no-deps", *source, spec):
                return 1
            print(f"installed {spec} ({_distribution_version()}, no CUDA dependencies) from {name}")
            break
        else:
            why = (f"{cuda_at[0]} serves a CUDA build (requires {cuda_at[1]})" if cuda_at
                   else f"neither {cpu_index} nor the configured index has it")
            print(f"error: {spec} not installed: {why}. Install a CPU or ROCm torch first, or set TORCH_INDEX "
                  "to a reachable CPU wheel index", file=sys.stderr)
            return 1
    version = _distribution_version()
    Path(pin_file).write_text(f"torch=={version}\n")
    if not _pip("install", "-q", "-c", pin_file, f"torch=={version}"):  # torch's own dependencies
        return 1
    if not _imports():
        print(f"error: torch {version} does not import after installing it", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.rsplit("Usage: ", 1)[1])
    sys.exit(main(*sys.argv[1:]))
