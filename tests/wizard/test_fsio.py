"""Atomic writes and the file plan: all or nothing, never clobber unasked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from primus_tui.wizard.errors import WriteFailed, WriteRefused
from primus_tui.wizard.fsio import write_files_atomic
from primus_tui.wizard.plan import Plan, execute, plan_file


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_writes_and_creates_folders(tmp_path: Path) -> None:
    write_files_atomic([(tmp_path / "a" / "b" / "x.yaml", "x: 1\n"), (tmp_path / "y.yaml", "y: 2\n")])
    assert (tmp_path / "a" / "b" / "x.yaml").read_text() == "x: 1\n"
    assert (tmp_path / "y.yaml").read_text() == "y: 2\n"
    assert listing(tmp_path) == ["a", "a/b", "a/b/x.yaml", "y.yaml"]  # no temp files left


def test_new_file_mode_follows_umask_and_existing_mode_is_kept(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_files_atomic([(tmp_path / "new.yaml", "a\n")])
        existing = tmp_path / "old.yaml"
        existing.write_text("old\n")
        existing.chmod(0o600)
        write_files_atomic([(existing, "new\n")])
    finally:
        os.umask(old)
    assert (tmp_path / "new.yaml").stat().st_mode & 0o777 == 0o644
    assert existing.stat().st_mode & 0o777 == 0o600


def test_failure_part_way_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be\n")
    first = tmp_path / "models" / "m.yaml"
    second = tmp_path / "blocker" / "sub" / "e.yaml"
    with pytest.raises(WriteFailed) as info:
        write_files_atomic([(first, "m\n"), (second, "e\n")], tmp_path)
    assert "blocker/sub/e.yaml: cannot write" in str(info.value)
    assert "nothing was written" in str(info.value)
    assert listing(tmp_path) == ["blocker"]  # no model file, no temp file, no new folder


def test_existing_file_is_untouched_when_another_fails(tmp_path: Path) -> None:
    first = tmp_path / "m.yaml"
    first.write_text("old\n")
    (tmp_path / "f").write_text("")
    with pytest.raises(WriteFailed):
        write_files_atomic([(first, "new\n"), (tmp_path / "f" / "e.yaml", "e\n")])
    assert first.read_text() == "old\n"
    assert listing(tmp_path) == ["f", "m.yaml"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteFailed, match="Permission denied"):
            write_files_atomic([(folder / "x.yaml", "x\n")])
        assert listing(folder) == []
    finally:
        folder.chmod(0o755)


def test_plan_actions_and_diff(tmp_path: Path) -> None:
    (tmp_path / "same.yaml").write_text("a: 1\n")
    (tmp_path / "other.yaml").write_text("a: 1\nb: 2\n")
    plan = Plan(tmp_path, (
        plan_file("model", tmp_path, Path("new.yaml"), "a: 1\n"),
        plan_file("experiment", tmp_path, Path("same.yaml"), "a: 1\n"),
        plan_file("extra", tmp_path, Path("other.yaml"), "a: 1\nb: 3\n"),
    ))
    assert [f.action for f in plan.files] == ["create", "unchanged", "modify"]
    diff = plan.files[2].diff
    assert diff.startswith("--- a/other.yaml\n+++ b/other.yaml\n")
    assert "-b: 2\n+b: 3\n" in diff
    assert plan.files[0].diff == "" and plan.files[1].diff == ""
    text = plan.render()
    assert "   create  new.yaml" in text and "unchanged  same.yaml" in text and "   modify  other.yaml" in text

    with pytest.raises(WriteRefused) as info:
        execute(plan)
    assert info.value.exit_code == 4
    assert not (tmp_path / "new.yaml").exists()  # refusal is decided before anything is written
    assert (tmp_path / "other.yaml").read_text() == "a: 1\nb: 2\n"

    written = execute(plan, force=True)
    assert written.names == ["new.yaml", "other.yaml"]
    assert (tmp_path / "other.yaml").read_text() == "a: 1\nb: 3\n"
    [(name, backup)] = written.backups  # --force keeps what it replaced
    assert name == "other.yaml" and backup.read_text() == "a: 1\nb: 2\n"
    assert backup.parent.parent.name == "backups" and backup.parent.parent.parent.name == ".primus-tui"


def test_plan_refuses_a_directory_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    with pytest.raises(WriteFailed, match="is a directory"):
        plan_file("model", tmp_path, Path("x.yaml"), "a\n")
