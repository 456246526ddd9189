"""Answers schema: shape, types, did-you-mean, --set, and the complete answers file round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from primus_tui.wizard.answersfile import load_answers_file, render_answers
from primus_tui.wizard.errors import WizardError
from primus_tui.wizard.schema import DEFAULT_OVERRIDES, Answers, apply_sets, default_name, parse_answers

GOOD = {
    "version": 1,
    "model": {"repo": "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "revision": "main"},
    "base": "language_model",
    "name": "tinyllama_1.1B",
    "experiment": {"overrides": {"train_iters": 10}},
}


def paths(problems) -> list[str]:
    return [p.path for p in problems]


def test_good_answers_fill_defaults() -> None:
    answers, problems = parse_answers(GOOD)
    assert problems == []
    assert answers.base == "language_model.yaml"  # Primus's preset rule: the suffix is optional
    assert answers.experiment.work_group == "${PRIMUS_TEAM:amd}"
    assert answers.experiment.overrides == {**DEFAULT_OVERRIDES, "train_iters": 10}
    assert answers.launch.mode == "none" and answers.overwrite == "never"


def test_every_problem_at_once_with_paths_and_did_you_mean() -> None:
    data = {
        "version": 1,
        "modle": {},
        "model": {"repo": "a/b", "revison": "x"},
        "name": 5,
        "experiment": {"fle": "x.yaml", "overrides": ["not", "a", "mapping"]},
        "launch": {"mode": "runn", "single": "yes", "env": {"A": True}},
        "overwrite": "sometimes",
    }
    _, problems = parse_answers(data)
    by_path = {p.path: p.message for p in problems}
    assert "did you mean 'model'" in by_path["modle"]
    assert "did you mean 'revision'" in by_path["model.revison"]
    assert by_path["name"] == "expected a string or null, got int 5"
    assert "did you mean 'file'" in by_path["experiment.fle"]
    assert by_path["experiment.overrides"].startswith("expected a mapping, got list")
    assert "did you mean 'run'" in by_path["launch.mode"]
    assert by_path["launch.single"] == "expected true or false, got str 'yes'"
    assert "quote it" in by_path["launch.env.A"]
    assert "never, force" in by_path["overwrite"]
    assert len(problems) == 9


@pytest.mark.parametrize("name", ["a/b", "../x", "x..y", "-x", ".hidden", "a b"])
def test_unsafe_names(name: str) -> None:
    _, problems = parse_answers({**GOOD, "name": name})
    assert paths(problems) == ["name"]


def test_name_may_carry_yaml_suffix_and_experiment_file_must_be_yaml() -> None:
    answers, problems = parse_answers({**GOOD, "name": "foo.yaml", "experiment": {"file": "foo.yml"}})
    assert answers.name == "foo"
    assert paths(problems) == ["experiment.file"]
    _, problems = parse_answers({**GOOD, "experiment": {"file": "../x.yaml"}})
    assert paths(problems) == ["experiment.file"]


def test_model_repo_xor_path_and_revision_only_with_repo(tmp_path: Path) -> None:
    _, problems = parse_answers({**GOOD, "model": {"repo": "a/b", "path": "/x"}})
    assert paths(problems) == ["model"]
    _, problems = parse_answers({**GOOD, "model": {"path": "/x", "revision": "main"}})
    assert paths(problems) == ["model.revision"]
    answers, problems = parse_answers({**GOOD, "model": {"path": "models/tiny"}, "target": {"primus_root": "p"}}, tmp_path)
    assert problems == []
    assert answers.model.path == str(tmp_path / "models" / "tiny")  # relative to the answers file
    assert answers.target.primus_root == str(tmp_path / "p")


def test_version_and_top_level_type() -> None:
    assert paths(parse_answers({**GOOD, "version": 2})[1]) == ["version"]
    assert parse_answers(["a"])[1][0].message.startswith("expected a mapping at the top level")


def test_set_wins_and_is_typed_by_the_schema() -> None:
    data, problems = apply_sets(GOOD, [
        "experiment.overrides.train_iters=100",
        "experiment.overrides.lr=3e-4",
        "experiment.overrides.save=null",
        "model.revision=1234567",  # a string field keeps the raw text
        "launch.single=true",
        "architecture.num_layers=4",
        "name=other",
    ])
    assert problems == []
    answers, problems = parse_answers(data)
    assert problems == []
    assert answers.experiment.overrides["train_iters"] == 100
    assert answers.experiment.overrides["lr"] == 3e-4
    assert answers.experiment.overrides["save"] is None
    assert answers.model.revision == "1234567"
    assert answers.launch.single is True
    assert answers.architecture == {"num_layers": 4}
    assert answers.name == "other"
    assert GOOD["experiment"]["overrides"] == {"train_iters": 10}  # input untouched


@pytest.mark.parametrize("item", ["noequals", "=3", "a..b=1", "name.x=1"])
def test_bad_set(item: str) -> None:
    _, problems = apply_sets(GOOD, [item])
    assert paths(problems) == ["--set"]


def test_default_name() -> None:
    assert default_name("TinyLlama/TinyLlama-1.1B-Chat-v1.0") == "tinyllama_1.1b_chat_v1.0"
    assert default_name("/models/My Model/config.json") == "my_model"


def test_render_answers_round_trips() -> None:
    answers, _ = parse_answers({
        **GOOD,
        "architecture": {"num_layers": 4, "rope_scaling": {"factor": 8.0}},
        "launch": {"mode": "dry-run", "env": {"NCCL_DEBUG": "INFO"}, "overrides": ["train_iters=2"]},
    })
    text = render_answers(answers)
    again, problems = parse_answers(yaml.safe_load(text))
    assert problems == []
    assert again == answers
    assert render_answers(again) == text


def test_default_answers_render_and_parse() -> None:
    text = render_answers(Answers())
    again, problems = parse_answers(yaml.safe_load(text))
    assert problems == [] and again == Answers()


@pytest.mark.parametrize(
    "content, needle",
    [
        (None, "answers file not found"),
        ("", "answers file is empty"),
        ("# only a comment\n", "answers file is empty"),
        ("model: [unclosed\n", "not valid YAML at line"),
        ("- a\n- b\n", "expected a mapping of answers"),
        (b"\xff\xfe\x00", "not a UTF-8 text file"),
    ],
)
def test_load_answers_file_errors(tmp_path: Path, content, needle: str) -> None:
    path = tmp_path / "answers.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(WizardError) as info:
        load_answers_file(path)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_load_answers_keeps_primus_env_defaults_verbatim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIMUS_TEAM", "other")
    path = tmp_path / "a.yaml"
    path.write_text("experiment:\n  work_group: ${PRIMUS_TEAM:amd}\n")
    assert load_answers_file(path)["experiment"]["work_group"] == "${PRIMUS_TEAM:amd}"


@pytest.mark.parametrize("key", ["HF_TOKEN", "WANDB_API_KEY", "aws_secret_access_key"])
def test_secrets_are_refused_in_launch_env(key: str) -> None:
    _, problems = parse_answers({**GOOD, "launch": {"env": {key: "x", "NCCL_DEBUG": "INFO"}}})
    assert paths(problems) == [f"launch.env.{key}"]
    assert "secret" in problems[0].message


def test_answers_are_declared_once() -> None:
    """SPEC, to_dict, the answers file and the JSON schema all come from the dataclass declaration."""
    import dataclasses

    from primus_tui.wizard.schema import SPEC, json_schema

    def keys(node: object) -> object:
        return {k: keys(v) for k, v in node.items()} if isinstance(node, dict) else None

    declared = {f.name for f in dataclasses.fields(Answers)}
    assert set(SPEC) == declared == set(Answers().to_dict()) == set(json_schema()["properties"])
    assert set(json_schema()["properties"]["launch"]["properties"]["mode"]["enum"]) == {"none", "dry-run", "run"}
    text = render_answers(Answers())
    assert set(yaml.safe_load(text)) == declared
    # the declared comments reach the file
    assert "# never: refuse to replace a file that differs" in text


def test_schema_command_prints_the_json_schema(capsys) -> None:
    import json

    from primus_tui.cli import main

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "primus-tui answers" and "experiment" in schema["properties"]


def test_import_names_a_model_as_the_wizard_does() -> None:
    """`primus-tui import` without --name and the wizard derive one name (they used to differ: - vs _)."""
    from types import SimpleNamespace

    from primus_tui.commands.import_cmd import default_name as import_name

    repo = SimpleNamespace(repo_id="TinyLlama/TinyLlama-1.1B-Chat-v1.0", path=None)
    local = SimpleNamespace(repo_id=None, path=Path("/models/My Model/config.json"))
    assert import_name(repo) == default_name(repo.repo_id) == "tinyllama_1.1b_chat_v1.0"
    assert import_name(local) == "my_model"
