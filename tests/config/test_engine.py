"""Config engine rules: substitution, extends, presets, precedence, provenance, shadowing, diff."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from primus_tui.config import (
    ConfigError,
    ConfigTree,
    diff_configs,
    load_with_extends,
    parse_cli_overrides,
    resolve_experiment,
)
from primus_tui.config.envsubst import substitute


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# ---------------------------------------------------------------- substitution

@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${X}", {"X": "42"}, 42),
        ("${X}", {"X": "-3"}, -3),
        ("${X}", {"X": "1e-5"}, 1e-5),
        ("${X}", {"X": ".5"}, 0.5),
        ("${X}", {"X": "TRUE"}, True),
        ("${X}", {"X": "False"}, False),
        ("${X}", {"X": "abc"}, "abc"),
        ("${X:7}", {}, 7),
        ("${X:}", {}, ""),
        ("${X:a:b}", {}, "a:b"),
        ("pre-${X:1}", {}, "pre-1"),
        ("${A:1}${B:2}", {}, 12),
        ("42", {}, "42"),  # no substitution: stays a string
        ("true", {}, "true"),
    ],
)
def test_typed_substitution(text: str, env: dict, expected: object) -> None:
    value, _ = substitute(text, env)
    assert value == expected and type(value) is type(expected)


def test_required_variable_unset_is_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SURELY_UNSET_VAR", raising=False)
    f = write(tmp_path / "a.yaml", "x: ${SURELY_UNSET_VAR}\n")
    with pytest.raises(ConfigError) as err:
        load_with_extends(f)
    assert "SURELY_UNSET_VAR" in str(err.value) and "a.yaml" in str(err.value)
    assert "\n" not in str(err.value)


def test_substitution_records_env_in_provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_LR", "0.5")
    f = write(tmp_path / "a.yaml", "a: 1\nlr: ${MY_LR}\n")
    loaded = load_with_extends(f)
    assert loaded.data["lr"] == 0.5
    assert loaded.sources["lr"].line == 2 and loaded.sources["lr"].env_vars == ("MY_LR",)


def test_reload_sees_new_text_and_env_even_with_the_same_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Primus re-reads every file; our parse cache is keyed on the text, not on the mtime."""
    monkeypatch.setenv("MY_X", "1")
    f = write(tmp_path / "a.yaml", "a: 1\nx: ${MY_X}\n")
    stamp = f.stat().st_mtime_ns
    assert load_with_extends(f).data == {"a": 1, "x": 1}
    f.write_text("a: 2\nx: ${MY_X}\n")  # same size, and the same mtime below (a quick rewrite)
    os.utime(f, ns=(stamp, stamp))
    monkeypatch.setenv("MY_X", "yes")
    first = load_with_extends(f).data
    assert first == {"a": 2, "x": "yes"}
    first["a"] = 99  # callers may mutate what they get; the cache must not see it
    assert load_with_extends(f).data["a"] == 2


# ---------------------------------------------------------------- extends

def test_extends_order_including_file_wins_and_deep_merge(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "x: 1\ny: 1\nd: {p: 1, q: 1}\n")
    write(tmp_path / "b.yaml", "y: 2\nz: 2\nd: {q: 2}\n")
    f = write(tmp_path / "c.yaml", "extends: [a.yaml, b.yaml]\nz: 3\nd: {r: 3}\n")
    loaded = load_with_extends(f)
    assert loaded.data == {"x": 1, "y": 2, "d": {"p": 1, "q": 2, "r": 3}, "z": 3}
    assert [p.name for p in loaded.chain] == ["a.yaml", "b.yaml", "c.yaml"]
    assert loaded.sources["y"].file.endswith("b.yaml") and loaded.sources["y"].line == 1
    assert loaded.sources["d.p"].file.endswith("a.yaml")
    assert loaded.sources["d.r"].file.endswith("c.yaml")


def test_extends_scalar_string_and_relative_to_including_file(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "base.yaml", "k: base\n")
    f = write(tmp_path / "sub" / "child.yaml", "extends: base.yaml\n")
    assert load_with_extends(f).data == {"k": "base"}


