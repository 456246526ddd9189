"""Pure parallel-layout and memory planner: which TP/PP/CP/EP/... layout fits, and which is fastest.

No torch, megatron or textual. Entry points: `search`, `plan_from_values`, `fits_this_machine`.
The names below load their module when first used (PEP 562): the answers schema needs only the
GPU table, and importing the whole planner (and `primus_tui.hf` with it) cost the app's first
frame ~70 ms.
"""

from primus_tui.lazy import lazy_exports

_EXPORTS = {"GPUS": "gpus", "gpu_kind": "gpus", "Batch": "layout", "Cluster": "layout", "Layout": "layout",
            "RULES": "rules", "Plan": "search", "Search": "search", "fits_this_machine": "search",
            "plan_from_values": "search", "search": "search", "ModelShape": "shape", "model_shape": "shape"}

__all__, __getattr__ = lazy_exports(__name__, _EXPORTS)
