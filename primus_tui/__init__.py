"""primus-tui: from a Hugging Face model to a running Primus/Megatron pretrain job."""

__version__ = "0.1.0"
