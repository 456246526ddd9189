"""Wire one pretrain run: resolve the experiment, build model/optimizer/data, print the banner, train."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import torch

from primus_tui.config import ConfigTree, resolve_experiment
from primus_tui.trainer.arch import Architecture, architecture
from primus_tui.trainer.data import build_train_dataset, micro_batches
from primus_tui.trainer.errors import UnsupportedConfig
from primus_tui.trainer.load import Loaded, load_pretrained
from primus_tui.trainer.loop import LoopState, Trainer
from primus_tui.trainer.model import build_gpt, count_parameters, transformer_config
from primus_tui.trainer.optim import MixedPrecisionAdamW, lr_scheduler
from primus_tui.trainer.report import banner, model_flops_per_token
from primus_tui.trainer.runtime import Runtime, init_runtime, shutdown
from primus_tui.trainer.settings import TrainSettings
from primus_tui.trainer.tokenizer import resolve_tokenizer

ROOT_ENV = "PRIMUS_CLI_ROOT"  # set by primus-cli: the Primus tree whose presets the experiment names


def _warn(runtime: Runtime | None, message: str) -> None:
    if runtime is None or runtime.is_first:
        print(f"[primus-tui] WARNING: {message}", file=sys.stderr, flush=True)


def _describe_arch(arch: Architecture) -> str:
    c = arch.config
    parts = [
        f"{c['num_layers']} layers",
        f"hidden {c['hidden_size']}",
        f"ffn {c.get('ffn_hidden_size') or 4 * c['hidden_size']}",
        f"{c['num_attention_heads']} heads",
        f"{arch.num_query_groups} query groups",
        f"head dim {arch.head_dim}",
        f"{c['normalization']} eps {c.get('layernorm_epsilon', 1e-5):g}",
        "SwiGLU" if arch.activation == "silu" and arch.gated else arch.activation,
    ]
    if arch.position_embedding_type == "rope":
        rope = f"rope base {arch.rotary_base:g}"
        if arch.rotary_percent != 1.0:
            rope += f" percent {arch.rotary_percent:g}"
        if arch.rope_scaling:
            rope += f" llama3-scaling x{arch.rope_scaling_factor:g}"
        parts.append(rope)
    else:
        parts.append(f"{arch.position_embedding_type} positions")
    if c.get("qk_layernorm"):
        parts.append("qk-layernorm")
    if c.get("add_bias_linear") or c.get("add_qkv_bias"):
        parts.append("biases" if c.get("add_bias_linear") else "qkv bias")
    parts.append("tied embeddings" if arch.tied_embeddings else "untied embeddings")
    if arch.is_moe:
        parts.append(f"MoE {c['num_moe_experts']} experts top-{c.get('moe_router_topk', 2)}")
    return ", ".join(parts)


def _wrap(model, config, runtime: Runtime, bf16: bool):
    from megatron.core.distributed import DistributedDataParallel, DistributedDataParallelConfig
    from megatron.core.transformer.module import Float16Module

    if bf16:
        model = Float16Module(config, model)  # bf16 weights/activations, fp32 logits->loss (as Megatron)
    ddp_config = DistributedDataParallelConfig(
        grad_reduce_in_fp32=True,  # fp32 main grads: accumulation and all-reduce never in bf16
        overlap_grad_reduce=False,
        use_distributed_optimizer=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DistributedDataParallel(config, ddp_config, model)


def pretrain(exp: Path, overrides: list[str]) -> LoopState:
    root = os.environ.get(ROOT_ENV) or None
    module = resolve_experiment(exp, ConfigTree.at(root), cli_overrides=overrides).module("pre_trainer")
    if module.framework != "megatron":
        raise UnsupportedConfig("framework", f"{module.framework!r} is not supported (only megatron)")
    values = module.values
    settings = TrainSettings.from_values(values)
    tokenizer, tok_warning = resolve_tokenizer(values, mock_data=settings.mock_data)
    arch = architecture(values, vocab_size=tokenizer.vocab_size)

    runtime = init_runtime(settings.seed)
    try:
        return _train(module, values, settings, tokenizer, tok_warning, arch, runtime)
    finally:
        shutdown()


def _train(module, values, settings, tokenizer, tok_warning, arch, runtime) -> LoopState:
    bf16 = runtime.is_gpu
    if settings.bf16 and not bf16:
        _warn(runtime, "bf16 requested but no GPU: training in fp32 on CPU")
    if tok_warning:
        _warn(runtime, tok_warning)
    for message in arch.warnings:
        _warn(runtime, message)
    num_micro = settings.num_microbatches(runtime.world_size)

    config = transformer_config(arch, bf16=bf16, cpu_init=not runtime.is_gpu)
    model = build_gpt(arch, config)
    loaded = Loaded(0, 0, None)
    if settings.load:
        def say(line: str) -> None:
            if runtime.is_first:
                print(line, flush=True)

        loaded = load_pretrained(model, settings, say, lambda message: _warn(runtime, message))
    if runtime.is_gpu:
        model = model.to(runtime.device)
    params = count_parameters(model)
    ddp = _wrap(model, config, runtime, bf16)
    optimizer = MixedPrecisionAdamW(ddp, settings, fused=runtime.is_gpu)
    scheduler = lr_scheduler(optimizer, settings)
    dataset = build_train_dataset(settings, tokenizer)
    batches = micro_batches(dataset, settings, runtime.rank, runtime.world_size, runtime.device)
    flops = model_flops_per_token(params.non_embedding, arch.config["num_layers"], arch.config["hidden_size"],
                                  settings.seq_length)

    if runtime.is_first:
        model_file = module.model_preset.path if module.model_preset else "<none>"
        tok_name = f"{values.get('tokenizer_type')} {values.get('tokenizer_model')}"
        padding = arch.padded_vocab_size - (arch.vocab_size or 0)
        rows = [
            ("framework", module.framework),
            ("model file", str(model_file)),
            ("tokenizer", f"{tok_name} -> vocab {tokenizer.vocab_size}, eod {tokenizer.eod} ({tokenizer.source})"),
            ("architecture", _describe_arch(arch)),
            ("vocab", f"{arch.vocab_size} padded to {arch.padded_vocab_size} (+{padding})"),
            ("parameters", f"{params.total:,} total, {params.non_embedding:,} non-embedding"),
            ("sequence", f"seq_length {settings.seq_length}, max_position_embeddings {arch.max_sequence_length}"),
            ("batch", f"micro {settings.micro_batch_size} x data-parallel {runtime.world_size} x accumulation "
                      f"{num_micro} = global {settings.global_batch_size}"),
            ("precision", "bf16 weights/activations, fp32 master weights + grads (AdamW)" if bf16 else "fp32"),
            ("attention", "torch scaled_dot_product_attention (fused), causal"),
            ("optimizer", f"AdamW lr {settings.lr:g} -> min {settings.min_lr:g}, warmup {settings.lr_warmup_iters}, "
                          f"{settings.lr_decay_style} decay over {settings.lr_decay_iters} iters, wd {settings.weight_decay:g}, "
                          f"betas ({settings.adam_beta1:g}, {settings.adam_beta2:g}), clip {settings.clip_grad:g}"),
            ("data", "mock (megatron-core MockGPTDataset)" if settings.mock_data
                     else " ".join(settings.train_data_path or settings.data_path or [])),
            ("device", f"{runtime.describe()} x {runtime.world_size} rank(s), "
                       f"{'nccl' if runtime.is_gpu else 'gloo'}, torch {torch.__version__}"),
            ("train_iters", f"{settings.train_iters}, log_interval {settings.log_interval}, save {settings.save or 'off'}"),
            ("load", f"{settings.load} (from iteration {loaded.iteration})" if settings.load else "off (random init)"),
        ]
        print(banner(rows), flush=True)
        if os.environ.get("PRIMUS_LOG_LEVEL", "").upper() == "DEBUG":  # primus-cli --debug
            print(banner([(k, repr(v)) for k, v in sorted(arch.config.items())], "TransformerConfig (debug)"))
            print(banner([(k, repr(v)) for k, v in settings.__dict__.items()], "training settings (debug)"),
                  flush=True)

    def state_for_save(state: LoopState) -> dict:
        return {
            "iteration": state.iteration,
            "consumed_samples": state.consumed_samples,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "opt_param_scheduler": scheduler.state_dict(),
            "args": {k: v for k, v in values.items() if isinstance(v, (int, float, str, bool, type(None)))},
        }

    def on_save(save_dir: str) -> None:
        if loaded.root is not None:
            from primus_tui.weights import sidecar

            sidecar.copy_into(loaded.root, Path(save_dir), dict(values))

    trainer = Trainer(ddp, optimizer, scheduler, batches, settings, runtime, flops, state_for_save,
                      start_iteration=loaded.iteration, consumed_samples=loaded.consumed_samples, on_save=on_save)
    state = trainer.run()
    if runtime.is_first:
        print(f"[primus-tui] training done: {state.iteration} iterations, "
              f"lm loss {state.losses[0]:.4f} -> {state.losses[-1]:.4f}", flush=True)
    return state
