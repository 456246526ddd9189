"""Hugging Face weights <-> megatron-core GPTModel weights (torch; never imported by the CLI or the TUI).

`hf_to_mcore.plan_hf_to_mcore` says, per megatron tensor, which HF tensors build it and how
(a `TensorPlan`, with its inverse for export); `plan.run_plan` executes a plan tensor by tensor,
so a writer can stream an 8B checkpoint without holding both copies. Anything unfilled, unused
or mis-shaped is an error. `convert` / `export` are the `primus-tui` commands' work;
`megatron_ckpt` is Megatron-LM's checkpoint layout with megatron-core dist_checkpointing.
"""
