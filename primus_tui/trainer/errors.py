"""Trainer failures, each carrying Primus's exit code so the launcher can report it."""

from __future__ import annotations

INSTALL_HINT = "make train-extra"  # = launch.preflight.TRAIN_EXTRA (the trainer imports no launch module)


class TrainerError(Exception):
    """A failure reported as one line; `exit_code` follows Primus (1 dep, 2 config, 3 runtime)."""

    exit_code = 3


class MissingDependency(TrainerError):
    exit_code = 1


class UnsupportedConfig(TrainerError):
    """Invalid or unsupported merged config; the message names the key."""

    exit_code = 2

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key


class TrainingFailed(TrainerError):
    exit_code = 3
