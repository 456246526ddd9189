"""Differential test: many generated preset trees, resolved by us and by Primus's own parser.

Each case writes a model preset chain and a module preset chain (one to three levels, `extends`
as a list, a string, now and then a mapping; diamonds through a shared base), an experiment
(sometimes extending a base experiment, sometimes with a second module, a module left as written,
a typed meta value) with odd YAML scalars (1e-5, 1.0e-5, 007, "007", 0x10, 1:30, ~, "null", a tab
before a comment), anchors and `<<` merges, non-string keys, `${VAR}` / `${VAR:default}`
substitutions (whole values and inside strings and lists), shadowed keys, nested overrides
(with null and "null") and CLI tokens (including conflicting dotted ones). Our result must equal
Primus's value for value and in the same key order, and we must fail exactly where Primus fails.
Needs a Primus checkout (PRIMUS_SRC); skipped otherwise. Divergences found this way are pinned
without Primus in test_parser_divergences.py.
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
# A longer hunt: PARSER_FUZZ_CASES=5000 PARSER_FUZZ_SEED=7 pytest tests/config/test_parser_differential.py
CASES = int(os.environ.get("PARSER_FUZZ_CASES", "400"))
SEED = int(os.environ.get("PARSER_FUZZ_SEED", "20261127"))

ENV = {"FZ_INT": "42", "FZ_FLOAT": "1.5e-3", "FZ_BOOL": "TRUE", "FZ_STR": "abc", "FZ_ZERO": "007",
       "FZ_NEG": "-3", "FZ_EMPTY": "", "FZ_NULL": "null", "FZ_SPACE": " 5 ", "FZ_DOT": "1.", "FZ_HEX": "0x1A",
       "FZ_FILE": "fz_shared.yaml", "FZ_TAB": "a\tb", "FZ_UNDERSCORE": "1_000", "FZ_PLUS": "+5", "FZ_E": "1E5"}

# Raw YAML scalars, written verbatim into the files.
SCALARS = ["42", "-7", "3.5", "1e-5", "1.0e-5", "1.0E+3", "true", "True", "yes", "off", "null", "~", '"null"',
           "'None'", "text", "007", '"007"', "0x10", "0o17", "0b11", "1_000", ".inf", ".nan", "1:30", '""', "'42'",
           "[]", "{}", "", "a b # comment", "'tab\tinside quotes'",
           "${FZ_INT}", "${FZ_FLOAT}", "${FZ_BOOL}", "${FZ_STR}", "${FZ_ZERO}", "${FZ_NEG}", "${FZ_EMPTY}",
           "${FZ_NULL}", '"${FZ_SPACE}"', "${FZ_DOT}", "${FZ_HEX}", "${FZ_TAB}", "${FZ_UNDERSCORE}", "${FZ_PLUS}",
           "${FZ_E}", "${FZ_UNSET:12}", "${FZ_UNSET:.5}", "${FZ_UNSET:}", "${FZ_UNSET:a:b}", "pre-${FZ_INT}-post",
           "${FZ_INT}${FZ_INT}", "${FZ_UNSET:false}", "$FZ_INT", "${FZ_UNSET:1e3}", "${FZ_UNSET:-2.5E+2}",
           '"${FZ_UNSET:1.5}"', "'${FZ_INT}'", "${FZ_UNSET:null}", "'${FZ_UNSET:[1]}'",
           "[1, null, '${FZ_INT}', {a: '${FZ_BOOL}'}]", "[a, [b, '${FZ_UNSET:0}']]", "['null', ~]"]
# Scalars that make the whole case fail (in Primus and in ours): rare, so most cases compare values.
FAILING = ["${FZ_REQUIRED_UNSET}", "x\t# a tab before the comment", "1\t"]
KEYS = ["alpha", "beta", "gamma", "seq_length", "lr", "nest", "lst", "num_layers", "tokenizer_model",
        "model", "name", "framework", "trainer_class", "_private", "params"]
NESTED_KEYS = KEYS[:9]
ODD_KEYS = ["1", "yes", "~", "1.5", "'1'", '"true"']  # non-string keys (Primus fails) and quoted ones (fine)
CLI = [["alpha=1"], ["--beta", "2.5"], ["nest.x=true"], ["lst=[1,2]"], ["gamma=None"], ["--flag"], ["lr=1e-5"],
       ["seq_length=null"], ["--nest.y", "007"], ["num_layers=0x10"], ["new_key={'a': 1}"], ["--lr=3"],
       ["alpha=1", "alpha.x=2"], ["nest.x.y=1"], ["deep.a.b=1", "deep.a.c=(1, 2)"], ["nest={'z': 1}", "nest.w=2"],
       ["name=cli"], ["model=cli_model"], ["--beta", "--gamma"], ["lr=1.0e-5"], ["alpha= 5 "], ["beta="],
       ["odd={1: 'a'}"], ["odd=[{'a': {True: 1}}]"]]


def _value(rng: random.Random, depth: int, flow: bool = False) -> str:
    if depth < 2 and rng.random() < 0.15:
        return _mapping(rng, depth + 1, inline=True)
    raw = rng.choice(FAILING) if rng.random() < 0.003 else rng.choice(SCALARS)
    if flow and ("#" in raw or "\t" in raw or ("${" in raw and raw[0] not in "'\"[")):
        return f'"{raw}"'  # flow context: quote what a user would have to quote
    return raw


def _key(rng: random.Random, depth: int) -> str:
    if rng.random() < 0.006:
        return rng.choice(ODD_KEYS)
    return rng.choice(NESTED_KEYS if depth else KEYS)


def _mapping(rng: random.Random, depth: int, inline: bool = False) -> str:
    keys = list(dict.fromkeys(_key(rng, depth) for _ in range(rng.randint(1, 4))))
    if inline:
        return "{" + ", ".join(f"{k}: {_value(rng, depth, flow=True)}" for k in keys) + "}"
    lines = []
    for k in keys:
        if depth < 2 and rng.random() < 0.1:  # a block-style nested mapping
            lines.append(f"{k}:\n" + "".join(f"  {line}\n" for line in _mapping(rng, depth + 1).splitlines()))
        else:
            lines.append(f"{k}: {_value(rng, depth)}\n")
    if rng.random() < 0.08:  # an anchor and a `<<` merge, resolved by the YAML loader
        anchor = f"A{rng.randrange(10**9)}"
        lines.insert(0, f"anch: &{anchor} {{p: 1, q: '${{FZ_INT}}', r: \"null\"}}\n")
        lines.append(f"merged:\n  <<: *{anchor}\n  q: 2\n")
    return "".join(lines)


def _extends(rng: random.Random, names: list[str]) -> str:
    r = rng.random()
    if len(names) == 1 and r < 0.4:
        return f"extends: {names[0]}\n"
    if r > 0.97:
        return "extends: {" + ", ".join(f"{n}: x" for n in names) + "}\n"  # Primus walks the keys
    if r > 0.9:
        return "extends: [" + ", ".join(names) + "]\n"
    return "extends:\n" + "".join(f"  - {n}\n" for n in names)


def _chain(rng: random.Random, folder: Path, stem: str, shared: str) -> str:
    """Write a 1-3 level preset chain; return the top file's name."""
    levels = rng.randint(1, 3)
    parent = None
    for level in range(levels):
        name = f"{stem}_{level}.yaml"
        parents = [parent] if parent else []
        if rng.random() < 0.25:
            parents.append(shared)
        if rng.random() < 0.5:
            rng.shuffle(parents)
        text = (_extends(rng, parents) if parents else "") + _mapping(rng, 0)
        if parents and rng.random() < 0.3:  # local keys before `extends`: order must not matter
            text = _mapping(rng, 0) + _extends(rng, parents)
        (folder / name).write_text(text)
        parent = name
    return parent


