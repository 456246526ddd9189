"""Helpers: a tiny synthetic Megatron-LM + Primus source pair, and git checkouts pinning a commit."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

OTHER_COMMIT = "abc1230000000000000000000000000000000000"

ARGUMENTS = '''
from megatron.core.transformer import MLATransformerConfig, TransformerConfig
from megatron.training.argument_utils import ArgumentGroupFactory

def add_megatron_arguments(parser):
    parser = _add_network_size_args(parser)
    parser = _add_training_args(parser)
    return parser

def _add_network_size_args(parser):
    exclude = ["hidden_dropout"]
    ArgumentGroupFactory(TransformerConfig, exclude=exclude).build_group(parser, "transformer")
    group = parser.add_argument_group(title="network size")
    group.add_argument("--rope-scaling-factor", type=float, default=8.0)
    group.add_argument("--swiglu", action="store_true")
    group.add_argument("--no-position-embedding", action="store_false", dest="add_position_embedding")
    group.add_argument("--position-embedding-type", type=str, default="rope", choices=["rope", "none"])
    group.add_argument("--max-position-embeddings", type=int, default=None)
    return parser

def _add_training_args(parser):
    from megatron.training.config import TrainingConfig
    ArgumentGroupFactory(TrainingConfig).build_group(parser, "training")
    parser.add_argument("--lr", type=float, default=None)
    return parser

def core_transformer_config_from_args(args, config_class=None):
    config_class = config_class or TransformerConfig
    if args.multi_latent_attention:
        config_class = MLATransformerConfig
    kw_args = {}
    if args.swiglu:
        kw_args["gated_linear_unit"] = True
    kw_args["num_moe_experts"] = args.num_experts
    return config_class(**kw_args)
'''

TRANSFORMER_CONFIG = '''
from dataclasses import dataclass, field
from typing import Literal, Optional
from megatron.core.model_parallel_config import ModelParallelConfig

@dataclass
class TransformerConfig(ModelParallelConfig):
    num_layers: int = field(default=0, metadata={"argparse_meta": {"default": None}})
    hidden_size: int = 0
    hidden_dropout: float = 0.1
    layernorm_epsilon: float = field(default=1e-5, metadata={"argparse_meta": {"arg_names": ["--norm-epsilon"]}})
    add_bias_linear: bool = True
    normalization: Literal["LayerNorm", "RMSNorm"] = "LayerNorm"
    num_experts: Optional[int] = None
    multi_latent_attention: bool = False
    gated_linear_unit: bool = False
    num_moe_experts: int | None = None

@dataclass
class MLATransformerConfig(TransformerConfig):
    q_lora_rank: int = 512
'''

MODEL_PARALLEL = '''
from dataclasses import dataclass

@dataclass
class ModelParallelConfig:
    tensor_model_parallel_size: int = 1
    sequence_parallel: bool = False
'''

TRAINING_CONFIG = '''
from dataclasses import dataclass, field

@dataclass
class TrainingConfig:
    micro_batch_size: int | None = None
    rampup_batch_size: list[int] | None = field(default=None, metadata={"argparse_meta": {"nargs": 3}})
'''

GPT_BUILDERS = '''
from megatron.core.models.gpt import GPTModel
from megatron.training import get_args

def gpt_builder(args, pre_process, post_process, vp_stage=None, config=None):
    transformer_layer_spec = _get_transformer_layer_spec(True, config)
    return GPTModel(
        config=config,
        transformer_layer_spec=transformer_layer_spec,
        vocab_size=args.padded_vocab_size,
        max_sequence_length=args.max_position_embeddings,
        position_embedding_type=args.position_embedding_type,
    )

def _get_transformer_layer_spec(use_te, config):
    args = get_args()
    return (args.num_experts, args.normalization)
'''

GPT_MODEL = '''
class GPTModel:
    def __init__(self, config, transformer_layer_spec, vocab_size, max_sequence_length,
                 position_embedding_type="learned_absolute", rope_scaling_factor: float = 8.0):
        pass
'''

PRIMUS_FILES = {
    "primus/core/config/schema_check.py": 'MODULE_RESERVED_KEYS = frozenset({"name", "framework", "config", "model"})\n',
    "primus/core/utils/import_utils.py": textwrap.dedent('''
        import importlib
        def get_model_provider(model_type="gpt"):
            if model_type == "deepseek_v4":
                importlib.import_module("primus.backends.megatron.v4_builders")
    '''),
    "primus/backends/megatron/v4_builders.py": textwrap.dedent('''
        from megatron.training.arguments import core_transformer_config_from_args
        from primus.backends.megatron.v4_config import V4Config
        def model_provider(args):
            return core_transformer_config_from_args(args, config_class=V4Config)
    '''),
    "primus/backends/megatron/v4_config.py": textwrap.dedent('''
        from dataclasses import dataclass
        from megatron.core.transformer import TransformerConfig
        @dataclass
        class V4Config(TransformerConfig):
            norm_epsilon: float = 1e-6
    '''),
    "primus/backends/megatron/trainer.py": "def train(args):\n    return args.disable_wandb\n",
    "primus/configs/modules/megatron/trainer_base.yaml": "lr: 1.0\npatch_moe_overlap: false\n",
    "tools/ci/config_schema_allowlist.yaml": "common:\n  - key: work_group\n    reason: envelope\n"
    "    consumer: primus/core/launcher/parser.py\n",
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def megatron_files() -> dict[str, str]:
    return {
        "megatron/training/arguments.py": ARGUMENTS,
        "megatron/training/config/__init__.py": "from .training_config import TrainingConfig\n",
        "megatron/training/config/training_config.py": TRAINING_CONFIG,
        "megatron/core/model_parallel_config.py": MODEL_PARALLEL,
        "megatron/core/transformer/__init__.py": "from .transformer_config import MLATransformerConfig, TransformerConfig\n",
        "megatron/core/transformer/transformer_config.py": TRANSFORMER_CONFIG,
        "megatron/core/models/gpt/__init__.py": "from .gpt_model import GPTModel\n",
        "megatron/core/models/gpt/gpt_model.py": GPT_MODEL,
        "gpt_builders.py": GPT_BUILDERS,
    }


def git(root: Path, *args: str) -> str:
    cmd = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def pin_megatron(root: Path, commit: str) -> str:
    """Make `root` a git checkout whose HEAD pins third_party/Megatron-LM at `commit`; return HEAD."""
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{commit},third_party/Megatron-LM")
    git(root, "commit", "-q", "-m", "pin")
    return git(root, "rev-parse", "HEAD")
