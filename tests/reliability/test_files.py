"""Files as transactions, and render-then-prove, tried as an adversary: races, SIGKILLs, failing renames.

Each case asserts the exit code, a one-line message, and the tree: unchanged, or fully applied, with
no temp file or journal of ours left behind.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest
import yaml

from primus_tui.files import Change, FileConflict, FileWriteError, apply, recover

from tests.reliability.helpers import EXPERIMENT, MODEL, leftovers, popen, snapshot


def _one_line(err: str) -> bool:
    return len(err.strip().splitlines()) == 1 and "Traceback" not in err


_SLOW = """
import os, time
def _slow(f):
    def g(*a, **k):
        time.sleep(0.03)
        return f(*a, **k)
    return g
os.replace, os.link = _slow(os.replace), _slow(os.link)
import primus_tui.files.transaction as _t
_t.exchange = _slow(_t.exchange)
"""


# ---- exclusive creation ----------------------------------------------------------------------------------

def test_threads_racing_to_create_one_file_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "m.yaml"
    barrier = threading.Barrier(8)
    results: dict[int, str] = {}

    def writer(i: int) -> None:
        barrier.wait()
        try:
            apply([Change(target, f"writer: {i}\n", None, "m.yaml")], tmp_path)
            results[i] = "won"
        except FileConflict as exc:
            results[i] = str(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, r in results.items() if r == "won"]
    assert len(winners) == 1, results
    assert target.read_text() == f"writer: {winners[0]}\n"  # the winner's file, intact
    for i, message in results.items():
        if i != winners[0]:
            assert "m.yaml: was created by another writer" in message and "nothing was written" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


def test_two_real_runs_creating_the_same_files_one_wins(answers, tree: Path) -> None:
    files = {"a": answers({"experiment": {"overrides": {"train_iters": 61}}, "architecture": {"num_layers": 3}},
                          name="a.yaml"),
             "b": answers({"experiment": {"overrides": {"train_iters": 72}}, "architecture": {"num_layers": 5}},
                          name="b.yaml")}
    layers = {"a": 3, "b": 5}
    for _ in range(3):
        for rel in (MODEL, EXPERIMENT):
            (tree / rel).unlink(missing_ok=True)
        procs = {k: popen("--answers", f, prelude=_SLOW) for k, f in files.items()}  # wide windows: both plan "create"
        done = {k: (p.wait(timeout=120), *p.communicate()) for k, p in procs.items()}
        winners = [k for k, (code, _, _) in done.items() if code == 0]
        assert len(winners) == 1, {k: (c, e) for k, (c, _, e) in done.items()}
        loser = ({"a", "b"} - set(winners)).pop()
        code, _, err = done[loser]
        assert code == 4 and _one_line(err), err
        assert "tinyllama_1.1B" in err and ("another writer" in err or "exists and differs" in err)
        model = yaml.safe_load((tree / MODEL).read_text())
        experiment = yaml.safe_load((tree / EXPERIMENT).read_text())
        assert model["num_layers"] == layers[winners[0]]  # both files are the winner's
        assert experiment["modules"]["pre_trainer"]["overrides"]["train_iters"] == {"a": 61, "b": 72}[winners[0]]
        assert leftovers(tree) == []


def test_replaced_file_edited_after_the_plan_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "m.yaml"
    target.write_text("planned from this\n")
    seen = target.read_bytes()
    target.write_text("edited meanwhile\n")
    with pytest.raises(FileConflict, match="m.yaml: changed on disk after the plan was made; not replaced; "
                                           "nothing was written"):
        apply([Change(target, "new\n", seen, "m.yaml")], tmp_path)
    assert target.read_text() == "edited meanwhile\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


# ---- all or nothing ---------------------------------------------------------------------------------------

def _old_pair(cli, answers, tree: Path) -> tuple[Path, dict[str, bytes]]:
    """Both files on disk from other answers; returns the answers that replace both, and the old tree."""
    assert cli("--answers", answers({"experiment": {"overrides": {"train_iters": 77}},
                                     "architecture": {"num_layers": 2}}, name="old.yaml"))[0] == 0
    return answers(name="new.yaml"), snapshot(tree)


@pytest.mark.parametrize("swap", ["exchange", "replace"])  # RENAME_EXCHANGE, or os.replace where unsupported
def test_failure_of_the_second_rename_restores_the_first(cli, answers, tree: Path, monkeypatch, swap: str) -> None:
    import primus_tui.files.transaction as transaction

    new, old = _old_pair(cli, answers, tree)
    real_exchange, real_replace = transaction.exchange, os.replace

    def failing(fn):
        def call(src, dst, *a, **k):
            if str(dst).endswith(str(EXPERIMENT)):
                raise OSError(errno.ENOSPC, "No space left on device")
            return fn(src, dst, *a, **k)
        return call

    if swap == "exchange":
        monkeypatch.setattr(transaction, "exchange", failing(real_exchange))
    else:
        monkeypatch.setattr(transaction, "exchange", lambda a, b: False)
        monkeypatch.setattr(os, "replace", failing(real_replace))
    code, _, err = cli("--answers", new, "--force")
    assert code == 2 and _one_line(err), err
    assert f"{EXPERIMENT}: cannot write (No space left on device)" in err
    assert f"already written and undone: {MODEL} (restored); the tree is as before" in err
    assert "nothing was written" not in err  # the model file *was* written, then restored: it says so
    assert snapshot(tree) == old and leftovers(tree) == [] and not (tree / ".primus-tui").exists()


def test_a_file_renamed_onto_the_target_after_the_compare_is_not_lost(tmp_path: Path, monkeypatch) -> None:
    """The race a compare-then-rename cannot see: the swap exchanges names and checks what came out."""
    import primus_tui.files.transaction as transaction

    target = tmp_path / "m.yaml"
    target.write_text("planned from this\n")
    real = transaction.link_or_copy

    def then_a_stranger_renames(src, dst):
        kept = real(src, dst)
        (tmp_path / "theirs").write_text("theirs\n")
        os.replace(tmp_path / "theirs", target)  # after our compare, before our swap
        return kept

    monkeypatch.setattr(transaction, "link_or_copy", then_a_stranger_renames)
    with pytest.raises(FileConflict, match="m.yaml: changed on disk after the plan was made"):
        apply([Change(target, "ours\n", b"planned from this\n", "m.yaml")], tmp_path)
    assert target.read_text() == "theirs\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


def test_failure_of_the_second_create_removes_the_first(cli, answers, tree: Path, monkeypatch) -> None:
    before = snapshot(tree)
    real = os.link

    def failing(src, dst, *a, **k):
        if str(dst).endswith(str(EXPERIMENT)):
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "link", failing)
    code, _, err = cli("--answers", answers())
    assert code == 2 and _one_line(err) and f"already written and undone: {MODEL} (new, removed)" in err, err
    assert snapshot(tree) == before and leftovers(tree) == [] and not (tree / ".primus-tui").exists()


def _kill_during_write(new: Path, rng: random.Random, tree: Path, sig: int = signal.SIGKILL) -> str:
    """Start a run, signal it at a random moment (most in the commit phase); say when."""
    proc = popen("--answers", new, "--force", prelude=_SLOW)
    state = tree / ".primus-tui"
    start, when = time.monotonic(), "before the journal"
    if rng.random() < 0.25:
        time.sleep(rng.uniform(0.0, 2.5))  # anywhere in the run
    else:
        while proc.poll() is None and not any(state.glob("journal-*.json")) and time.monotonic() - start < 60:
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.15))
        when = "in the commit phase"
    proc.send_signal(sig)
    proc.wait(timeout=30)
    proc.communicate()
    return when if proc.returncode == -sig else "after it finished"


def test_random_sigkills_during_writes_leave_the_tree_old_or_new(cli, answers, tree: Path) -> None:
    new, old = _old_pair(cli, answers, tree)
    assert cli("--answers", new, "--force")[0] == 0
    fresh = {str(rel): (tree / rel).read_bytes() for rel in (MODEL, EXPERIMENT)}
    olds = {str(rel): old[str(rel)] for rel in (MODEL, EXPERIMENT)}
    rng = random.Random(int(os.environ.get("KILL_SEED", "13")))
    seen: dict[str, int] = {}
    for i in range(int(os.environ.get("KILL_ROUNDS", "12"))):
        for rel, data in olds.items():  # start from the old pair each round
            (tree / rel).write_bytes(data)
        sig = signal.SIGTERM if i % 3 == 2 else signal.SIGKILL
        when = _kill_during_write(new, rng, tree, sig)
        if sig == signal.SIGTERM:  # held during the transaction: whole without any recovery
            pair = {rel: (tree / rel).read_bytes() for rel in olds}
            assert pair in (olds, fresh) and leftovers(tree) == [], (i, when)
            when = f"SIGTERM {when}"
        # what the next run does first: roll back what a killed one left
        recover(tree, [tree / MODEL.parent, tree / EXPERIMENT.parent])
        pair = {rel: (tree / rel).read_bytes() for rel in olds}
        state = "old" if pair == olds else "new" if pair == fresh else "torn"
        seen[f"{when}: {state}"] = seen.get(f"{when}: {state}", 0) + 1
        assert state != "torn", (i, when)
        assert leftovers(tree) == [], (i, when)
        if i % 4 == 0:  # and a real rerun completes it
            code, _, err = cli("--answers", new, "--force")
            assert code == 0, err
            assert {rel: (tree / rel).read_bytes() for rel in olds} == fresh and leftovers(tree) == []
    print(seen)
    assert any(k.startswith("in the commit phase") for k in seen)


def _signal_between_swaps(sig: str) -> str:
    """A prelude that sends the process `sig` after the model swap, before the experiment's."""
    return ("import os, signal\nimport primus_tui.files.transaction as t\n_x = t.exchange\n"
            "def x(a, b):\n"
            "    if str(b).endswith('tinyllama_1.1B-pretrain.yaml'):\n"
            f"        os.kill(os.getpid(), signal.{sig})\n"
            "    return _x(a, b)\nt.exchange = x\n")