def test_scalar_replaces_dict_and_dict_replaces_scalar(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "d: {p: 1}\ns: 1\n")
    f = write(tmp_path / "b.yaml", "extends: [a.yaml]\nd: 5\ns: {q: 2}\n")
    loaded = load_with_extends(f)
    assert loaded.data == {"d": 5, "s": {"q": 2}}
    assert "d.p" not in loaded.sources and loaded.sources["s.q"].file.endswith("b.yaml")


def test_extends_cycle_is_named(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: [b.yaml]\n")
    write(tmp_path / "b.yaml", "extends: [a.yaml]\n")
    with pytest.raises(ConfigError, match=r"extends cycle: a.yaml -> b.yaml -> a.yaml"):
        load_with_extends(tmp_path / "a.yaml")


@pytest.mark.parametrize("bad", ["extends: 3\n", "extends: null\n", "extends: [1, 2]\n"])
def test_extends_wrong_type(tmp_path: Path, bad: str) -> None:
    f = write(tmp_path / "a.yaml", bad)
    with pytest.raises(ConfigError, match="'extends' must be a file name or a list"):
        load_with_extends(f)


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    f = write(tmp_path / "a.yaml", "a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ConfigError) as err:
        load_with_extends(f)
    assert "a.yaml" in str(err.value) and "line 3, column" in str(err.value)


def test_empty_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="empty"):
        load_with_extends(write(tmp_path / "e.yaml", "# nothing\n"))
    with pytest.raises(ConfigError, match="mapping"):
        load_with_extends(write(tmp_path / "l.yaml", "- 1\n- 2\n"))


# ---------------------------------------------------------------- presets

def test_preset_lookup_with_and_without_suffix() -> None:
    tree = ConfigTree.at(None)
    assert tree.preset_path("llama3_8B", "models") == tree.preset_path("llama3_8B.yaml", "models")


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "../../../README.md"])
def test_preset_escape_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="path traversal"):
        ConfigTree.at(None).preset_path(name, "models")


def test_preset_inside_configs_but_other_folder_is_allowed_like_primus() -> None:
    # Primus's guard only stops escapes out of primus/configs.
    path = ConfigTree.at(None).preset_path("../../modules/megatron/pre_trainer.yaml", "models")
    assert path.name == "pre_trainer.yaml"


def test_missing_preset() -> None:
    with pytest.raises(ConfigError, match="model preset 'nope' not found"):
        ConfigTree.at(None).preset_path("nope", "models")


