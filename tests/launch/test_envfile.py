"""`primus-cli direct --env FILE` (a bash env file, as Primus sources it) and `--silent`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from primus_tui.launch.args import DirectOptions, LaunchRequest, PrimusCommand, parse_launch_args
from primus_tui.launch.envfile import load_env_file
from primus_tui.launch.errors import LaunchError
from primus_tui.launch.launcher import Plan, _execute
from primus_tui.launch.preflight import Resolved
from tests.launch.clihelp import REPO, TRAIN


def _env_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cluster.env"
    path.write_text(text)
    return path


def test_parser_tells_env_files_from_assignments():
    req = parse_launch_args(["direct", "--env", "site.env", "--env", "A=1", "--env=other.env", "--silent", "--",
                             *TRAIN])
    assert req.direct.env_files == ["site.env", "other.env"]
    assert req.direct.env == [("A", "1")]
    assert req.direct.silent


def test_env_file_is_sourced_by_bash_and_only_its_changes_are_kept(tmp_path):
    path = _env_file(tmp_path, '# site settings\nexport NCCL_IB_HCA=mlx5_0\nOUT="${BASE}/x"\nif true; then K=v; fi\n'
                               'SAME=unchanged\n')
    loaded = load_env_file(path, {"PATH": "/usr/bin:/bin", "BASE": "/data", "SAME": "unchanged"})
    assert loaded == {"NCCL_IB_HCA": "mlx5_0", "OUT": "/data/x", "K": "v"}


@pytest.mark.parametrize(("text", "needle"), [("if then\n", "failed to source"), ("false\n", "failed to source")])
def test_env_file_that_fails_is_one_clear_error(tmp_path, text, needle):
    with pytest.raises(LaunchError, match=needle) as info:
        load_env_file(_env_file(tmp_path, text), {"PATH": "/usr/bin:/bin"})
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_missing_env_file_exits_2_in_one_line(cli, tmp_path):
    res = cli("--dry-run", "direct", "--env", str(tmp_path / "nope.env"), "--", *TRAIN)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"primus-cli: error: --env {tmp_path / 'nope.env'}: no such env file "
                                               "(use --env KEY=VALUE or an existing file)"]


def test_dry_run_shows_env_file_variables_and_key_value_wins(cli, tmp_path):
    path = _env_file(tmp_path, "export FROM_FILE=1\nWINNER=file\nUSES_INLINE=$INLINE\n")
    res = cli("--dry-run", "direct", "--env", str(path), "--env", "WINNER=cli", "--env", "INLINE=seen", "--", *TRAIN)
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert f"    FROM_FILE        = 1   (--env {path})" in out
    assert f"    USES_INLINE      = seen   (--env {path})" in out
    assert "    WINNER           = cli   (--env)" in out
    # the dry run says outright that it ran the env file (it is trusted like a Makefile: docs/GUARANTEES.md)
    assert f"  env file      : {path} was sourced (bash) to show its variables; it ran, even in a dry run" in out
    assert out[-1] == "---------------- end of dry run: nothing was launched except the env files above ----------------"


def test_slurm_passes_env_files_absolute_and_silent(cli, tmp_path):
    path = _env_file(tmp_path, "A=1\n")
    res = cli("--dry-run", "slurm", "--", "direct", "--env", path.name, "--silent", "--", *TRAIN, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    line = next(l for l in res.stdout.splitlines() if l.startswith("  command"))
    script = shlex.split(line.split(":", 1)[1])[-1]
    assert shlex.join([str(REPO / "primus-cli"), "direct", "--env", str(path), "--silent", "--"]) in script


def test_silent_drops_stdout_but_keeps_the_log(tmp_path, capfd):
    log = tmp_path / "run.log"
    request = LaunchRequest(mode="direct", command=PrimusCommand(Path("exp.yaml"), []),
                            direct=DirectOptions(silent=True, single=True))
    plan = Plan(argv=[sys.executable, "-c", "print('rank output')"], env={"PATH": "/usr/bin:/bin"}, shown_env={},
                origins={}, log_file=log, run_mode="single", world_size=1)
    resolved = Resolved(values={}, framework="megatron", model_file=None)
    assert _execute(request, plan, resolved) == 0
    assert capfd.readouterr().out == ""
    assert "rank output" in log.read_text()
