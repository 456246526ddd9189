"""Differential test: many generated preset trees, resolved by us and by Primus's own parser.

Each case writes a model preset chain, a module preset chain and an experiment with odd YAML
scalars (1e-5, 007, 0x10, 1:30, ~, "null"), `${VAR}` / `${VAR:default}` substitutions, shadowed
keys, nested overrides and CLI tokens, then checks that our result equals Primus's, value for
value and in the same key order. Needs a Primus checkout (PRIMUS_SRC); skipped otherwise.
Concrete divergences found this way are pinned without Primus in test_primus_parity.py.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from primus_tui.config import ConfigError, ConfigTree, resolve_experiment

ROOT = Path(__file__).resolve().parents[2]
PRIMUS_SRC = os.environ.get("PRIMUS_SRC")
CASES = 200
SEED = 20261126

ENV = {"FZ_INT": "42", "FZ_FLOAT": "1.5e-3", "FZ_BOOL": "TRUE", "FZ_STR": "abc", "FZ_ZERO": "007",
       "FZ_NEG": "-3", "FZ_EMPTY": "", "FZ_NULL": "null", "FZ_SPACE": " 5 ", "FZ_DOT": "1.", "FZ_HEX": "0x1A",
       "FZ_FILE": "fz_shared.yaml"}

# Raw YAML scalars, written verbatim into the files.
SCALARS = ["42", "-7", "3.5", "1e-5", "1.0e-5", "true", "True", "yes", "off", "null", "~", '"null"', "'None'",
           "text", "007", "0x10", "0o17", "1_000", ".inf", "1:30", '""', "'42'", "[]", "{}",
           "${FZ_INT}", "${FZ_FLOAT}", "${FZ_BOOL}", "${FZ_STR}", "${FZ_ZERO}", "${FZ_NEG}", "${FZ_EMPTY}",
           "${FZ_NULL}", '"${FZ_SPACE}"', "${FZ_DOT}", "${FZ_HEX}", "${FZ_UNSET:12}", "${FZ_UNSET:.5}",
           "${FZ_UNSET:}", "${FZ_UNSET:a:b}", "pre-${FZ_INT}-post", "${FZ_INT}${FZ_INT}", "${FZ_UNSET:false}",
           "$FZ_INT", "${FZ_UNSET:1e3}", "${FZ_UNSET:-2.5E+2}", '"${FZ_UNSET:1.5}"', "'${FZ_INT}'",
           "[1, null, '${FZ_INT}', {a: '${FZ_BOOL}'}]"]
KEYS = ["alpha", "beta", "gamma", "seq_length", "lr", "nest", "lst", "num_layers", "tokenizer_model", "model", "name"]
CLI = [["alpha=1"], ["--beta", "2.5"], ["nest.x=true"], ["lst=[1,2]"], ["gamma=None"], ["--flag"], ["lr=1e-5"],
       ["seq_length=null"], ["--nest.y", "007"], ["num_layers=0x10"], ["new_key={'a': 1}"], ["--lr=3"]]


def _value(rng: random.Random, depth: int, flow: bool = False) -> str:
    if depth < 2 and rng.random() < 0.2:
        return _mapping(rng, depth + 1, inline=True)
    raw = rng.choice(SCALARS)
    if flow and "${" in raw and raw[0] not in "'\"[":  # braces are flow indicators: quote, as a user must
        return f'"{raw}"'
    return raw


def _mapping(rng: random.Random, depth: int, inline: bool = False) -> str:
    keys = rng.sample(KEYS[:-2] if depth else KEYS, rng.randint(1, 4))
    if inline:
        return "{" + ", ".join(f"{k}: {_value(rng, depth, flow=True)}" for k in keys) + "}"
    return "".join(f"{k}: {_value(rng, depth)}\n" for k in keys)


def _extends(rng: random.Random, names: list[str]) -> str:
    if len(names) == 1 and rng.random() < 0.5:
        return f"extends: {names[0]}\n"
    return "extends:\n" + "".join(f"  - {n}\n" for n in names)


def _write_case(i: int, rng: random.Random, configs: Path, exp_dir: Path) -> dict:
    models, modules = configs / "models" / "megatron", configs / "modules" / "megatron"
    (models / f"fz{i}_mb.yaml").write_text(_mapping(rng, 0))
    model_parents = [f"fz{i}_mb.yaml"] + (["fz_shared.yaml"] if rng.random() < 0.3 else [])
    (models / f"fz{i}_m.yaml").write_text(_extends(rng, model_parents) + _mapping(rng, 0))
    (modules / f"fz{i}_modb.yaml").write_text(_mapping(rng, 0))
    module_parents = [f"fz{i}_modb.yaml"] + (["trainer_base.yaml"] if rng.random() < 0.2 else [])
    (modules / f"fz{i}_mod.yaml").write_text(_extends(rng, module_parents) + _mapping(rng, 0))
    model_ref = f"fz{i}_m" + (".yaml" if rng.random() < 0.5 else "")
    extra = "    trainer_class: FuzzTrainer\n" if rng.random() < 0.3 else ""
    overrides = ""
    if rng.random() < 0.8:
        overrides = "    overrides:\n" + "".join("      " + line + "\n" for line in _mapping(rng, 1).splitlines())
    platform = "" if rng.random() < 0.7 else "platform:\n  config: platform_azure.yaml\n  overrides:\n    master_sink_level: ${FZ_STR}\n"
    exp = exp_dir / f"fz{i}.yaml"
    exp.write_text(
        "work_group: ${PRIMUS_TEAM:amd}\nuser_name: ${PRIMUS_USER:root}\nexp_name: fz\nworkspace: ./output\n"
        + platform
        + f"modules:\n  pre_trainer:\n    framework: megatron\n    config: fz{i}_mod.yaml\n    model: {model_ref}\n"
        + extra + overrides
    )
    cli = [t for unit in rng.sample(CLI, rng.randint(0, 4)) for t in unit] if rng.random() < 0.5 else []
    return {"exp": str(exp), "module": "pre_trainer", "cli": cli}


def _primus_results(cases: list[dict], tmp_path: Path, env: dict[str, str]) -> list[dict]:
    """Primus's own parser on every case, in one process (tools/primus_reference.py --batch)."""
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "primus_reference.py"), "--batch",
                           str(tmp_path / "cases.json")], env=env, capture_output=True, text=True, timeout=600,
                          check=True)
    return json.loads(proc.stdout.splitlines()[-1])