def test_a_journal_left_by_a_killed_run_is_rolled_back_by_the_next_run(cli, answers, tree: Path) -> None:
    new, old = _old_pair(cli, answers, tree)
    proc = popen("--answers", new, "--force", prelude=_signal_between_swaps("SIGKILL"))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert (tree / MODEL).read_bytes() != old[str(MODEL)]  # torn: the model file is new, the experiment old
    assert (tree / EXPERIMENT).read_bytes() == old[str(EXPERIMENT)]
    assert leftovers(tree)  # a journal and a temp file
    code_, out, err = cli("--answers", new, "--force")
    assert code_ == 0, err
    assert f"an interrupted write (pid {proc.pid}) was rolled back: {MODEL} (restored)" in err
    assert leftovers(tree) == []
    assert (tree / EXPERIMENT).read_bytes() != old[str(EXPERIMENT)]  # fully new now


def test_sigterm_between_the_two_swaps_waits_for_the_transaction(cli, answers, tree: Path) -> None:
    new, old = _old_pair(cli, answers, tree)
    proc = popen("--answers", new, "--force", prelude=_signal_between_swaps("SIGTERM"))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGTERM
    assert all((tree / rel).read_bytes() != old[str(rel)] for rel in (MODEL, EXPERIMENT))  # whole: both new
    assert leftovers(tree) == []  # nothing for a rerun to mend


