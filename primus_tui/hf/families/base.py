"""The one shape every HF family has: what a family object knows and how the import asks it.

Design (issue 12, item 5): a family is one frozen object, registered in `registry.FAMILIES`.
Its class is its network *shape* (`llama.LlamaShaped`, `mla.DeepSeekMLA`, `refused.Refused`);
the few ways families of one shape differ (which projections have a bias, the sliding-window
switch, the MoE block, the dropout keys) are small strategy objects in `variants.py` / `experts.py`
that carry both sides of one HF rule: the Megatron mapping *and* the HF parameter count. So a
family reads as a table row (defaults, aliases, variants, preset prefixes, refusal), a rule is
written once and shared by every family that has it, and no code outside the family objects
asks for a family by name. Subclassing per family would repeat the combinations; strings chosen
by name (the old `qkv_bias="always"`) put the rule far from the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from primus_tui.hf.builder import Builder, canonical_keys
from primus_tui.hf.errors import HFError


@dataclass(frozen=True)
class Family:
    """What the HF modeling code for one model_type builds, and everything primus-tui derives from it.

    `defaults`: the transformers config class defaults, used only when config.json omits a key.
    `aliases`: the config class's attribute_map (another spelling -> the name the rules read).
    `preset_prefixes`: Primus preset file names that describe this family (base ranking; the
    longest prefix of all families wins). `related_to`: the family whose models have the same
    network shape (a "related family" base). `refusal`: why the import refuses every model of
    the family (empty: supported). `tensor_renames`: (regex, replacement) pairs that turn the
    checkpoint's tensor names into the llama-style names the weights converter plans with
    (transformers' conversion_mapping for the family; names already llama-style pass unchanged).
    """

    name: str
    defaults: dict[str, Any] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    preset_prefixes: tuple[str, ...] = ()
    related_to: str | None = None
    refusal: str = ""
    tensor_renames: tuple[tuple[str, str], ...] = ()

    @property
    def supported(self) -> bool:
        return not self.refusal

    @property
    def is_moe(self) -> bool:
        """Mixture of experts (tells a MoE preset from a dense one under a shared name prefix)."""
        return False

    @property
    def countable(self) -> bool:
        """Can `hf_body` count this family's parameters from its config.json?"""
        return True

    # ------------------------------------------------------------ config.json -> Megatron fields

    def build(self, data: dict) -> Builder:
        """A Builder holding the Megatron fields (and provenance) for `data`; `finish()` it."""
        b = Builder(data, data["model_type"], self.name, self.defaults, self.aliases)
        if self.refusal:
            b.unsupported("model_type", self.refusal)
        try:
            self.map(b)
        except HFError:
            if self.supported:
                raise
            # A refused family mapped best effort (e.g. gemma) missing a llama-shaped key: the
            # refusal is the answer; its other keys are listed as not known.
        return b

    def map(self, b: Builder) -> None:
        """Fill `b` with Megatron fields; every HF key read, ignored with a reason, or unsupported."""
        raise NotImplementedError

    # ------------------------------------------------------------ HF parameter count

    def with_defaults(self, data: dict) -> dict:
        """`data` under the rules' key names, with the config class defaults for omitted keys."""
        return {**self.defaults, **canonical_keys(data, self.aliases)[0]}

    def hf_body(self, d: dict) -> dict[str, int]:
        """Parameters of the HF module layout outside the embedding and lm_head, by part:
        attention, mlp, moe, norms, final_norm (and family extras). `d` is `with_defaults(...)`."""
        h, n_layers = d["hidden_size"], d["num_hidden_layers"]
        layers = [self.hf_layer(d, i) for i in range(n_layers)]
        body = {part: sum(c.get(part, 0) for c in layers) for part in ("attention", "mlp", "moe", "norms")}
        body["final_norm"] = h
        return body

    def hf_layer(self, d: dict, i: int) -> dict[str, int]:
        """Parameters of decoder layer `i` by part (attention, mlp or moe, norms)."""
        raise NotImplementedError

    # ------------------------------------------------------------ checkpoint layout

    def hf_tensor_name(self, name: str) -> str:
        """The llama-style name of checkpoint tensor `name` (see `tensor_renames`)."""
        for pattern, replacement in self.tensor_renames:
            name = re.sub(pattern, replacement, name)
        return name

    def rope_interleaved(self, config: dict) -> bool:
        """Does the HF code rotate interleaved pairs of the (MLA) rope channels? (weights converter)"""
        return bool(config.get("rope_interleave", True))


@dataclass(frozen=True)
class PresetOnly:
    """A model family that Primus ships presets for but primus-tui has no HF mapping of: named
    only so base ranking labels those presets (and a shorter prefix, e.g. llama, does not claim them)."""

    name: str
    preset_prefixes: tuple[str, ...]
    is_moe: bool = False
    related_to: str | None = None
