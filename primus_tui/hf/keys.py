"""Tables shared by mapping, rendering, ranking and audit: field order, trap keys, defaults.

Every Megatron key named here is a real Megatron-LM argument (or TransformerConfig field), the
spelling Primus's model YAML uses; Primus silently drops keys Megatron does not know.
"""

from __future__ import annotations

# Stable order of generated fields, in sections (rendered with a comment per section).
FIELD_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("size", ("num_layers", "hidden_size", "ffn_hidden_size", "num_attention_heads",
              "group_query_attention", "num_query_groups", "kv_channels",
              "max_position_embeddings", "vocab_size")),
    ("layers", ("normalization", "layernorm_epsilon", "layernorm_zero_centered_gamma", "swiglu",
                "untie_embeddings_and_output_weights", "add_bias_linear", "add_qkv_bias",
                "qk_layernorm", "qk_l2_norm", "apply_residual_connection_post_layernorm",
                "hidden_dropout", "attention_dropout", "init_method_std")),
    ("position embedding", ("position_embedding_type", "rotary_base", "rotary_percent",
                            "rotary_interleaved", "use_rope_scaling", "window_size")),
    ("multi-latent attention", ("multi_latent_attention", "q_lora_rank", "kv_lora_rank", "qk_head_dim",
                                "qk_pos_emb_head_dim", "v_head_dim", "rope_type", "rotary_scaling_factor",
                                "original_max_position_embeddings", "mscale", "mscale_all_dim")),
    ("mixture of experts", ("num_experts", "moe_layer_freq", "moe_ffn_hidden_size", "moe_router_topk",
                            "moe_shared_expert_intermediate_size", "moe_shared_expert_gate",
                            "moe_router_score_function", "moe_router_pre_softmax",
                            "moe_router_topk_scaling_factor", "moe_router_num_groups",
                            "moe_router_group_topk", "moe_router_enable_expert_bias",
                            "moe_router_load_balancing_type", "moe_aux_loss_coeff", "moe_input_jitter_eps")),
    ("multi-token prediction", ("mtp_num_layers",)),
)
FIELD_ORDER: tuple[str, ...] = tuple(k for _, keys in FIELD_SECTIONS for k in keys)
SECTION_OF: dict[str, str] = {k: name for name, keys in FIELD_SECTIONS for k in keys}

# Keys written into the model YAML even when the base already has the same value: each one is a
# trap of the manual recipe (a base that changes, or a value that only looks inherited).
TRAP_KEYS: frozenset[str] = frozenset({
    "group_query_attention", "num_query_groups", "normalization", "layernorm_epsilon", "swiglu",
    "position_embedding_type", "rotary_base", "rotary_percent", "untie_embeddings_and_output_weights",
    "add_bias_linear", "add_qkv_bias", "hidden_dropout", "attention_dropout", "init_method_std",
    "vocab_size", "max_position_embeddings", "kv_channels",
})

# Network dests (registry status "network") no supported HF family has: the HF model implies
# Megatron's default, so a base chain that sets one otherwise is overridden back (a test checks
# each is a network dest). Parallelism, precision and kernel choices are not listed: they do not
# change what the network computes.
ABSENT_FEATURES: tuple[str, ...] = (
    "squared_relu", "quick_geglu", "use_fused_weighted_squared_relu", "glu_linear_offset", "activation_func_clamp_value",
    "softmax_type", "attention_output_gate", "window_attn_skip_freq", "no_rope_freq", "mrope_section",
    "moe_latent_size", "use_mup", "experimental_attention_variant", "linear_attention_freq", "is_hybrid_model",
    "qk_clip", "moe_apply_probs_on_input", "moe_expert_capacity_factor",
)

# Differences the audit treats as deliberate training/context choices, not architecture.
DELIBERATE_KEYS: dict[str, str] = {
    "max_position_embeddings": "context length",
    "init_method_std": "initialisation (training choice)",
    "hidden_dropout": "regularisation (training choice)",
    "attention_dropout": "regularisation (training choice)",
    "moe_aux_loss_coeff": "load-balancing loss weight (training choice)",
    "moe_router_load_balancing_type": "load-balancing method (training choice)",
    "moe_input_jitter_eps": "router jitter (training choice)",
    "moe_router_enable_expert_bias": "aux-loss-free balancing (training choice)",
    "mtp_num_layers": "multi-token prediction (training choice)",
}

# Top-level HF keys that never change the network Megatron builds.
COMMON_IGNORED: dict[str, str] = {
    "architectures": "class name; model_type selects the mapping",
    "model_type": "selects the mapping",
    "transformers_version": "writer version",
    "torch_dtype": "checkpoint storage dtype; training precision is set in the experiment",
    "dtype": "checkpoint storage dtype; training precision is set in the experiment",
    "_name_or_path": "local name of the checkpoint",
    "use_cache": "inference KV cache",
    "bos_token_id": "tokenizer special token",
    "eos_token_id": "tokenizer special token",
    "pad_token_id": "tokenizer special token",
    "auto_map": "remote-code class names",
    "pretraining_tp": "original tensor-parallel emulation switch; same math",
    "output_router_logits": "inference output switch",
    "output_attentions": "inference output switch",
    "output_hidden_states": "inference output switch",
    "return_dict": "inference output switch",
    "tokenizer_class": "tokenizer; tokenizer_model names the repo",
    "quantization_config": "checkpoint storage format; training precision is set in the experiment",
    "ep_size": "inference expert-parallel hint",
    "_attn_implementation_autoset": "runtime kernel choice",
    "attn_implementation": "runtime kernel choice",
    # Export-tool leftovers that transformers' config classes store but its modeling code never reads.
    "is_llama_config": "nanotron export marker; not read by transformers' modeling code",
    "rope_interleaved": "nanotron export field; transformers' rotary embedding is always rotate-half "
                        "(checkpoints are permuted at export)",
    "max_sequence_length": "legacy LLaMA-conversion field; no transformers config class or modeling code reads it "
                           "(max_position_embeddings is the model's)",
    "_attn_implementation": "runtime kernel choice",
    "use_flash_attention_2": "runtime kernel choice",
    "use_flash_attn": "runtime kernel choice",
    "gradient_checkpointing": "training memory switch (activation recomputation), not the network",
    "unsloth_version": "fine-tuning tool marker",
    "unsloth_fixed": "fine-tuning tool marker",
    "transformers.js_config": "ONNX/transformers.js export settings",
}

# Generic PretrainedConfig attributes (generation defaults, task heads, special tokens) that older
# transformers versions wrote into every config.json: none of them changes the decoder network.
_PRETRAINED_CONFIG_COMMON = (
    "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
    "temperature", "top_k", "top_p", "typical_p", "repetition_penalty", "length_penalty", "no_repeat_ngram_size",
    "encoder_no_repeat_ngram_size", "bad_words_ids", "num_return_sequences", "output_scores",
    "return_dict_in_generate", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
    "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens", "chunk_size_feed_forward",
    "id2label", "label2id", "problem_type", "finetuning_task", "prefix", "task_specific_params", "torchscript",
    "use_bfloat16", "tf_legacy_loss", "pruned_heads", "sep_token_id", "unk_token_id", "cls_token_id",
    "mask_token_id", "decoder_start_token_id", "is_decoder", "is_encoder_decoder", "add_cross_attention",
    "cross_attention_hidden_size", "tie_encoder_decoder", "max_new_tokens", "generation_config",
)
COMMON_IGNORED.update({key: "generic PretrainedConfig setting (generation, task head or special token); "
                            "not part of the decoder network" for key in _PRETRAINED_CONFIG_COMMON})
