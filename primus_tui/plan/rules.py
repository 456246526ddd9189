"""Megatron-LM's layout rules, declared once: id, the quoted source check, and a predicate.

Quotes are from the Megatron-LM commit Primus pins (d3528a21): megatron/training/arguments.py
(validate_args), megatron/core/transformer/transformer_config.py (TransformerConfig.__post_init__),
megatron/core/parallel_state.py and megatron/core/num_microbatches_calculator.py. `stage` says
which knobs a rule reads, so the enumerator can reject a whole subtree at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from primus_tui.plan.gpus import GPU
from primus_tui.plan.layout import Batch, Layout
from primus_tui.plan.shape import ModelShape

GRID, SCHEDULE, OPTIONS = 0, 1, 2  # stage: (tp, pp, cp, ep, etp) / + vpp, mbs / + sp, recompute, optimizer, precision


@dataclass(frozen=True)
class Context:
    shape: ModelShape
    world: int
    batch: Batch
    gpu: GPU


@dataclass(frozen=True)
class Rule:
    id: str
    stage: int
    source: str  # file of the check
    quote: str  # the assert / raise text, as Megatron writes it
    ok: Callable[[Layout, Context], bool]

    def message(self, layout: Layout) -> str:
        return f"{self.id}: {layout.short()} breaks {self.source}: {self.quote}"


ARGS = "megatron/training/arguments.py"
TC = "megatron/core/transformer/transformer_config.py"
PS = "megatron/core/parallel_state.py"
MBC = "megatron/core/num_microbatches_calculator.py"

RULES: tuple[Rule, ...] = (
    Rule("world_divisible", GRID, ARGS,
         "assert args.world_size % total_model_size == 0 (total_model_size = tensor * pipeline * context "
         "parallel size): 'world size ({args.world_size}) is not divisible by total_model_size'",
         lambda l, c: c.world % (l.tp * l.pp * l.cp) == 0),
    Rule("heads_tp", GRID, TC,
         "num_attention_heads ({num_attention_heads}) must be a multiple of tensor_model_parallel_size",
         lambda l, c: c.shape.heads % l.tp == 0),
    Rule("query_groups_tp", GRID, TC,
         "num_query_groups ({num_query_groups}) must be a multiple or divisor of tensor_model_parallel_size",
         lambda l, c: c.shape.query_groups % l.tp == 0 or l.tp % c.shape.query_groups == 0),
    Rule("layers_pp", GRID, ARGS,
         "assert num_layers % args.transformer_pipeline_model_parallel_size == 0, 'Number of layers should be "
         "divisible by the pipeline-model-parallel size'",
         lambda l, c: c.shape.num_layers % l.pp == 0),
    Rule("ep_needs_experts", GRID, ARGS,
         'assert args.num_experts is not None, "num_experts must be non None to use expert model parallelism"',
         lambda l, c: l.ep == 1 or c.shape.num_experts is not None),
    Rule("experts_ep", GRID, ARGS,
         'assert args.num_experts % args.expert_model_parallel_size == 0, "Number of experts should be a '
         'multiple of expert model parallel_size."',
         lambda l, c: c.shape.num_experts is None or c.shape.num_experts % l.ep == 0),
    Rule("expert_grid_world", GRID, PS,
         "world_size ({world_size}) is not divisible by expert_tensor_model_pipeline_parallel size "
         "(expert_tensor_parallel_size * expert_model_parallel_size * pipeline_model_parallel_size)",
         lambda l, c: c.world % (l.etp * l.ep * l.pp) == 0),
    Rule("seq_cp", GRID, ARGS,
         "assert args.seq_length % (args.context_parallel_size * 2) == 0, 'seq-length should be a multiple of "
         "2 * context-parallel-size if context-parallel-size > 1.'",
         lambda l, c: l.cp == 1 or c.batch.seq_length % (2 * l.cp) == 0),
    Rule("vpp_layers", SCHEDULE, ARGS,
         "assert num_layers_per_pipeline_stage % args.num_layers_per_virtual_pipeline_stage == 0, 'number of "
         "layers per pipeline stage must be divisible number of layers per virtual pipeline stage'",
         lambda l, c: l.vpp == 1 or (c.shape.num_layers // l.pp) % l.vpp == 0),
    Rule("vpp_needs_pp", SCHEDULE, ARGS,
         "assert args.pipeline_model_parallel_size > 1, 'When interleaved schedule is used, "
         "pipeline-model-parallel size should be greater than 1'",
         lambda l, c: l.vpp == 1 or l.pp > 1),
    Rule("gbs_mbs_dp", SCHEDULE, MBC,
         "assert global_batch_size % micro_batch_times_data_parallel_size == 0, 'global batch size ({}) is not "
         "divisible by micro batch size ({}) times data parallel size ({})'",
         lambda l, c: c.batch.global_batch_size % (l.mbs * l.dp) == 0),
    Rule("sp_needs_tp", OPTIONS, ARGS,
         "# disable sequence parallelism when tp=1 ... if args.tensor_model_parallel_size == 1: "
         "args.sequence_parallel = False",
         lambda l, c: not (l.sp and l.tp == 1)),
    Rule("fp8_supported", OPTIONS, "primus_tui/plan/gpus.py (not a Megatron check)",
         "FP8 needs a device with FP8 GEMMs (the GPU table has no FP8 peak for it)",
         lambda l, c: l.precision != "fp8" or c.gpu.fp8_tflops is not None),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}


def first_broken(layout: Layout, ctx: Context, stage: int | None = None) -> Rule | None:
    """The first rule (of `stage`, or any) the layout breaks."""
    for rule in RULES:
        if (stage is None or rule.stage == stage) and not rule.ok(layout, ctx):
            return rule
    return None