def _module_spec(rng: random.Random, i: int, name: str, configs: Path) -> str:
    models, modules = configs / "models" / "megatron", configs / "modules" / "megatron"
    model_top = _chain(rng, models, f"fz{i}{name[:2]}_m", "fz_shared.yaml")
    module_top = _chain(rng, modules, f"fz{i}{name[:2]}_mod", "trainer_base.yaml" if rng.random() < 0.3 else
                        "fz_shared_mod.yaml")
    model_ref = model_top if rng.random() < 0.5 else model_top.removesuffix(".yaml")
    lines = ["framework: megatron"]
    r = rng.random()
    if r < 0.04:
        lines.append(f"model: {model_ref}")  # no config: Primus leaves the module as written
    elif r < 0.06:
        pass  # neither config nor model
    else:
        lines += [f"config: {module_top}", f"model: {model_ref}"]
    if rng.random() < 0.3:
        lines.append("trainer_class: FuzzTrainer")
    for _ in range(rng.randint(0, 2)):  # module-level keys: kept when the module preset lacks them
        lines.append(f"{_key(rng, 0)}: {_value(rng, 1, flow=True)}")
    if rng.random() < 0.8:
        lines.append("overrides:")
        lines += ["  " + line for line in _mapping(rng, 0 if rng.random() < 0.3 else 1).splitlines()]
    elif rng.random() < 0.3:
        lines.append("overrides:")  # null overrides
    seen: set[str] = set()
    out = []
    for line in lines:  # no duplicate keys at the spec's top level
        key = line.split(":", 1)[0]
        if not line.startswith("  ") and key in seen:
            continue
        seen.add(key)
        out.append(line)
    return "".join(f"    {line}\n" for line in out)


