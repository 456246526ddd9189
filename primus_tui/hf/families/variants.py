"""The small ways llama-shaped families differ, one strategy object each.

Each object holds one HF rule from both sides: `map` writes the Megatron fields (and refuses
what Megatron cannot express), `hf_*` answers what the HF module layout has, for the parameter
count. A family picks one of each (`llama.LlamaShaped`); a new variant is a new class here.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.hf.builder import Builder
from primus_tui.hf.families.steps import check_layer_types


# ---------------------------------------------------------------- which projections have a bias

@dataclass(frozen=True)
class AttentionBias:
    """Llama: `attention_bias` puts a bias on q/k/v/o, `mlp_bias` on the MLP (Megatron: both or neither)."""

    def map(self, b: Builder) -> None:
        mlp_bias = bool(b.get("mlp_bias", False))
        att_bias = bool(b.get("attention_bias", False))
        src = b.src("attention_bias")
        b.set("add_bias_linear", att_bias and mlp_bias, f"{src}, {b.src('mlp_bias')}")
        b.set("add_qkv_bias", att_bias, src)
        if att_bias != mlp_bias:
            b.unsupported("attention_bias" if att_bias else "mlp_bias",
                          "bias on only one of attention (q/k/v/o) and MLP: Megatron's add_bias_linear covers both")

    def hf_biases(self, d: dict) -> tuple[bool, bool]:
        """(q/k/v have a bias, o_proj has a bias)."""
        att = bool(d.get("attention_bias", False))
        return att, att


@dataclass(frozen=True)
class QkvBias:
    """Qwen: a bias on q/k/v only; always built (`key` None) or switched by config key `key`."""

    key: str | None = None

    def map(self, b: Builder) -> None:
        mt = b.mapping.model_type
        mlp_bias = bool(b.get("mlp_bias", False))
        qkv = True if self.key is None else bool(b.get(self.key))
        src = f"model_type={mt} (q/k/v bias built in)" if self.key is None else b.src(self.key)
        b.set("add_bias_linear", False, f"model_type={mt} (no o_proj/MLP bias)")
        b.set("add_qkv_bias", qkv, src)
        b.ignore("attention_bias", "this model_type fixes which projections have a bias")
        if mlp_bias:
            b.unsupported("mlp_bias", "MLP bias without o_proj bias: Megatron's add_bias_linear covers both")

    def hf_biases(self, d: dict) -> tuple[bool, bool]:
        return (True if self.key is None else bool(d.get(self.key, True))), False


# ---------------------------------------------------------------- residual dropout

@dataclass(frozen=True)
class NoResidualDropout:
    """The modeling code has no dropout on the residual branches."""

    def map(self, b: Builder) -> None:
        b.set("hidden_dropout", 0.0, f"model_type={b.mapping.model_type} (no residual dropout)")


@dataclass(frozen=True)
class ResidualDropout:
    """Dropout on the residual branches from config key `residual`, on the embeddings from
    `embedding`; Megatron's hidden_dropout is both, so they must be equal."""

    residual: str
    embedding: str

    def map(self, b: Builder) -> None:
        resid = float(b.get(self.residual) or 0.0)
        embd = float(b.get(self.embedding) or 0.0)
        b.set("hidden_dropout", resid, f"{b.src(self.residual)}, {b.src(self.embedding)}")
        if embd != resid:
            b.unsupported(self.embedding, f"embedding dropout {embd} differs from residual dropout {resid}; Megatron "
                                          "uses hidden_dropout for both")


# ---------------------------------------------------------------- sliding-window attention

@dataclass(frozen=True)
class FullAttention:
    """Every layer attends to the whole context."""

    def map(self, b: Builder, layers: int) -> None:
        b.set("window_size", None, f"model_type={b.mapping.model_type} (full attention)")
        layer_types = b.get("layer_types", None)
        if layer_types is not None:
            check_layer_types(b, layer_types, sliding_allowed=False)


@dataclass(frozen=True)
class SlidingWindow:
    """Mistral: `sliding_window` tokens on every layer (null: full attention)."""

    def map(self, b: Builder, layers: int) -> None:
        b.set("window_size", None, f"model_type={b.mapping.model_type} (full attention)")
        layer_types = b.get("layer_types", None)
        window = b.get("sliding_window", None)
        if window is None:
            b.set("window_size", None, f"{b.src('sliding_window')} (null: full attention)")
        if self.switched_off(b, window, layers, layer_types):
            return
        if window is None:
            if layer_types is not None:
                check_layer_types(b, layer_types, sliding_allowed=False)
            return
        max_pos = b.mapping.fields.get("max_position_embeddings") or 0
        if window >= max_pos:
            b.ignore("sliding_window", f"window {window} covers the whole context ({max_pos}): no effect")
            return
        # transformers: a token sees itself and the previous (sliding_window - 1) tokens; Megatron/TE
        # window_size is (left, right) inclusive, so left = sliding_window - 1, right = 0 (causal).
        b.set("window_size", [int(window) - 1, 0], "sliding_window (left = sliding_window - 1)")
        b.note(f"sliding-window attention ({window} tokens) only changes results for seq_length > {window}; "
               "primus-cli's trainer applies window_size with a banded mask; upstream Megatron through Transformer "
               "Engine / flash attention")
        if layer_types is not None:
            check_layer_types(b, layer_types, sliding_allowed=True)

    def switched_off(self, b: Builder, window: object, layers: int, layer_types: object) -> bool:
        """True when another key turns the window off (the fields are then set)."""
        return False


@dataclass(frozen=True)
class SwitchedSlidingWindow(SlidingWindow):
    """Qwen: the window applies only with `use_sliding_window`, and only from layer `max_window_layers`."""

    def switched_off(self, b: Builder, window: object, layers: int, layer_types: object) -> bool:
        use = bool(b.get("use_sliding_window", False))
        if not use:
            b.set("window_size", None, f"{b.src('use_sliding_window')} (false: full attention)")
            b.ignore("sliding_window", "use_sliding_window is false")
            b.ignore("max_window_layers", "use_sliding_window is false")
            if layer_types is not None:
                check_layer_types(b, layer_types, sliding_allowed=False)
            return True
        # transformers: layer i slides when sliding_window is set and i >= max_window_layers.
        first = b.int("max_window_layers", positive=False)
        if window is None or first >= layers:
            why = "sliding_window is null" if window is None else f"max_window_layers {first} >= {layers} layers"
            b.set("window_size", None, f"{b.src('max_window_layers')} ({why}: no layer slides)")
            b.ignore("sliding_window", f"{why}: no layer slides")
            if layer_types is not None:
                check_layer_types(b, layer_types, sliding_allowed=False)
            return True
        if first > 0:
            b.unsupported("use_sliding_window", f"sliding window on layers {first}-{layers - 1} only (max_window_layers "
                                                f"{first}): Megatron applies one window to every layer")
            return True
        return False  # max_window_layers 0: every layer slides, like Mistral.