def test_pretend_reports_an_interrupted_write_and_changes_nothing(tmp_path: Path, cli, answers, tree: Path) -> None:
    state = tree / ".primus-tui"
    state.mkdir()
    (state / "journal-999999999-abcd.json").write_text('{"pid": 999999999, "entries": []}')
    before = snapshot(tree)
    code, _, err = cli("--answers", answers(), "--pretend")
    assert code == 0 and "interrupted write(s) in .primus-tui/ will be rolled back" in err
    assert snapshot(tree) == before


# ---- modes and backups ------------------------------------------------------------------------------------

def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(cli, answers, tree: Path) -> None:
    old = os.umask(0o022)
    try:
        assert cli("--answers", answers())[0] == 0
        modes = {rel: (tree / rel).stat().st_mode & 0o777 for rel in (MODEL, EXPERIMENT)}
        assert modes == {MODEL: 0o644, EXPERIMENT: 0o644}
        (tree / MODEL).chmod(0o640)
        (tree / MODEL).write_text((tree / MODEL).read_text() + "# edited\n")
        code, out, err = cli("--answers", answers(), "--force")
        assert code == 0, err
        assert (tree / MODEL).stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
    os.umask(0o027)
    try:
        (tree / EXPERIMENT).unlink()
        assert cli("--answers", answers())[0] == 0
        assert (tree / EXPERIMENT).stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_force_keeps_a_backup_of_what_it_replaces(cli, answers, tree: Path) -> None:
    new, old = _old_pair(cli, answers, tree)
    code, out, err = cli("--answers", new, "--force")
    assert code == 0, err
    kept = dict(line.removeprefix("kept the old ").split(" as ", 1) for line in out.splitlines()
                if line.startswith("kept the old "))
    assert set(kept) == {str(MODEL), str(EXPERIMENT)}
    for rel, where in kept.items():
        backup = Path(where)
        assert backup.read_bytes() == old[rel] and backup.is_relative_to(tree / ".primus-tui" / "backups")
    assert (tree / ".primus-tui" / ".gitignore").read_text().splitlines()[-1] == "*"  # the checkout stays clean


