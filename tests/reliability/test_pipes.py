"""A closed stdout is the reader's choice (exit 0, quiet); any other broken pipe is our failure."""

from __future__ import annotations

import os
import subprocess
import sys

from primus_tui import cli


def test_a_reader_that_closed_stdout_ends_quietly():
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that already had enough
    try:
        done = subprocess.run([sys.executable, "-m", "primus_tui", "schema"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_broken_pipe_of_our_own_is_not_success(monkeypatch, capsys):
    """A helper process dying under a command (megatron-core's checkpoint writer did) raised
    BrokenPipeError, which used to end as exit 0 with nothing written."""
    from primus_tui.commands import schema

    def broken(_args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(schema, "run", broken)
    assert cli.main(["schema"]) == 70
    assert "internal error: BrokenPipeError" in capsys.readouterr().err
