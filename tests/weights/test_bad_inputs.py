"""convert / load / export refuse bad inputs with one line naming the file or tensor, and leave nothing behind."""

from __future__ import annotations

import functools
import hashlib
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("megatron.core")
transformers = pytest.importorskip("transformers")

import weights_helpers as wh  # noqa: E402

fh = wh.fh
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
LLAMA = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=96,
             vocab_size=256, max_position_embeddings=64, initializer_range=0.1)


@pytest.fixture(scope="module")
def runtime():
    from primus_tui.trainer.runtime import init_runtime

    return init_runtime(seed=1234)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad")


@functools.cache
def llama(workdir: Path) -> tuple[torch.nn.Module, Path]:
    folder = workdir / "llama"
    return fh.tiny_hf_model(transformers.LlamaConfig(**LLAMA), folder), folder


def one_error(code: int, stderr: str, expected_code: int = 2) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("primus-tui:") and "convert:" not in line]
    assert code == expected_code and len(lines) == 1 and lines[0].startswith("primus-tui: error: "), (code, stderr)
    return lines[0]


def test_missing_shard_is_named(workdir: Path) -> None:
    model, _ = llama(workdir)
    folder = workdir / "sharded"
    model.save_pretrained(folder, max_shard_size="40KB")
    shards = sorted(folder.glob("model-*.safetensors"))
    assert len(shards) > 2
    shards[1].unlink()
    code, _, err = wh.cli("convert", str(folder), "--name", "w_sharded", "--out", str(workdir / "ck_sharded"))
    line = one_error(code, err)
    assert f"missing shard {shards[1].name} (named by model.safetensors.index.json for model." in line
    assert not (workdir / "ck_sharded").exists()


def test_shape_mismatch_names_the_tensor_and_both_shapes(workdir: Path) -> None:
    from safetensors.torch import load_file, save_file

    _, source = llama(workdir)
    folder = workdir / "bad_shape"
    shutil.copytree(source, folder)
    tensors = load_file(str(folder / "model.safetensors"))
    tensors["model.layers.1.mlp.down_proj.weight"] = torch.zeros(64, 95)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    code, _, err = wh.cli("convert", str(folder), "--name", "w_bad_shape", "--out", str(workdir / "ck_bad"))
    line = one_error(code, err)
    assert ("decoder.layers.1.mlp.linear_fc2.weight: built (64, 95) (copy of model.layers.1.mlp.down_proj.weight "
            "(64, 95)), model wants (64, 96)") in line
    assert not (workdir / "ck_bad").exists() and not list(workdir.glob(".ck_bad*"))


def test_existing_checkpoint_needs_force(runtime, workdir: Path) -> None:
    _, folder = llama(workdir)
    out = workdir / "ck_force"
    wh.convert(folder, "w_force", out)
    stamp = (out / "release/metadata.json").stat().st_mtime_ns
    code, _, err = wh.cli("convert", str(folder), "--name", "w_force", "--out", str(out))
    assert "already holds a checkpoint; pass --force" in one_error(code, err, 4)
    assert (out / "release/metadata.json").stat().st_mtime_ns == stamp
    wh.convert(folder, "w_force", out, "--force")
    assert (out / "release/metadata.json").stat().st_mtime_ns != stamp
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == []


def test_interrupted_conversion_leaves_no_temp_folder(runtime, workdir: Path, monkeypatch) -> None:
    from primus_tui.weights.progress import Progress

    _, folder = llama(workdir)
    calls = []

    def interrupt(self, nbytes: int) -> None:
        calls.append(nbytes)
        if len(calls) == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "advance", interrupt)
    out = workdir / "ck_interrupted"
    code, _, err = wh.cli("convert", str(folder), "--name", "w_int", "--out", str(out))
    assert code == 130 and "interrupted" in err
    assert not out.exists() and [p for p in workdir.iterdir() if "ck_interrupted" in p.name] == []