def _differences(cases: list[dict], expected: list[dict], tree: ConfigTree, label) -> list[str]:
    """One line per case where our result (or failure) is not Primus's, values and key order."""
    failures = []
    for case, want in zip(cases, expected):
        name = label(case)
        try:
            got = resolve_experiment(case["exp"], tree, cli_overrides=case.get("cli")).module(case["module"]).values
        except ConfigError as exc:
            if "error" not in want:
                failures.append(f"{name}: we fail ({exc}), Primus gives a result")
            continue
        if "error" in want:
            failures.append(f"{name}: Primus fails ({want['error'][:160]}), we give a result")
        elif json.dumps(got, default=repr) != json.dumps(want["values"], default=repr):
            theirs = want["values"]
            diff = {k: (got.get(k, "<missing>"), theirs.get(k, "<missing>"))
                    for k in {*got, *theirs} if got.get(k, "<m>") != theirs.get(k, "<m>")}
            failures.append(f"{name}: {diff or 'key order differs'}")
    return failures


@pytest.mark.skipif(not PRIMUS_SRC, reason="PRIMUS_SRC (a Primus checkout) not set")
def test_generated_trees_resolve_exactly_as_primus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    shutil.copytree(Path(PRIMUS_SRC) / "primus", root / "primus", ignore=shutil.ignore_patterns("__pycache__"))
    configs = root / "primus" / "configs"
    (configs / "models" / "megatron" / "fz_shared.yaml").write_text("gamma: shared\nnest: {x: 1, y: '${FZ_INT}'}\n")
    exp_dir = tmp_path / "exps"
    exp_dir.mkdir()
    rng = random.Random(SEED)
    cases = [_write_case(i, rng, configs, exp_dir) for i in range(CASES)]
    for var in list(os.environ):
        if var.startswith(("PRIMUS_", "FZ_")):
            monkeypatch.delenv(var)
    expected = _primus_results(cases, tmp_path, {**os.environ, **ENV, "PRIMUS_SRC": str(root)})
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    failures = _differences(cases, expected, ConfigTree.at(root), lambda c: f"{Path(c['exp']).name} {c['cli']}")
    assert not failures, f"{len(failures)}/{CASES} cases differ:\n" + "\n".join(failures[:15])


@pytest.mark.skipif(not PRIMUS_SRC, reason="PRIMUS_SRC (a Primus checkout) not set")
def test_every_example_in_the_checkout_resolves_exactly_as_primus(tmp_path: Path) -> None:
    """Every experiment under PRIMUS_SRC/examples (all platforms and frameworks), both module names."""
    src = Path(PRIMUS_SRC)
    exps = sorted(p for p in (src / "examples").rglob("*.yaml") if "modules:" in p.read_text(errors="replace"))
    if not exps:
        pytest.skip("the Primus checkout has no examples/")
    cases = [{"exp": str(p), "module": m} for p in exps for m in ("pre_trainer", "post_trainer")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIMUS_")} | {"PRIMUS_SRC": str(src)}
    expected = _primus_results(cases, tmp_path, env)
    failures = _differences(cases, expected, ConfigTree.at(src),
                            lambda c: f"{Path(c['exp']).relative_to(src)}:{c['module']}")
    assert not failures, "\n".join(failures[:20])
