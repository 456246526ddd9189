"""Megatron-core pretrain loop behind `primus-cli direct` (runs only inside launched processes).

Never imported by the TUI or the pure core: `torch` and `megatron.core` are imported lazily by
`primus_tui.trainer.main` so a missing dependency becomes exit 1 with the extra to install.
"""