def _write_case(i: int, rng: random.Random, configs: Path, exp_dir: Path) -> dict:
    exp_name = "fz"
    if rng.random() < 0.03:
        exp_name = rng.choice(["${FZ_INT}", "007", "'007'", "${FZ_STR}", "null"])  # must stay a string
    names = ["pre_trainer"]
    r = rng.random()
    if r < 0.1:
        names = ["post_trainer"]  # asked for as pre_trainer: Primus aliases it
    elif r < 0.2:
        names = ["pre_trainer", "post_trainer"]
    elif r < 0.22:
        names = ["pre_trainer", "evaluator"]  # not a trainer module: Primus refuses
    modules = "".join(f"  {n}:\n" + _module_spec(rng, i, n, configs) for n in names)
    platform = ""
    if rng.random() < 0.2:
        platform = "platform:\n  config: platform_azure.yaml\n  overrides:\n    master_sink_level: ${FZ_STR}\n"
    head = f"work_group: ${{PRIMUS_TEAM:amd}}\nuser_name: ${{PRIMUS_USER:root}}\nexp_name: {exp_name}\n"
    exp = exp_dir / f"fz{i}.yaml"
    if rng.random() < 0.15:  # the experiment itself extends a base experiment
        (exp_dir / f"fz{i}_base.yaml").write_text(head + "workspace: ./base_output\n" + platform + "modules:\n"
                                                  + "  pre_trainer:\n    framework: megatron\n    extra: base\n")
        exp.write_text(_extends(rng, [f"fz{i}_base.yaml"]) + "workspace: ./output\nmodules:\n" + modules)
    else:
        exp.write_text(head + "workspace: ./output\n" + platform + "modules:\n" + modules)
    cli = [t for unit in rng.sample(CLI, rng.randint(0, 4)) for t in unit] if rng.random() < 0.5 else []
    return {"exp": str(exp), "module": "pre_trainer", "cli": cli}


