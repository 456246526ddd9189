"""Divergences from Primus's parser that the differential test found, pinned without Primus.

Each case is a small self-contained tree (presets + experiment). The expected results in
tests/golden/primus_parser/divergences.json are what Primus's real `PrimusParser` produced
(tools/primus_reference.py, Primus commit fd1eeab): merged values in Primus's key order, or
the exception Primus raised, where we must raise a one-line ConfigError. With PRIMUS_SRC set,
the goldens are also re-checked against Primus live.

Regenerate: PRIMUS_SRC=/path/to/Primus python tests/config/test_parser_divergences.py --write
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from primus_tui.config import ConfigError, ConfigTree, resolve_experiment

GOLDEN = ROOT / "tests" / "golden" / "primus_parser" / "divergences.json"
MODELS = "primus/configs/models/megatron"
MODULES = "primus/configs/modules/megatron"
META = "work_group: amd\nuser_name: me\nexp_name: dv\nworkspace: ./output\n"
ENV = {"DV_WS": "1", "DV_STR": "abc"}


def _exp(body: str, meta: str = META) -> str:
    return meta + "modules:\n" + body


BASE_FILES = {
    f"{MODELS}/dv_model.yaml": "hidden_size: 64\nshadowed: model\nnest: {a: 1, b: 'null'}\n",
    f"{MODULES}/dv_module.yaml": "train_iters: 10\nshadowed: module\nlr: 1.0e-4\n",
}
CONFIGURED = "  pre_trainer:\n    framework: megatron\n    config: dv_module.yaml\n    model: dv_model.yaml\n"

# name -> (what it pins, Primus source that defines it, extra files, experiment text, CLI tokens)
CASES: dict[str, tuple[str, str, dict[str, str], str, list[str]]] = {
    "module_without_config_is_kept_but_renamed": (
        "a module with `model` but no `config` is left as written, except `name`",
        ("primus/core/launcher/parser.py:259 `module.name = f\"exp.modules.{module_name}\"` before the early "
         "return at :274; no null conversion happens"),
        {},
        _exp("  pre_trainer:\n    framework: megatron\n    model: dv_model.yaml\n    foo: 'null'\n"
             "    nest: {a: 'null'}\n    overrides: {foo: 1}\n"),
        [],
    ),
    "module_without_config_name_replaced_in_place": (
        "an existing `name` keeps its position and gets Primus's value",
        "primus/core/launcher/parser.py:259",
        {},
        _exp("  pre_trainer:\n    name: mine\n    framework: megatron\n    trainer_class: T\n"),
        ["trainer_class=U"],
    ),
    "post_trainer_without_config_or_model_via_alias": (
        "neither `config` nor `model`: left as written; asked for as pre_trainer, found as post_trainer",
        "primus/core/launcher/parser.py:270 and primus/core/launcher/config.py get_module_config alias",
        {},
        _exp("  post_trainer:\n    framework: megatron\n    x: 1\n"),
        [],
    ),
    "extends_mapping_walks_its_keys": (
        "`extends:` given as a mapping extends its keys, in order",
        "primus/core/config/yaml_loader.py:160 `for ext in extends:` (a dict iterates its keys)",
        {f"{MODELS}/dv_base1.yaml": "a: 1\nb: 1\n", f"{MODELS}/dv_base2.yaml": "b: 2\nc: 2\n",
         f"{MODELS}/dv_map.yaml": "extends: {dv_base1.yaml: ignored, dv_base2.yaml: ignored}\nc: 3\n"},
        _exp(CONFIGURED.replace("dv_model.yaml", "dv_map.yaml")),
        [],
    ),
    "int_key_in_model_preset_fails": (
        "a non-string key anywhere in a preset fails",
        "primus/core/utils/yaml_utils.py:26 `SimpleNamespace(**{k: ...})` (keywords must be strings)",
        {f"{MODELS}/dv_intkey.yaml": "hidden_size: 64\nrope: {1: x}\n"},
        _exp(CONFIGURED.replace("dv_model.yaml", "dv_intkey.yaml")),
        [],
    ),
    "bool_key_in_a_list_in_the_experiment_fails": (
        "`yes:` is a bool key; mappings inside lists are converted too",
        "primus/core/utils/yaml_utils.py:26-28 (lists are walked)",
        {},
        _exp(CONFIGURED + "    layers: [{yes: 1}]\n"),
        [],
    ),
    "non_string_key_replaced_by_a_scalar_is_fine": (
        "the check applies to the merged preset, after `extends`",
        "primus/core/launcher/parser.py:303 dict_to_nested_namespace(PresetLoader.load(...))",
        {f"{MODELS}/dv_badbase.yaml": "rope: {1: x}\nkeep: 1\n",
         f"{MODELS}/dv_fixed.yaml": "extends: dv_badbase.yaml\nrope: none\n"},
        _exp(CONFIGURED.replace("dv_model.yaml", "dv_fixed.yaml")),
        [],
    ),
    "exp_name_that_yaml_reads_as_int_fails": (
        "exp_name: 007 is the int 7; Primus joins it into the output path",
        "primus/core/launcher/config.py:18 os.path.join(workspace, work_group, user_name, exp_name)",
        {},
        _exp(CONFIGURED, META.replace("exp_name: dv", "exp_name: 007")),
        [],
    ),
    "workspace_typed_by_env_substitution_fails": (
        "`${DV_WS}` = '1' becomes the int 1",
        "primus/core/launcher/config.py:18 with primus/core/config/yaml_loader.py _try_scalar",
        {},
        _exp(CONFIGURED, META.replace("workspace: ./output", "workspace: ${DV_WS}")),
        [],
    ),
    "quoted_exp_name_is_fine": (
        "'007' stays a string",
        "primus/core/launcher/config.py:18",
        {},
        _exp(CONFIGURED, META.replace("exp_name: dv", "exp_name: '007'")),
        [],
    ),
    "tab_before_a_comment_fails": (
        "PyYAML's pure SafeLoader (Primus) rejects a tab as separation; libyaml accepts it",
        "primus/core/config/yaml_loader.py:34 yaml.load(f, Loader=yaml.SafeLoader)",
        {f"{MODULES}/dv_tab.yaml": "train_iters: 10\t# ten\nlr: 1.0e-4\n"},
        _exp(CONFIGURED.replace("dv_module.yaml", "dv_tab.yaml")),
        [],
    ),
    "trailing_tab_fails": (
        "a trailing tab after a value",
        "primus/core/config/yaml_loader.py:34",
        {f"{MODULES}/dv_tab2.yaml": "train_iters: 10\t\n"},
        _exp(CONFIGURED.replace("dv_module.yaml", "dv_tab2.yaml")),
        [],
    ),
    "tabs_inside_quotes_and_block_scalars_are_fine": (
        "tabs where the pure loader accepts them",
        "primus/core/config/yaml_loader.py:34",
        {f"{MODULES}/dv_tab3.yaml": "train_iters: 10\nnote: \"a\tb\"\nblock: |\n  x\ty\n"},
        _exp(CONFIGURED.replace("dv_module.yaml", "dv_tab3.yaml")),
        [],
    ),
    "byte_order_mark_after_the_start_is_part_of_the_key": (
        "the pure loader keeps a U+FEFF inside the document (libyaml fails on it)",
        "primus/core/config/yaml_loader.py:34",
        {f"{MODELS}/dv_bom.yaml": "hidden_size: 64\n\ufeffseq: 2\n"},
        _exp(CONFIGURED.replace("dv_model.yaml", "dv_bom.yaml")),
        [],
    ),
    "simple_key_over_1024_characters_fails": (
        "the pure loader limits a simple key to 1024 characters; libyaml does not",
        "primus/core/config/yaml_loader.py:34",
        {f"{MODELS}/dv_long.yaml": "k" * 1100 + ": 1\n"},
        _exp(CONFIGURED.replace("dv_model.yaml", "dv_long.yaml")),
        [],
    ),
    "cli_dotted_key_under_a_scalar_fails": (
        "`alpha=1 alpha.x=2`: Primus indexes into the int",
        "primus/core/utils/arg_utils.py:164-165 `current = current[k]; current[keys[-1]] = value`",
        {},
        _exp(CONFIGURED),
        ["alpha=1", "alpha.x=2"],
    ),
    "cli_dotted_key_under_a_literal_dict_merges": (
        "`alpha={'a': 1} alpha.b=2` adds to the literal dict",
        "primus/core/utils/arg_utils.py:160-166",
        {},
        _exp(CONFIGURED),
        ["alpha={'a': 1}", "alpha.b=2", "nest.b=null"],
    ),
    "cli_literal_dict_with_a_non_string_key_fails": (
        "`odd={1: 'a'}`: the runtime turns the merged params back into namespaces",
        "primus/core/runtime/train_runtime.py:305 dict_to_nested_namespace(merged_params_dict)",
        {},
        _exp(CONFIGURED),
        ["odd={1: 'a'}"],
    ),
    "non_string_framework_fails": (
        "framework: 1 is joined into the preset path",
        "primus/core/config/preset_loader.py:45 os.path.join(configs_root, config_type, framework, filename)",
        {},
        _exp(CONFIGURED.replace("framework: megatron", "framework: 1")),
        [],
    ),
    "non_string_platform_config_fails": (
        "platform.config: 1 is joined into the platform path",
        "primus/core/launcher/parser.py:224 os.path.join(self.primus_home, 'configs/platforms', config)",
        {},
        _exp(CONFIGURED, META + "platform: {config: 1}\n"),
        [],
    ),
}


def _write_tree(root: Path, primus_pkg: Path) -> list[dict]:
    shutil.copytree(primus_pkg, root / "primus", ignore=shutil.ignore_patterns("__pycache__"))
    batch = []
    for name, (_what, _where, files, exp, cli) in CASES.items():
        for rel, text in {**BASE_FILES, **files}.items():
            (root / rel).write_text(text, encoding="utf-8")
        path = root / "exps" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(exp, encoding="utf-8")
        batch.append({"exp": str(path), "module": "pre_trainer", "cli": cli})
    return batch


def _primus_results(tmp: Path, primus_src: Path) -> dict[str, dict]:
    batch = _write_tree(tmp / "primus_root", primus_src / "primus")
    (tmp / "cases.json").write_text(json.dumps(batch))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRIMUS_", "DV_"))}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "primus_reference.py"), "--batch", str(tmp / "cases.json")],
        env={**env, **ENV, "PRIMUS_SRC": str(tmp / "primus_root")}, capture_output=True, text=True, check=True,
        cwd=tmp, timeout=300,
    )
    results = json.loads(proc.stdout.splitlines()[-1])
    return dict(zip(CASES, results))


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith(("PRIMUS_", "DV_")):
            monkeypatch.delenv(var)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="module")
def golden() -> dict[str, dict]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_golden_covers_every_case(golden: dict[str, dict]) -> None:
    assert set(golden) == set(CASES)
    assert any("error" in g for g in golden.values()) and any("values" in g for g in golden.values())


@pytest.fixture(scope="module")
def our_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[ConfigTree, dict[str, dict]]:
    root = tmp_path_factory.mktemp("divergences") / "root"
    batch = dict(zip(CASES, _write_tree(root, ROOT / "primus")))
    return ConfigTree.at(root), batch


@pytest.mark.parametrize("name", list(CASES))
def test_divergence_fixed(name: str, golden: dict[str, dict], our_tree, monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    tree, batch = our_tree
    case, want = batch[name], golden[name]
    if "error" in want:
        with pytest.raises(ConfigError) as err:
            resolve_experiment(case["exp"], tree, cli_overrides=case["cli"]).module("pre_trainer")
        assert "\n" not in str(err.value)
        return
    got = resolve_experiment(case["exp"], tree, cli_overrides=case["cli"]).module("pre_trainer").values
    assert got == want["values"]
    assert list(got) == list(want["values"]), "key order differs from Primus"


@pytest.mark.skipif(not os.environ.get("PRIMUS_SRC"), reason="PRIMUS_SRC (a Primus checkout) not set")
def test_goldens_are_what_primus_gives(golden: dict[str, dict], tmp_path: Path) -> None:
    live = _primus_results(tmp_path, Path(os.environ["PRIMUS_SRC"]))
    for name, want in golden.items():
        assert ("error" in live[name]) == ("error" in want), name
        if "values" in want:
            assert live[name]["values"] == want["values"], name


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results = _primus_results(Path(tmp), Path(os.environ["PRIMUS_SRC"]))
    for name, result in results.items():
        if "error" in result:
            result["error"] = result["error"].splitlines()[0]
        result["pins"], result["primus_source"] = CASES[name][0], CASES[name][1]
    GOLDEN.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(results)} cases)")
