"""The experiment's top-level `env:` block reaches each rank, as in Primus's train runtime."""

from __future__ import annotations

from pathlib import Path

from primus_tui.trainer.config_env import apply_config_env


def _exp(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text("work_group: g\nuser_name: u\nexp_name: e\nworkspace: ./output\n" + text)
    return path


def test_env_block_is_stringified_expanded_and_wins(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HOME", "/home/me")
    monkeypatch.setenv("NCCL_DEBUG", "WARN")
    monkeypatch.delenv("UNSET_VAR", raising=False)
    for key in ("OMP_NUM_THREADS", "CACHE", "KEEP"):
        monkeypatch.setenv(key, "")  # restored after the test
    import os

    exp = _exp(tmp_path, "env:\n  NCCL_DEBUG: INFO\n  OMP_NUM_THREADS: 4\n  CACHE: $HOME/cache\n"
                         "  KEEP: ${UNSET_VAR:-x}\n")
    applied = apply_config_env(exp)
    assert applied == {"NCCL_DEBUG": "INFO", "OMP_NUM_THREADS": "4", "CACHE": "/home/me/cache",
                       "KEEP": "${UNSET_VAR:-x}"}  # expandvars: bash defaults are not expanded (as Primus)
    assert os.environ["NCCL_DEBUG"] == "INFO" and os.environ["CACHE"] == "/home/me/cache"
    assert "env override: OMP_NUM_THREADS=4" in capsys.readouterr().out


def test_no_block_or_a_bad_block_never_stops_the_run(tmp_path, capsys):
    env: dict[str, str] = {}
    assert apply_config_env(_exp(tmp_path, ""), env) == {}
    assert apply_config_env(_exp(tmp_path, "env: [1, 2]\n"), env) == {}
    assert "Ignoring non-mapping top-level `env:`" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("env: {a: [\n")
    assert apply_config_env(bad, env) == {}
    assert "WARNING: could not apply" in capsys.readouterr().out
    assert env == {}