def test_refuses_what_import_refuses_with_the_same_reason(workdir: Path) -> None:
    config = transformers.LlamaConfig(**LLAMA, rope_parameters={"rope_type": "linear", "rope_theta": 10000.0,
                                                                "factor": 4.0})
    folder = workdir / "linear_rope"
    config.save_pretrained(folder)
    code, _, err = wh.cli("convert", str(folder), "--name", "w_lin", "--out", str(workdir / "ck_lin"))
    convert_line = one_error(code, err)
    code, _, err = wh.cli("import", str(folder), "--name", "w_lin")
    assert code == 2 and convert_line == err.strip().splitlines()[-1]
    assert "rotary_seq_len_interpolation_factor" in convert_line


def test_bin_only_and_cached_repo_id_convert_the_same(runtime, workdir: Path, monkeypatch) -> None:
    """A `.bin`-only model (torch.load weights_only) and a repo id read from the offline HF cache."""
    from megatron.core import dist_checkpointing

    model, folder = llama(workdir)
    hub = workdir / "hf_home" / "hub"
    sha = hashlib.sha1(b"tiny").hexdigest()
    snap = hub / "models--tiny--llama-bin" / "snapshots" / sha
    snap.mkdir(parents=True)
    (hub / "models--tiny--llama-bin" / "refs").mkdir()
    (hub / "models--tiny--llama-bin" / "refs" / "main").write_text(sha)
    shutil.copyfile(folder / "config.json", snap / "config.json")
    torch.save({k: v.clone() for k, v in model.state_dict().items()}, snap / "pytorch_model.bin")
    monkeypatch.setenv("HF_HOME", str(workdir / "hf_home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    wh.convert(folder, "w_st", workdir / "ck_st")
    wh.convert("tiny/llama-bin", "w_bin", workdir / "ck_bin")
    a = dist_checkpointing.load_tensors_metadata(str(workdir / "ck_st/release"))
    assert a.keys() == dist_checkpointing.load_tensors_metadata(str(workdir / "ck_bin/release")).keys()
    code, _, err = wh.cli("convert", "tiny/not-cached", "--name", "w_nc", "--out", str(workdir / "ck_nc"))
    assert "is not in the Hugging Face cache" in one_error(code, err)


def test_loading_another_models_checkpoint_names_the_tensor(runtime, workdir: Path) -> None:
    from primus_tui.trainer.errors import UnsupportedConfig

    _, folder = llama(workdir)
    out = workdir / "ck_other"
    wh.convert(folder, "w_other", out)
    import json

    manifest = json.loads((out / "primus_tui/manifest.json").read_text())
    values = fh.resolve_values(fh.primus_root(workdir), "w_other", manifest["model_yaml"])
    wider = {**values, "ffn_hidden_size": 128}
    with pytest.raises(UnsupportedConfig) as err:
        wh.trainer_model(wider, out, finetune=True)
    message = str(err.value)
    assert message.startswith("load: not a checkpoint of this model: ")
    # the distributed checkpoint's own key: megatron-core stacks the layers of a uniform block (axis 0)
    assert "tensor decoder.layers.mlp.linear_fc1.weight: checkpoint has shape (2, 192, 64), the model wants " \
           "(2, 256, 64)" in message, message


def test_a_dead_checkpoint_writer_manager_does_not_break_the_next_conversion(runtime, workdir: Path) -> None:
    """megatron-core caches a Manager-served results queue per process; when something stopped that
    Manager (a process-tree cleanup did), every later save raised BrokenPipeError, which the CLI
    reported as success with no output."""
    import os
    import signal

    from megatron.core.dist_checkpointing.strategies import filesystem_async

    _, folder = llama(workdir)
    wh.convert(folder, "w_first", workdir / "ck_first")
    manager = filesystem_async._results_queue._manager._process
    os.kill(manager.pid, signal.SIGKILL)
    manager.join(10)
    wh.convert(folder, "w_second", workdir / "ck_second")
    assert (workdir / "ck_second" / "release" / "metadata.json").is_file()
