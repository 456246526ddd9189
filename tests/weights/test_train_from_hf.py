"""End to end through the real ./primus-cli: convert an HF model, train 3 iterations from it with
`load:`, export the trained checkpoint and load it in transformers.

The HF model has tiny_llama_cpu.yaml's shape, so the stock CPU experiment trains it unchanged
(only `load`, `finetune`, `train_iters` and `save` are overridden on the command line).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("megatron.core")
transformers = pytest.importorskip("transformers")

import weights_helpers as wh  # noqa: E402
from primus_tui.launch.logparse import parse_log  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")]
TINY_LLAMA_CPU = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      intermediate_size=176, vocab_size=512, max_position_embeddings=64, rms_norm_eps=1e-5,
                      tie_word_embeddings=False, initializer_range=0.02)


def test_primus_cli_trains_from_converted_weights_and_exports(tmp_path: Path) -> None:
    from tests.launch.clihelp import TRAIN, run_cli

    hf = tmp_path / "hf"
    hf_model = wh.fh.tiny_hf_model(transformers.LlamaConfig(**TINY_LLAMA_CPU), hf)
    ckpt, save = tmp_path / "ckpt", tmp_path / "trained"
    wh.convert(hf, "tiny_llama_cpu", ckpt)

    log = tmp_path / "train.log"
    res = run_cli("direct", "--single", "--log_file", str(log), "--", *TRAIN, f"load={ckpt}", "finetune=true",
                  "train_iters=3", f"save={save}", "disable_last_saving=false", cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    text = log.read_text()
    assert f" loading release distributed checkpoint from {ckpt}" in text
    assert f"  successfully loaded checkpoint from {ckpt} [ t 1/1, p 1/1 ] at iteration 0" in text
    steps = parse_log(text)
    assert [s.iteration for s in steps] == [1, 2, 3]
    assert (save / "latest_checkpointed_iteration.txt").read_text().strip() == "3"
    assert (save / "primus_tui/manifest.json").is_file()  # the export sidecar travelled with the run

    out = tmp_path / "exported"
    code, _, err = wh.cli("export", str(save), "--to", str(out))
    assert code == 0, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trained = transformers.AutoModelForCausalLM.from_pretrained(out).float().eval()
    before, after = hf_model.state_dict(), trained.state_dict()
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k]) for k in before)  # 3 steps of AdamW moved the weights
    assert all(torch.allclose(before[k], after[k], atol=0.05) for k in before)  # ... by a little (lr 3e-3)