def test_not_a_primus_tree(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a Primus tree"):
        ConfigTree.at(tmp_path)


# ---------------------------------------------------------------- experiments & precedence

@pytest.fixture
def tree(primus_tree_copy: Path) -> ConfigTree:
    models = primus_tree_copy / "primus" / "configs" / "models" / "megatron"
    write(models / "prec_model.yaml", """
        extends: [llama_base.yaml]
        seq_length: 4096
        hidden_size: 512
        lr: 3.0e-05
        only_in_model: 1
    """)
    return ConfigTree.at(primus_tree_copy)


def exp(tmp_path: Path, body: str, name: str = "exp.yaml") -> Path:
    head = "work_group: amd\nuser_name: me\nexp_name: e\nworkspace: ./out\n"
    return write(tmp_path / name, head + textwrap.dedent(body))


def test_precedence_module_over_model_then_overrides_then_cli(tree: ConfigTree, tmp_path: Path) -> None:
    e = exp(tmp_path, """
        modules:
          pre_trainer:
            framework: megatron
            config: pre_trainer.yaml
            model: prec_model.yaml
            overrides:
              train_iters: 7
              micro_batch_size: 3
    """)
    module = resolve_experiment(e, tree, ["micro_batch_size=5", "--lr", "0.1"]).module()
    v, s = module.values, module.sources
    assert v["seq_length"] == 1024 and s["seq_length"].file.endswith("pre_trainer.yaml")  # module beats model
    assert v["hidden_size"] == 512 and s["hidden_size"].file.endswith("prec_model.yaml")  # model adds keys
    assert v["only_in_model"] == 1
    assert v["train_iters"] == 7 and s["train_iters"].kind == "overrides"
    assert v["micro_batch_size"] == 5 and s["micro_batch_size"].kind == "cli"
    assert v["lr"] == 0.1 and s["lr"].kind == "cli"
    assert v["name"] == "pre_trainer" and v["framework"] == "megatron" and v["model"] == "prec_model.yaml"


def test_shadowed_keys_report_both_values(tree: ConfigTree, tmp_path: Path) -> None:
    e = exp(tmp_path, """
        modules:
          pre_trainer: {framework: megatron, config: pre_trainer.yaml, model: prec_model.yaml,
                        overrides: {lr: 1.0e-3}}
    """)
    shadowed = {s.key: s for s in resolve_experiment(e, tree).module().shadowed}
    assert set(shadowed) == {"seq_length", "lr"}
    seq = shadowed["seq_length"]
    assert (seq.model_value, seq.module_value, seq.final_value) == (4096, 1024, 1024)
    assert seq.model_source.file.endswith("prec_model.yaml") and seq.module_source.file.endswith("pre_trainer.yaml")
    assert not seq.fixed_by_override
    assert shadowed["lr"].fixed_by_override and shadowed["lr"].final_value == 1e-3


def test_cli_override_typing() -> None:
    got = parse_cli_overrides(["a=1", "b=1.5", "c=true", "d=None", "e=[1, 2]", "f=1e-5", "--g", "x", "m.n=2", "--h"])
    assert got == {"a": 1, "b": 1.5, "c": True, "d": None, "e": [1, 2], "f": "1e-5", "g": "x", "h": True, "m": {"n": 2}}


@pytest.mark.parametrize("bad", [["justaword"], ["=5"], ["a b=1"]])
def test_malformed_cli_override(bad: list[str]) -> None:
    with pytest.raises(ConfigError, match="malformed CLI override"):
        parse_cli_overrides(bad)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("modules: {}\n", "'modules' must be a mapping"),
        ("modules:\n  evaluator: {framework: megatron}\n", "unknown module 'evaluator'"),
        ("modules:\n  pre_trainer: {config: pre_trainer.yaml, model: x.yaml}\n", "missing required key 'framework'"),
        ("modules:\n  pre_trainer: {framework: megatron, config: pre_trainer.yaml}\n", "missing required key 'model'"),
        ("modules:\n  pre_trainer: {framework: megatron, config: pre_trainer.yaml, model: nope.yaml}\n",
         "model preset 'nope.yaml' not found"),
        ("modules:\n  pre_trainer: {framework: megatron, config: pre_trainer.yaml, model: ../../../../x.yaml}\n",
         "path traversal"),
        ("modules:\n  pre_trainer: {framework: megatron, config: pre_trainer.yaml, model: llama2_7B.yaml, overrides: [1]}\n",
         "overrides must be a mapping"),
        ("platform: {config: nope.yaml}\nmodules:\n  pre_trainer: {framework: megatron}\n", "platform config 'nope.yaml' not found"),
    ],
)
def test_bad_experiments(tree: ConfigTree, tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_experiment(exp(tmp_path, body), tree)
    assert message in str(err.value) and "exp.yaml" in str(err.value)


@pytest.mark.parametrize("key", ["work_group", "user_name", "exp_name", "workspace"])
def test_missing_required_meta(tree: ConfigTree, tmp_path: Path, key: str) -> None:
    lines = [f"{k}: x" for k in ("work_group", "user_name", "exp_name", "workspace") if k != key]
    f = write(tmp_path / "e.yaml", "\n".join(lines) + "\nmodules: {}\n")
    with pytest.raises(ConfigError, match=f"missing required key '{key}'"):
        resolve_experiment(f, tree)


def test_unknown_module_name_for_cli(tree: ConfigTree) -> None:
    e = tree.root / "examples" / "megatron" / "configs" / "MI300X" / "llama2_7B-BF16-pretrain.yaml"
    with pytest.raises(ConfigError, match="no module named 'sft'"):
        resolve_experiment(e, tree).module("sft")


# ---------------------------------------------------------------- diff

def test_diff_configs() -> None:
    entries = {(d.key, d.kind) for d in diff_configs({"a": 1, "b": {"c": 1}, "x": 1}, {"a": 2, "b": {"c": 1, "d": 2}, "f": 1.0})}
    assert entries == {("a", "changed"), ("b.d", "added"), ("x", "removed"), ("f", "added")}
    assert diff_configs({"a": 1}, {"a": 1.0})[0].kind == "changed"  # type change matters to Megatron
