"""Pure parallel-layout and memory planner: which TP/PP/CP/EP/... layout fits, and which is fastest.

No torch, megatron or textual. Entry points: `search`, `plan_from_values`, `fits_this_machine`.
"""

from primus_tui.plan.gpus import GPUS, gpu_kind
from primus_tui.plan.layout import Batch, Cluster, Layout
from primus_tui.plan.rules import RULES
from primus_tui.plan.search import Plan, Search, fits_this_machine, plan_from_values, search
from primus_tui.plan.shape import ModelShape, model_shape

__all__ = ["GPUS", "RULES", "Batch", "Cluster", "Layout", "ModelShape", "Plan", "Search", "fits_this_machine",
           "gpu_kind", "model_shape", "plan_from_values", "search"]
