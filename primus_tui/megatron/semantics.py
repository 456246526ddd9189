"""What a TransformerConfig field means for the network: a judgement the sources cannot derive.

The registry says which fields reach TransformerConfig; it cannot say which of them change the
math. This is that one hand-kept list: fields that only choose kernels, parallel layout,
precision, initialisation or recompute. The trainer sets them per device (`trainer/model.py`);
everything else that reaches the config is the network and must come from the YAML exactly.
"""

from __future__ import annotations

IMPLEMENTATION_FIELDS = frozenset({
    "tensor_model_parallel_size", "pipeline_model_parallel_size", "virtual_pipeline_model_parallel_size",
    "context_parallel_size", "expert_model_parallel_size", "expert_tensor_parallel_size", "sequence_parallel",
    "pipeline_model_parallel_comm_backend", "hierarchical_context_parallel_sizes", "cp_comm_type",
    "num_layers_in_first_pipeline_stage", "num_layers_in_last_pipeline_stage", "pipeline_model_parallel_layout",
    "account_for_embedding_in_pipeline_split", "account_for_loss_in_pipeline_split",
    "params_dtype", "pipeline_dtype", "bf16", "fp16", "autocast_dtype", "timers", "finalize_model_grads_func",
    "grad_scale_func", "no_sync_func", "grad_sync_func", "param_sync_func", "deallocate_pipeline_outputs",
    "batch_p2p_comm", "batch_p2p_sync", "use_ring_exchange_p2p", "overlap_p2p_comm", "variable_seq_lengths",
    "use_cpu_initialization", "perform_initialization", "init_method", "output_layer_init_method",
    "init_model_with_meta_device", "gradient_accumulation_fusion",
    "bias_activation_fusion", "bias_dropout_fusion", "apply_rope_fusion", "masked_softmax_fusion",
    "persist_layer_norm", "memory_efficient_layer_norm", "moe_grouped_gemm",
    "moe_permute_fusion", "moe_router_fusion", "cross_entropy_loss_fusion", "cross_entropy_fusion_impl",
    "transformer_impl", "attention_backend", "use_te_rng_tracker", "use_te_activation_func", "fused_single_qkv_rope",
    "tp_comm_overlap", "tp_comm_bulk_wgrad", "tp_comm_bulk_dgrad", "tp_comm_overlap_ag", "tp_comm_overlap_rs",
    "tp_comm_overlap_rs_dgrad", "tp_comm_split_ag", "tp_comm_split_rs", "tp_comm_atomic_ag", "tp_comm_atomic_rs",
    "tp_comm_overlap_disable_qkv", "tp_comm_overlap_disable_fc1", "tp_comm_bootstrap_backend",
    "cpu_offloading", "cpu_offloading_num_layers", "cpu_offloading_activations", "cpu_offloading_weights",
    "cpu_offloading_double_buffering", "recompute_granularity", "recompute_method", "recompute_num_layers",
    "recompute_modules", "distribute_saved_activations", "cuda_graph_impl", "cuda_graph_scope",
    "cuda_graph_retain_backward_graph", "cuda_graph_use_single_mempool", "cuda_graph_warmup_steps",
    "enable_cuda_graph", "external_cuda_graph", "config_logger_dir", "inference_sampling_seed",
    "disable_parameter_transpose_cache", "wgrad_deferral_limit", "delay_wgrad_compute",
    "moe_token_dispatcher_type", "moe_enable_deepep", "moe_flex_dispatcher_backend", "moe_deepep_num_sms",
    "moe_hybridep_num_sms", "moe_shared_expert_overlap", "moe_per_layer_logging", "moe_router_force_load_balancing",
    "moe_layer_recompute", "calculate_per_token_loss", "barrier_with_L1_time",
    "deterministic_mode", "num_microbatches_with_partial_activation_checkpoints", "fine_grained_activation_offloading",
    "offload_modules", "min_offloaded_tensor_size", "mtp_loss_scaling_factor", "attention_softmax_in_fp32",
    "apply_query_key_layer_scaling", "flash_decode", "use_kitchen", "use_kitchen_attention",
    "kitchen_attention_backend", "quant_recipe", "symmetric_ar_type", "use_inference_optimized_layers",
    "inference_rng_tracker", "mamba_num_groups", "is_hybrid_model", "use_mamba_mem_eff_path",
    "log_max_attention_logit", "qk_clip", "qk_clip_alpha", "qk_clip_threshold",
    "moe_router_padding_for_fp8", "moe_router_padding_for_quantization", "fp8_param", "fp4_param",
    "fp8_dot_product_attention", "fp8_multi_head_attention", "fp8_wgrad", "fp8_amax_history_len",
    "fp8_amax_compute_algo", "fp8_margin", "fp8_interval", "fp8_recipe", "fp4_recipe", "first_last_layers_bf16",
    "num_layers_at_start_in_bf16", "num_layers_at_end_in_bf16", "use_fused_weighted_squared_relu",
    "moe_router_dtype", "disable_bf16_reduced_precision_matmul", "hetereogenous_dist_checkpoint",
})
