"""Config engine: Primus's exact merge rules, plus provenance, shadowed keys and diffs.

Pure Python; never imports Textual, torch or megatron.
"""

from primus_tui.config.cli_overrides import parse_cli_overrides
from primus_tui.config.diff import DiffEntry, diff_configs
from primus_tui.config.errors import ConfigError
from primus_tui.config.experiment import ResolvedExperiment, ResolvedModule, Shadowed, resolve_experiment
from primus_tui.config.merge import deep_merge, flatten
from primus_tui.config.source import Source, Sources
from primus_tui.config.tree import ConfigTree, Loaded, load_with_extends

__all__ = [
    "ConfigError",
    "ConfigTree",
    "DiffEntry",
    "Loaded",
    "ResolvedExperiment",
    "ResolvedModule",
    "Shadowed",
    "Source",
    "Sources",
    "deep_merge",
    "diff_configs",
    "flatten",
    "load_with_extends",
    "parse_cli_overrides",
    "resolve_experiment",
]
