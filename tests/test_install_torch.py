"""tools/install_torch.py: never a CUDA torch, never over an importable one (make train-extra)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.fixture_data import REPO_ROOT


@pytest.fixture
def tool(monkeypatch):
    spec = importlib.util.spec_from_file_location("install_torch", REPO_ROOT / "tools" / "install_torch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.installs = []
    monkeypatch.setattr(module, "_pip", lambda *args: module.installs.append(args) or True)
    monkeypatch.setattr(module, "_distribution_version", lambda: "2.13.0+cpu")
    return module


def test_a_cuda_build_is_refused_everywhere(tool, monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(tool, "_imports", lambda: False)
    monkeypatch.setattr(tool, "_requires", lambda spec, source: ["filelock", "nvidia-cublas-cu12==12.8"])
    assert tool.main("torch==2.13.0", "https://cpu.example/whl", str(tmp_path / "pin.txt")) == 1
    assert tool.installs == []  # nothing installed
    err = capsys.readouterr().err
    assert "serves a CUDA build (requires nvidia-cublas-cu12==12.8)" in err and len(err.strip().splitlines()) == 1


def test_the_first_cpu_wheel_is_installed_and_pinned(tool, monkeypatch, tmp_path: Path) -> None:
    state = {"imports": False}
    monkeypatch.setattr(tool, "_imports", lambda: state["imports"])
    monkeypatch.setattr(tool, "_requires", lambda spec, source: None if "--index-url" in source else ["filelock"])
    original = tool._pip

    def pip(*args):
        state["imports"] = True
        return original(*args)

    monkeypatch.setattr(tool, "_pip", pip)
    assert tool.main("torch==2.13.0", "https://cpu.example/whl", str(tmp_path / "pin.txt")) == 0
    assert tool.installs[0] == ("install", "-q", "--no-deps", "torch==2.13.0")  # the configured index
    assert (tmp_path / "pin.txt").read_text() == "torch==2.13.0+cpu\n"


def test_an_importable_torch_is_kept(tool, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tool, "_imports", lambda: True)
    monkeypatch.setattr(tool, "_requires", lambda *a: pytest.fail("must not look for another torch"))
    assert tool.main("torch==2.13.0", "https://cpu.example/whl", str(tmp_path / "pin.txt")) == 0
    assert all("--no-deps" not in args for args in tool.installs)