def test_overwrite_force_in_the_answers_needs_force_on_the_command_line(cli, answers, tree: Path) -> None:
    new, old = _old_pair(cli, answers, tree)
    forced = answers({"overwrite": "force"}, name="forced.yaml")
    code, _, err = cli("--answers", forced)
    assert code == 4 and _one_line(err) and "takes effect only with --force on the command line" in err
    assert snapshot(tree) == old
    code, out, err = cli("--answers", forced, "--force", "--json")
    assert code == 0, err
    backups = json.loads(out)["backups"]  # the JSON report says where the old files are kept
    assert {rel: Path(p).read_bytes() for rel, p in backups.items()} == {str(MODEL): old[str(MODEL)],
                                                                        str(EXPERIMENT): old[str(EXPERIMENT)]}


# ---- render, then prove -----------------------------------------------------------------------------------

@pytest.mark.parametrize("changes,where", [
    ({"name": "evil\nseq_length: 1"}, "name"),
    ({"experiment": {"module": "pre_trainer\n  evil: 1"}}, "experiment.module"),
    ({"experiment": {"work_group": "amd\nseq_length: 999999"}}, "experiment.work_group"),
    ({"experiment": {"file": "x-pretrain.yaml\n"}}, "experiment.file"),
    ({"model": {"repo": "TinyLlama/TinyLlama-1.1B-Chat-v1.0\n"}}, "model.repo"),
])
def test_injected_newlines_are_refused(cli, answers, tree: Path, changes: dict, where: str) -> None:
    before = snapshot(tree)
    code, _, err = cli("--answers", answers(changes))
    assert code == 2 and _one_line(err) and f": {where}: " in err, err
    assert snapshot(tree) == before


