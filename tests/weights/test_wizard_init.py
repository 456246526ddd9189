"""`experiment.init.from: hf` headless, end to end: the plan names the checkpoint folder, writing
converts the HF weights (a child `primus-tui convert`, from the model YAML just written), the
experiment loads them, and a real `primus-cli` run starts from them; a second run reuses them and
a folder of another model is refused before anything is written."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import yaml

torch = pytest.importorskip("torch")
pytest.importorskip("megatron.core")
transformers = pytest.importorskip("transformers")

import weights_helpers as wh  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")]
TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=176,
            vocab_size=512, max_position_embeddings=64, rms_norm_eps=1e-5, tie_word_embeddings=False,
            initializer_range=0.02)


def answers(tmp_path: Path, root: Path, hf: Path, **init: object) -> Path:
    data = {"model": {"path": str(hf)}, "name": "tiny_cpt", "target": {"primus_root": str(root)},
            "experiment": {"init": {"from": "hf", **init},
                           "overrides": {"train_iters": 2, "micro_batch_size": 2, "global_batch_size": 4,
                                         "seq_length": 64, "log_interval": 1, "lr_warmup_iters": 0}},
            "launch": {"mode": "run", "single": True, "allow_over_memory": True}}
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_init_from_hf_converts_loads_and_trains(tmp_path: Path, primus_tree_copy: Path, monkeypatch) -> None:
    root, hf = primus_tree_copy, tmp_path / "hf"
    shutil.copy2(wh.fh.REPO_ROOT / "primus-cli", root / "primus-cli")  # the real launcher, over this tree
    monkeypatch.setenv("PRIMUS_PYTHON", sys.executable)  # ... and trainer
    wh.fh.tiny_hf_model(transformers.LlamaConfig(**TINY), hf)
    file = answers(tmp_path, root, hf)

    code, out, err = wh.cli("--answers", str(file), "--pretend")
    assert code == 0, err
    assert "convert HF weights into checkpoints/tiny_cpt/" in out and not (root / "checkpoints").exists()

    code, out, err = wh.cli("--answers", str(file), "--json")
    report = json.loads(out)
    assert code == 0, err[-3000:]
    assert report["checkpoint"] == {"path": str(root / "checkpoints/tiny_cpt"), "load": "checkpoints/tiny_cpt",
                                    "action": "convert", "size_bytes": report["checkpoint"]["size_bytes"],
                                    "converted": True}
    experiment = yaml.safe_load((root / "examples/megatron/configs/MI300X/tiny_cpt-pretrain.yaml").read_text())
    ov = experiment["modules"]["pre_trainer"]["overrides"]
    assert (ov["load"], ov["finetune"], ov["no_load_optim"], ov["no_load_rng"]) == ("checkpoints/tiny_cpt", True,
                                                                                     True, True)
    assert (root / "checkpoints/tiny_cpt/latest_checkpointed_iteration.txt").read_text().strip() == "release"
    assert "successfully loaded checkpoint from checkpoints/tiny_cpt" in err
    assert report["launch"]["exit_code"] == 0

    code, out, err = wh.cli("--answers", str(file), "--pretend")  # the same model: reused, not converted again
    assert code == 0 and "reuse checkpoints/tiny_cpt/" in out, err

    other = tmp_path / "other"
    wh.fh.tiny_hf_model(transformers.LlamaConfig(**{**TINY, "num_hidden_layers": 1}), other)
    (tmp_path / "other.yaml").write_text(answers(tmp_path, root, other).read_text().replace("tiny_cpt", "tiny_two"))
    before = sorted(p.name for p in (root / "primus/configs/models/megatron").iterdir())
    data = yaml.safe_load((tmp_path / "other.yaml").read_text())
    data["experiment"]["init"]["checkpoint"] = "checkpoints/tiny_cpt"
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(data))
    code, _, err = wh.cli("--answers", str(tmp_path / "other.yaml"))
    assert code == 4 and "checkpoints/tiny_cpt: holds a checkpoint of another model; pass --force" in err
    assert sorted(p.name for p in (root / "primus/configs/models/megatron").iterdir()) == before  # nothing written


def test_a_failed_conversion_is_one_line_and_leaves_no_folder(tmp_path: Path, primus_tree_copy: Path) -> None:
    root, hf = primus_tree_copy, tmp_path / "hf"
    wh.fh.tiny_hf_model(transformers.LlamaConfig(**TINY), hf)
    (hf / "model.safetensors").unlink()  # a config without weights
    code, _, err = wh.cli("--answers", str(answers(tmp_path, root, hf)))
    assert code == 3
    errors = [line for line in err.splitlines() if line.startswith("primus-tui: error: ")]
    assert len(errors) == 1 and errors[0].startswith(
        "primus-tui: error: converting the HF weights into checkpoints/tiny_cpt failed, exit 2: "), err
    assert not (root / "checkpoints").exists() or not any((root / "checkpoints").iterdir())
