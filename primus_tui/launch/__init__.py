"""Pure launcher core: `primus-cli` argv building, log-line parsing, process-group handling (no torch)."""

from primus_tui.launch.command import build_command
from primus_tui.launch.logparse import TrainingStep, parse_line, parse_log, split_lines

__all__ = ["TrainingStep", "build_command", "parse_line", "parse_log", "split_lines"]