def test_odd_values_are_quoted_and_parse_back_exactly(cli, answers, tree: Path) -> None:
    odd = {"work_group": "a: b # c", "user_name": "- [x]", "workspace": "'./out' \"q\"", "exp_name": "yes"}
    code, _, err = cli("--answers", answers({"experiment": {**odd, "overrides": {"data_path": "x: y\ty"}}}))
    assert code == 0, err
    data = yaml.safe_load((tree / EXPERIMENT).read_text())
    assert set(data) == {"work_group", "user_name", "exp_name", "workspace", "modules"}
    assert {k: data[k] for k in odd} == odd
    assert data["modules"]["pre_trainer"]["overrides"]["data_path"] == "x: y\ty"


def test_a_local_folder_name_stays_in_its_comment(cli, answers, tree: Path, tmp_path: Path) -> None:
    from tests.fixture_data import HF_FIXTURES

    folder = tmp_path / "m\nseq_length: 999999\n#"
    folder.mkdir()
    (folder / "config.json").write_bytes((HF_FIXTURES / "TinyLlama--TinyLlama-1.1B-Chat-v1.0/config.json").read_bytes())
    code, _, err = cli("--answers", answers({"model": {"repo": None, "revision": None, "commit": None,
                                                       "path": str(folder)}}))
    assert code == 0, err
    assert "seq_length" not in yaml.safe_load((tree / MODEL).read_text())
    assert yaml.safe_load((tree / EXPERIMENT).read_text())["modules"]["pre_trainer"]["overrides"]["seq_length"] == 2048


def test_a_broken_escape_is_caught_by_the_proof_before_writing(cli, answers, tree: Path, tmp_path: Path,
                                                              monkeypatch) -> None:
    """Break the comment escaping once: the parse-back proof must stop the write (nothing on disk)."""
    import primus_tui.wizard.experiment as experiment
    from tests.fixture_data import HF_FIXTURES

    monkeypatch.setattr(experiment, "comment", str)
    folder = tmp_path / "m\nseq_length: 999999\n#"
    folder.mkdir()
    (folder / "config.json").write_bytes((HF_FIXTURES / "TinyLlama--TinyLlama-1.1B-Chat-v1.0/config.json").read_bytes())
    before = snapshot(tree)
    code, _, err = cli("--answers", answers({"model": {"repo": None, "revision": None, "commit": None,
                                                       "path": str(folder)}}))
    assert code == 2 and _one_line(err) and "parses back with other keys" in err, err
    assert snapshot(tree) == before


def test_write_failures_are_one_line_and_say_nothing_was_written(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should be\n")
    with pytest.raises(FileWriteError) as info:
        apply([Change(tmp_path / "a.yaml", "a\n"), Change(tmp_path / "blocker" / "b.yaml", "b\n", None, "b.yaml")],
              tmp_path)
    assert str(info.value).startswith("b.yaml: cannot write (") and str(info.value).endswith("nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_import_write_force_keeps_a_backup_and_new_files_are_exclusive(cli, tree: Path) -> None:
    target = tree / "primus/configs/models/megatron/m_test.yaml"
    code, out, err = cli("import", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "--name", "m_test", "--write",
                         "--primus-root", tree)
    assert code == 0 and out.strip() == str(target), err
    target.write_text("# mine\n")
    code, _, err = cli("import", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "--name", "m_test", "--write", "--force",
                       "--primus-root", tree)
    assert code == 0, err
    [line] = [x for x in err.splitlines() if "kept the old m_test.yaml as " in x]
    assert Path(line.split(" as ", 1)[1]).read_text() == "# mine\n"
    assert leftovers(tree) == []


def test_no_room_for_the_journal_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".primus-tui").write_text("a file where our folder should be\n")
    with pytest.raises(FileWriteError) as info:
        apply([Change(tmp_path / "a" / "m.yaml", "m\n", None, "a/m.yaml")], tmp_path)
    assert str(info.value) == ".primus-tui/ (the write journal): cannot write (Not a directory); nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".primus-tui"]
