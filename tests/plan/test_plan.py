"""primus_tui.plan: every rule rejects a layout that breaks it, memory vs Megatron's own formula, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

from primus_tui.cli import main
from primus_tui.hf import map_config
from primus_tui.megatron.registry import load_registry
from primus_tui.plan import RULES, Batch, Cluster, Layout, fits_this_machine, gpu_kind, model_shape, search
from primus_tui.plan.errors import PlanError
from primus_tui.plan.memory import activation_memory, weight_memory
from primus_tui.plan.rules import RULES_BY_ID, Context
from primus_tui.trainer.arch import _validate_args, megatron_args

ROOT = Path(__file__).resolve().parents[2]
HF = ROOT / "tests" / "fixtures" / "hf_configs"
MIRROR = Path("/work/.mirror/NVIDIA+Megatron-LM/repo")
PIN = "d3528a21301db2d12e92912b3ec025dc8a2ed4d6"
EXP8B = ROOT / "examples" / "megatron" / "configs" / "MI300X" / "llama3.1_8B-BF16-pretrain.yaml"


def hf_args(name: str, **extra) -> dict:
    fields = dict(map_config(json.loads((HF / name / "config.json").read_text())).fields)
    args = megatron_args({**fields, "seq_length": 4096, "global_batch_size": 64, "max_position_embeddings": 131072,
                          **extra}, load_registry())
    _validate_args(args)
    return args


@pytest.fixture(scope="module")
def exp70(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "llama3.1_70B-pretrain.yaml"
    path.write_text(EXP8B.read_text().replace("llama3.1_8B.yaml", "llama3.1_70B.yaml"))
    return path


# rule id -> a (model, layout, world, batch) that breaks only... at least that rule
MIXTRAL = "mistralai--Mixtral-8x7B-v0.1"
LLAMA8 = "meta-llama--Llama-3.1-8B"
BROKEN = {
    "world_divisible": (LLAMA8, Layout(tp=8, pp=3, dp=1), 16, Batch(4096, 64), "mi300x"),
    "heads_tp": ("TinyLlama--TinyLlama-1.1B-Chat-v1.0", Layout(tp=3, dp=1), 3, Batch(4096, 64), "mi300x"),
    "query_groups_tp": (LLAMA8, Layout(tp=3, dp=1), 3, Batch(4096, 64), "mi300x"),
    "layers_pp": (LLAMA8, Layout(pp=5, dp=1), 5, Batch(4096, 64), "mi300x"),
    "ep_needs_experts": (LLAMA8, Layout(ep=2, dp=2), 2, Batch(4096, 64), "mi300x"),
    "experts_ep": (MIXTRAL, Layout(ep=3, dp=3), 3, Batch(4096, 63), "mi300x"),
    "expert_grid_world": (MIXTRAL, Layout(tp=2, etp=2, ep=8, dp=4), 8, Batch(4096, 64), "mi300x"),
    "seq_cp": (LLAMA8, Layout(cp=4, dp=1), 4, Batch(4100, 64), "mi300x"),
    "vpp_layers": (LLAMA8, Layout(pp=4, vpp=3, dp=1), 4, Batch(4096, 64), "mi300x"),
    "vpp_needs_pp": (LLAMA8, Layout(vpp=2, dp=1), 1, Batch(4096, 64), "mi300x"),
    "gbs_mbs_dp": (LLAMA8, Layout(dp=3, mbs=2), 3, Batch(4096, 64), "mi300x"),
    "sp_needs_tp": (LLAMA8, Layout(sp=True, dp=1), 1, Batch(4096, 64), "mi300x"),
    "fp8_supported": (LLAMA8, Layout(precision="fp8", dp=1), 1, Batch(4096, 64), "cpu"),
}


def test_every_rule_has_a_breaking_layout() -> None:
    assert set(BROKEN) == {r.id for r in RULES}


@pytest.mark.parametrize("rule_id", sorted(BROKEN))
def test_rule_rejects_breaking_layout(rule_id: str) -> None:
    model, layout, world, batch, gpu = BROKEN[rule_id]
    ctx = Context(model_shape(hf_args(model)), world, batch, gpu_kind(gpu))
    rule = RULES_BY_ID[rule_id]
    assert not rule.ok(layout, ctx)
    assert rule.quote in rule.message(layout)
    fixed = Layout(dp=1) if rule_id != "fp8_supported" else Layout(dp=1, precision="bf16")
    assert rule.ok(fixed, Context(ctx.shape, 1, Batch(4096, 64), ctx.gpu))


VENDORED = Path(__file__).resolve().parents[1] / "fixtures" / "megatron" / "theoretical_memory_usage.py"


def _megatron_memory_module():
    """Megatron-LM's own memory formula at Primus's pin (the vendored copy; see its README)."""
    module = types.ModuleType("theoretical_memory_usage")
    source = VENDORED.read_text().replace("from .utils import is_hybrid_model, print_rank_0", "print_rank_0 = print")
    exec(compile(source, "theoretical_memory_usage.py", "exec"), module.__dict__)  # noqa: S102 - Megatron's own code
    return module


def test_the_vendored_memory_formula_is_the_pinned_file() -> None:
    if not MIRROR.is_dir():
        pytest.skip(f"Megatron-LM mirror not at {MIRROR}")
    pinned = subprocess.run(["git", f"--git-dir={MIRROR}", "show", f"{PIN}:megatron/training/theoretical_memory_usage.py"],
                            capture_output=True)
    if pinned.returncode:
        pytest.skip(f"pinned commit {PIN[:8]} not in the mirror")
    assert VENDORED.read_bytes() == pinned.stdout


MODELS = ["TinyLlama--TinyLlama-1.1B-Chat-v1.0", LLAMA8, "meta-llama--Llama-3.1-70B-Instruct", MIXTRAL,
          "deepseek-ai--DeepSeek-V2-Lite"]
# Megatron's function ignores EP and CP and assumes selective recompute: compare there.
LAYOUTS = [Layout(dp=8, mbs=1, recompute="selective"), Layout(tp=4, dp=2, mbs=2, sp=True, recompute="selective"),
           Layout(tp=2, pp=4, dp=1, sp=True, recompute="selective"),
           Layout(tp=2, pp=4, vpp=2, dp=1, sp=True, recompute="selective", distopt=False),
           Layout(tp=8, dp=1, sp=False, recompute="selective")]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("index", range(len(LAYOUTS)))
def test_memory_matches_megatron_theoretical(model: str, index: int) -> None:
    tmu = _megatron_memory_module()
    layout = replace(LAYOUTS[index], etp=LAYOUTS[index].tp)  # Megatron: expert TP defaults to TP
    args = hf_args(model)
    shape = model_shape(args)
    if shape.num_layers % layout.pp or (shape.num_layers // layout.pp) % layout.vpp:
        pytest.skip("layout does not divide this model's layers")
    batch = Batch(4096, 64)
    ns = types.SimpleNamespace(**{**args, "tensor_model_parallel_size": layout.tp,
                                  "pipeline_model_parallel_size": layout.pp, "data_parallel_size": layout.dp,
                                  "virtual_pipeline_model_parallel_size": layout.vpp if layout.vpp > 1 else None,
                                  "micro_batch_size": layout.mbs, "seq_length": batch.seq_length,
                                  "use_distributed_optimizer": layout.distopt, "sequence_parallel": layout.sp,
                                  "recompute_granularity": "selective", "padded_vocab_size": shape.padded_vocab(layout.tp),
                                  "moe_layer_freq": [1 if i < 0 else 0 for i in range(0)] or args.get("moe_layer_freq")})
    if shape.num_experts:
        from primus_tui.hf.moe_layers import expand_freq
        ns.moe_layer_freq = expand_freq(args.get("moe_layer_freq", 1), shape.num_layers)
    theirs_w = tmu.compute_weight_and_optimizer_memory(ns)
    m = layout.microbatches(batch)
    fn = tmu.compute_activation_memory if layout.sp else tmu.compute_activation_memory_without_sp
    theirs_a = fn(ns, num_microbatches=m)
    ours_w = sum(weight_memory(shape, layout, layout.dp * layout.tp * layout.pp))
    ours_a = activation_memory(shape, layout, batch)
    assert math.isclose(ours_w, theirs_w, rel_tol=0.05), (ours_w / theirs_w)
    if shape.num_experts and layout.sp and model == MIXTRAL:
        # Megatron's SP formula sizes each MoE layer's MLP as ffn_hidden_size; a token goes through topk=2 experts.
        assert ours_a > theirs_a * 1.1
    else:
        assert math.isclose(ours_a, theirs_a, rel_tol=0.05), (ours_a / theirs_a)


@pytest.mark.parametrize("setting, stores", [({}, False), ({"attention_backend": "flash"}, False),
                                              ({"attention_backend": "fused"}, False),
                                              ({"attention_backend": "unfused"}, True),
                                              ({"transformer_impl": "local"}, True),
                                              ({"transformer_impl": "local", "attention_backend": "local"}, True)])
def test_attention_scores_count_only_where_the_core_attention_stores_them(setting: dict, stores: bool) -> None:
    """No recompute keeps the 5as/h softmax scores only with Megatron's unfused core attention
    (local spec, or TE's unfused backend); flash / fused attention needs what selective recompute needs."""
    shape = model_shape(hf_args(LLAMA8, **setting))
    assert shape.unfused_attention is stores
    batch = Batch(8192, 64)
    none, selective = (activation_memory(shape, Layout(tp=4, dp=2, sp=True, recompute=rc), batch)
                       for rc in ("none", "selective"))
    scores = 5 * shape.heads * 8192 / shape.hidden  # per s*b*h, against 18 + 4f/h = 32 for Llama-3.1-8B
    assert (none / selective > 1 + scores / 40) if stores else math.isclose(none, selective)


def test_llama70b_on_two_mi300x_nodes(exp70: Path, capsys) -> None:
    assert main(["plan", str(exp70), "--nodes", "2", "--gpus-per-node", "8", "--gpu", "mi300x", "--json",
                 "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    best = data["plans"][0]
    assert best["fits"] and best["memory_bytes"]["total"] <= 192 * 2**30
    layout = best["layout"]
    assert (layout["tp"], layout["pp"], layout["vpp"], layout["cp"]) == (2, 4, 5, 2)
    # Primus's presets run Transformer Engine with attention_backend auto (flash / fused attention):
    # the scores are never stored, so selective recompute would only add the attention core's FLOPs.
    assert layout["sp"] and layout["recompute"] == "none" and layout["distopt"]
    assert data["batch"] == {"seq_length": 8192, "global_batch_size": 128}


def test_cli_text(exp70: Path, capsys) -> None:
    assert main(["plan", str(exp70), "--nodes", "2", "--gpus-per-node", "8", "--gpu", "MI300X", "--top", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 x 8 MI300X")
    assert "1. TP2 PP4xV5 CP2" in out and "tokens/s" in out and "[" in out
    assert "world_divisible: assert args.world_size % total_model_size == 0" in out


def test_overrides_seq_and_batch(capsys) -> None:
    assert main(["plan", str(EXP8B), "--vocab-size", "128256", "--gpus-per-node", "8", "--seq-length", "4096", "--global-batch-size", "64",
                 "--json", "--top", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["batch"] == {"seq_length": 4096, "global_batch_size": 64}


@pytest.mark.parametrize("argv, message", [
    (["--gpu", "mi30x"], "unknown GPU kind 'mi30x' (did you mean mi300x?)"),
    (["--nodes", "0"], "--nodes: expected an integer >= 1, got 0"),
    (["--gpus-per-node", "-1"], "--gpus-per-node: expected an integer >= 1, got -1"),
    (["--seq-length", "0"], "--seq-length: expected an integer >= 1, got 0"),
    (["--top", "0"], "--top: expected an integer >= 1, got 0"),
])
def test_bad_input_one_line(argv: list[str], message: str, capsys) -> None:
    assert main(["plan", str(EXP8B), "--vocab-size", "128256", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_fits_this_machine_smallest_change() -> None:
    args = hf_args("meta-llama--Llama-3.1-70B-Instruct", seq_length=8192, global_batch_size=128, micro_batch_size=2)
    ok, message, change = fits_this_machine(args, nodes=2, gpus_per_node=8, gpu="mi300x")
    assert not ok and "does not fit" in message and change
    fixed = {**args, **change}
    ok, message, change = fits_this_machine(fixed, nodes=2, gpus_per_node=8, gpu="mi300x")
    assert ok and change is None, message


def test_search_is_pure_and_fast() -> None:
    code = ("import sys, time, primus_tui.plan as p, primus_tui.commands.plan; "
            "print(any(m.split('.')[0] in ('torch','megatron','textual') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
