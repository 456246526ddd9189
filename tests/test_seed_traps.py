"""The seed guide's hand-written TinyLlama YAML trains the wrong network; ours does not.

Both files are resolved through Primus's merge rules (module preset + model preset +
experiment overrides) and counted the way megatron-core builds the model.
"""

from __future__ import annotations

from pathlib import Path

from primus_tui.config import ConfigTree, resolve_experiment
from primus_tui.hf import param_count_from_fields

ROOT = Path(__file__).resolve().parents[1]
EXP = ROOT / "examples/megatron/configs/MI300X/tinyllama_1.1B-pretrain.yaml"
SEED_MODEL = """\
extends:
  - language_model.yaml
tokenizer_type: HuggingFaceTokenizer
tokenizer_model: TinyLlama/TinyLlama-1.1B-Chat-v1.0
hidden_size: 2048
ffn_hidden_size: 5632
num_attention_heads: 32
num_layers: 22
num_query_groups: 8
max_position_embeddings: 2048
position_embedding_type: rope
"""


def test_seed_template_gives_a_different_model(primus_tree_copy: Path) -> None:
    (primus_tree_copy / "primus/configs/models/megatron/tinyllama_1.1B.yaml").write_text(SEED_MODEL)
    exp = primus_tree_copy / EXP.relative_to(ROOT)
    seed = resolve_experiment(exp, ConfigTree.at(primus_tree_copy)).module().values
    assert seed["group_query_attention"] is False  # so num_query_groups: 8 is ignored: MHA
    assert seed["normalization"] == "LayerNorm" and seed["hidden_dropout"] == 0.1
    # Vocabulary from the tokenizer (32000); with the template's `rope` line dropped, as the
    # guide's field list does, it is the "1.26B" model (learned positions too).
    assert seed["vocab_size"] is None
    learned = {**seed, "vocab_size": 32000, "position_embedding_type": "learned_absolute"}
    assert param_count_from_fields(learned).total == 1_265_815_552


def test_generated_files_give_tinyllama() -> None:
    values = resolve_experiment(EXP).module().values
    assert (values["group_query_attention"], values["num_query_groups"]) == (True, 4)
    assert values["normalization"] == "RMSNorm" and values["layernorm_epsilon"] == 1e-5
    # and what Megatron builds from them (Primus's arg builder + core_transformer_config_from_args)
    from primus_tui.trainer.arch import architecture

    config = architecture(values).config
    assert (config["layernorm_epsilon"], config["num_query_groups"], config["hidden_dropout"]) == (1e-5, 4, 0.0)
    assert values["hidden_dropout"] == values["attention_dropout"] == 0.0
    assert values["position_embedding_type"] == "rope" and values["rotary_base"] == 10000
    assert values["seq_length"] == 2048 and values["untie_embeddings_and_output_weights"] is True
    assert param_count_from_fields(values).total == 1_100_048_384
