"""A conversion plan: one `TensorPlan` per target tensor, checked for coverage, run tensor by tensor.

The plan is data (target name, source names, a build function), so a checkpoint writer can
execute it lazily and a test can assert that nothing was left unfilled or unused before any
tensor is read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import torch

from primus_tui.weights.errors import WeightsError

Shape = tuple[int, ...]
# (source tensors in `sources` order, target shape) -> target tensor
Build = Callable[[Sequence[torch.Tensor], Shape], torch.Tensor]
# the inverse, for export: (target tensor, source shapes) -> source tensors in `sources` order
Split = Callable[[torch.Tensor, Sequence[Shape]], list[torch.Tensor]]


class ConversionError(WeightsError, ValueError):
    """The HF tensors do not fill the megatron model exactly; the message lists every name at fault."""


@dataclass(frozen=True)
class TensorPlan:
    """How to build one megatron tensor: `build(read(s) for s in sources, shape)`; `split` undoes it."""

    target: str
    sources: tuple[str, ...]
    build: Build
    how: str = "copy"
    split: Split | None = None  # None: the inverse of a shared build (INVERSES), else not invertible

    def inverse(self) -> Split | None:
        return self.split or INVERSES.get(self.build)


@dataclass
class Problems:
    """Everything wrong with a plan or its run, collected so the error names all of them at once."""

    unfilled: list[str] = field(default_factory=list)  # megatron tensors no rule builds
    missing: list[str] = field(default_factory=list)  # HF tensors a rule needs but the checkpoint lacks
    unused: list[str] = field(default_factory=list)  # HF tensors nothing reads
    shapes: list[str] = field(default_factory=list)  # "target: built (a, b), model wants (c, d)"

    def raise_if_any(self, what: str) -> None:
        parts = [(label, names) for label, names in (
            ("megatron tensors left unfilled", self.unfilled), ("HF tensors missing", self.missing),
            ("HF tensors unused", self.unused), ("shape mismatches", self.shapes)) if names]
        if parts:
            lines = [f"{what}:"] + [f"  {label} ({len(names)}): " + ", ".join(names) for label, names in parts]
            raise ConversionError("\n".join(lines))


def copy(tensors: Sequence[torch.Tensor], shape: Shape) -> torch.Tensor:
    return tensors[0]


def cat_rows(tensors: Sequence[torch.Tensor], shape: Shape) -> torch.Tensor:
    """Stack along dim 0: megatron's fused SwiGLU fc1 is [gate; up]."""
    return torch.cat(list(tensors), dim=0)


def pad_rows(tensors: Sequence[torch.Tensor], shape: Shape) -> torch.Tensor:
    """Zero rows up to the padded vocab (megatron pads the vocab to a multiple of 128 x TP)."""
    t = tensors[0]
    extra = shape[0] - t.shape[0]
    if extra <= 0:
        return t
    return torch.cat([t, t.new_zeros((extra, *t.shape[1:]))], dim=0)


def split_copy(tensor: torch.Tensor, shapes: Sequence[Shape]) -> list[torch.Tensor]:
    return [tensor]


def split_rows(tensor: torch.Tensor, shapes: Sequence[Shape]) -> list[torch.Tensor]:
    """Undo `cat_rows`: the row blocks, sized as the HF tensors were."""
    return list(torch.split(tensor, [s[0] for s in shapes], dim=0))


def unpad_rows(tensor: torch.Tensor, shapes: Sequence[Shape]) -> list[torch.Tensor]:
    """Undo `pad_rows`: drop the vocab padding rows."""
    return [tensor[: shapes[0][0]]]


INVERSES: dict[Build, Split] = {copy: split_copy, cat_rows: split_rows, pad_rows: unpad_rows}


def check_plan(plans: Sequence[TensorPlan], hf_names: Iterable[str], targets: Iterable[str],
               ignored: Callable[[str], bool] = lambda name: False) -> None:
    """Raise ConversionError unless every target has a plan, every source exists and every HF tensor is read."""
    available = set(hf_names)
    planned = {p.target for p in plans}
    read = {s for p in plans for s in p.sources}
    problems = Problems(
        unfilled=sorted(t for t in targets if t not in planned),
        missing=sorted(read - available),
        unused=sorted(n for n in available - read if not ignored(n)),
    )
    problems.raise_if_any("HF checkpoint does not map onto the megatron model")


def run_plan(plans: Sequence[TensorPlan], read: Callable[[str], torch.Tensor],
             shapes: Mapping[str, Shape]) -> Iterator[tuple[str, torch.Tensor]]:
    """Yield (target, tensor) in plan order; a source is read once and dropped after its last use.

    Shape mismatches are collected and raised after the last tensor, naming all of them.
    """
    uses = Counter(s for p in plans for s in p.sources)
    cache: dict[str, torch.Tensor] = {}
    problems = Problems()
    for plan in plans:
        inputs = []
        for name in plan.sources:
            if name not in cache:
                cache[name] = read(name)
            inputs.append(cache[name])
            uses[name] -= 1
            if uses[name] == 0:
                del cache[name]
        want = tuple(shapes[plan.target])
        try:
            tensor = plan.build(inputs, want)
        except (RuntimeError, ValueError, IndexError) as exc:  # a reshape that cannot work: wrong geometry
            given = ", ".join(f"{s} {tuple(t.shape)}" for s, t in zip(plan.sources, inputs))
            problems.shapes.append(f"{plan.target}: the model wants {want}, cannot build it ({plan.how}) from "
                                   f"{given}: {' '.join(str(exc).split())}")
            continue
        if tuple(tensor.shape) != want:
            given = ", ".join(f"{s} {tuple(t.shape)}" for s, t in zip(plan.sources, inputs))
            problems.shapes.append(f"{plan.target}: built {tuple(tensor.shape)} ({plan.how} of {given}), "
                                   f"model wants {want}")
            continue
        yield plan.target, tensor
    problems.raise_if_any("HF tensors do not have the megatron model's shapes")