def run_reference(cases_file: Path, primus_src: Path, env: dict, cwd: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "primus_reference.py"), "--batch", str(cases_file)],
                          env={**env, "PRIMUS_SRC": str(primus_src)}, capture_output=True, text=True, timeout=300,
                          check=True, cwd=cwd)
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.skipif(not PRIMUS_SRC, reason="PRIMUS_SRC (a Primus checkout) not set")
def test_generated_trees_resolve_exactly_as_primus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    shutil.copytree(Path(PRIMUS_SRC) / "primus", root / "primus", ignore=shutil.ignore_patterns("__pycache__"))
    configs = root / "primus" / "configs"
    (configs / "models" / "megatron" / "fz_shared.yaml").write_text(
        "gamma: shared\nnest: {x: 1, y: '${FZ_INT}', n: 'null'}\nlst: [1, 2]\nmodel: shared_model\n")
    (configs / "modules" / "megatron" / "fz_shared_mod.yaml").write_text(
        "beta: 'null'\nnest: {x: 'null', z: ~}\nframework: preset_framework\nname: preset_name\n")
    exp_dir = tmp_path / "exps"
    exp_dir.mkdir()
    rng = random.Random(SEED)
    cases = [_write_case(i, rng, configs, exp_dir) for i in range(CASES)]
    (tmp_path / "cases.json").write_text(json.dumps(cases))

    for var in list(os.environ):
        if var.startswith(("PRIMUS_", "FZ_")):
            monkeypatch.delenv(var)
    expected = run_reference(tmp_path / "cases.json", root, {**os.environ, **ENV}, tmp_path)

    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    tree = ConfigTree.at(root)
    failures, errors = [], 0
    for case, want in zip(cases, expected):
        name = Path(case["exp"]).name
        try:
            got = resolve_experiment(case["exp"], tree, cli_overrides=case["cli"]).module("pre_trainer").values
        except ConfigError as exc:
            errors += 1
            if "error" not in want:
                failures.append(f"{name} {case['cli']}: we fail ({exc}), Primus gives a result")
            continue
        if "error" in want:
            failures.append(f"{name} {case['cli']}: Primus fails ({want['error']}), we give a result")
            continue
        ours, theirs = json.dumps(got, default=repr), json.dumps(want["values"], default=repr)
        if ours != theirs:
            diff = {k: (got.get(k, "<missing>"), want["values"].get(k, "<missing>"))
                    for k in {*got, *want["values"]} if got.get(k, "<m>") != want["values"].get(k, "<m>")}
            failures.append(f"{name} {case['cli']}: {diff or 'key order differs'}")
    assert not failures, f"{len(failures)}/{CASES} cases differ:\n" + "\n".join(failures[:15])
    # The generator must mostly produce valid trees, and some invalid ones.
    assert CASES * 0.05 < errors < CASES * 0.5, errors


@pytest.mark.skipif(not PRIMUS_SRC, reason="PRIMUS_SRC (a Primus checkout) not set")
def test_every_example_in_the_checkout_resolves_exactly_as_primus(tmp_path: Path) -> None:
    """Every experiment under PRIMUS_SRC/examples (all platforms and frameworks), both module names."""
    src = Path(PRIMUS_SRC)
    exps = sorted(p for p in (src / "examples").rglob("*.yaml") if "modules:" in p.read_text(errors="replace"))
    if not exps:
        pytest.skip("the Primus checkout has no examples/")
    cases = [{"exp": str(p), "module": m} for p in exps for m in ("pre_trainer", "post_trainer")]
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIMUS_")}
    expected = run_reference(tmp_path / "cases.json", src, env, tmp_path)
    tree = ConfigTree.at(src)
    failures, compared = [], 0
    for case, want in zip(cases, expected):
        name = f"{Path(case['exp']).relative_to(src)}:{case['module']}"
        try:
            got = resolve_experiment(case["exp"], tree).module(case["module"]).values
        except ConfigError as exc:
            if "error" not in want:
                failures.append(f"{name}: we fail ({exc})")
            continue
        if "error" in want:
            failures.append(f"{name}: Primus fails ({want['error'][:120]})")
        elif json.dumps(got, default=repr) != json.dumps(want["values"], default=repr):
            failures.append(f"{name}: values or key order differ")
        compared += 1
    assert not failures, "\n".join(failures[:20])
    assert compared >= len(exps)
