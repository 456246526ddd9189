"""`primus-tui --answers F`: answers -> checks -> file plan -> atomic writes -> resolve check -> launch.

stdout carries data (the plan, the checklist, or the `--json` report); stderr carries
diagnostics (errors, warnings, and the launch log under `--json`). Exit codes: 0 ok,
2 bad answers/config, 3 launch failed, 4 refused to overwrite.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from primus_tui.wizard import schema
from primus_tui.wizard.answersfile import load_answers_file
from primus_tui.wizard.checklist import build_checklist
from primus_tui.wizard.errors import (
    EXIT_BAD_ANSWERS,
    EXIT_LAUNCH_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    LaunchFailed,
    WizardError,
    WriteFailed,
    WriteRefused,
)
from primus_tui.wizard.fsio import write_files_atomic
from primus_tui.wizard.problems import Problem
from primus_tui.wizard.state import WizardState
from primus_tui.wizard.verdict import assess, resolution_problems
from primus_tui.wizard.weights import CHILD_ERROR, conversion_failed, conversion_run
from primus_tui.wizard.writeflow import pending_note, recover_state, write_then_verify


@dataclass
class HeadlessOptions:
    answers: Path
    sets: list[str] = field(default_factory=list)
    pretend: bool = False
    force: bool = False
    json: bool = False
    save_answers: Path | None = None
    primus_root: str | None = None
    launch: str | None = None


@dataclass
class Report:
    """What a headless run did; `--json` prints it, the text output is built from it."""

    answers: str
    exit_status: int = EXIT_OK
    target: str | None = None
    model: str | None = None
    name: str | None = None
    base: str | None = None
    files: list[dict] = field(default_factory=list)
    backups: dict[str, str] = field(default_factory=dict)  # file -> where its old bytes are kept (--force)
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    param_count: dict | None = None
    architecture: dict = field(default_factory=dict)
    architecture_checked: bool = False
    pinned_overrides: dict = field(default_factory=dict)
    dead_keys: list[dict] = field(default_factory=list)  # merged keys Megatron will not read
    accepted_divergences: list[dict] = field(default_factory=list)  # HF settings Megatron builds otherwise
    launch: dict = field(default_factory=lambda: {"mode": "none", "command": None, "exit_code": None})
    checklist: list[dict] = field(default_factory=list)
    saved_answers: str | None = None
    pretend: bool = False
    checkpoint: dict | None = None  # experiment.init.from: hf: the converted weights' folder

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, default=str) + "\n"


class _Stop(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def load_state(opts: HeadlessOptions, fetch: Callable | None = None) -> tuple[WizardState, list[Problem]]:
    """Answers file + `--set`/`--launch`/`--primus-root` -> state (and the `--set` problems)."""
    data = load_answers_file(opts.answers)
    data, set_problems = schema.apply_sets(data, list(opts.sets))
    keys = [item.split("=", 1)[0].strip() for item in opts.sets]
    if any(k in ("model", "model.repo", "model.path", "model.revision") for k in keys) and "model.commit" not in keys:
        if isinstance(data.get("model"), dict):
            data["model"].pop("commit", None)  # a new model or revision: follow it, not the old pin
    if opts.launch is not None:
        launch = data.get("launch")
        data["launch"] = {**(launch if isinstance(launch, dict) else {}), "mode": opts.launch}
    if opts.primus_root is not None:
        target = data.get("target")
        data["target"] = {**(target if isinstance(target, dict) else {}),
                          "primus_root": str(Path(opts.primus_root).expanduser().resolve())}
    answers, problems = schema.parse_answers(data, Path(opts.answers).resolve().parent)
    state = WizardState.from_answers(answers, [*set_problems, *problems], fetch=fetch)
    return state, set_problems


def run_headless(opts: HeadlessOptions, out: IO[str] | None = None, err: IO[str] | None = None,
                 fetch: Callable | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    report = Report(answers=str(opts.answers), pretend=opts.pretend)
    try:
        _run(opts, report, out, err, fetch)
    except _Stop as stop:
        report.exit_status = stop.code
    except Exception as exc:
        from primus_tui import errors as user_errors

        if not isinstance(exc, user_errors.UserError):
            raise
        _error(report, err, user_errors.one_line(exc), getattr(exc, "exit_code", EXIT_BAD_ANSWERS))
    if opts.json:
        out.write(report.to_json())
    return report.exit_status


def _error(report: Report, err: IO[str], message: str, code: int, path: str = "") -> None:
    print(f"primus-tui: error: {message}", file=err)
    report.errors.append({"path": path, "message": message})
    report.exit_status = max(report.exit_status, code) if report.exit_status else code


def _warn(report: Report, err: IO[str], message: str) -> None:
    print(f"primus-tui: warning: {message}", file=err)
    report.warnings.append(message)


def _run(opts: HeadlessOptions, report: Report, out: IO[str], err: IO[str], fetch: Callable | None) -> None:
    text = not opts.json
    state, _ = load_state(opts, fetch)
    report.target = str(state.root) if state.root else state.answers.target.primus_root
    report.model = state.answers.model.ref
    report.name, report.base = state.name, state.base
    report.launch["mode"] = state.answers.launch.mode

    # an interrupted write of a killed run is rolled back before the plan looks at the disk
    notes = [pending_note(state)] if opts.pretend else recover_state(state)
    for note in filter(None, notes):
        _warn(report, err, note)

    verdict = assess(state)
    if verdict.resolution is not None:
        _report_resolution(state, verdict.resolution, report)
    for p in verdict.warnings:
        _warn(report, err, f"{opts.answers}: {p}")
    if verdict.errors or verdict.plan is None:
        for p in verdict.errors:
            _error(report, err, f"{opts.answers}: {p}", EXIT_BAD_ANSWERS, p.path)
        _finish(state, verdict.plan, report, out, text)
        raise _Stop(EXIT_BAD_ANSWERS)

    plan = verdict.plan
    report.files = [f.to_dict() for f in plan.files]
    count = state.param_count()
    if count is not None:
        report.param_count = {k: v for k, v in count.__dict__.items()}
    report.pinned_overrides = state.pinned()
    accepted = state.mapping.accepted if state.mapping is not None else []
    report.accepted_divergences = [dataclasses.asdict(d) for d in accepted]

    checkpoint = verdict.checkpoint
    if checkpoint is not None:
        report.checkpoint = {"path": str(checkpoint.path), "load": str(checkpoint.rel), "action": checkpoint.action,
                             "size_bytes": checkpoint.size_bytes, "converted": False}
    if text:
        print(f"{state.model_source()} -> {state.name} (extends {state.base}) in {state.root}", file=out)
        out.write(plan.render())
        if checkpoint is not None:
            out.write(checkpoint.render())
        if count is not None:
            print(f"parameters: {count.total:,}", file=out)
        for d in accepted:
            print(f"accepted divergence {d.key}: {d.summary()}", file=out)

    if opts.save_answers is not None:
        path = Path(opts.save_answers)
        write_files_atomic([(path.resolve(), state.to_answers_yaml())])
        report.saved_answers = str(path)
        if text:
            print(f"answers saved: {path}", file=out)

    if opts.pretend:
        _print_resolved(state, verdict.resolution, report, out, text)
        report.files = [f.to_dict(written=False) for f in plan.files]
        _finish(state, plan, report, out, text)
        return

    if checkpoint is not None and checkpoint.needs_force and not opts.force:  # refused before anything is written
        _error(report, err, f"{checkpoint.rel}: {checkpoint.reason}; pass --force to replace it with the converted "
                            "weights (or set experiment.init.checkpoint)", EXIT_REFUSED, "experiment.init.checkpoint")
        _finish(state, plan, report, out, text)
        raise _Stop(EXIT_REFUSED)
    try:
        outcome = write_then_verify(state, plan, force=opts.force)  # `overwrite: force` needs --force too
    except (WriteRefused, WriteFailed) as exc:
        _error(report, err, str(exc), exc.exit_code)
        _finish(state, plan, report, out, text)
        raise _Stop(exc.exit_code) from None
    written = outcome.files
    written_paths = {f.display for f in written}
    state = state.with_written(written_paths)
    report.files = [f.to_dict(written=f.display in written_paths) for f in plan.files]
    report.backups = {name: str(path) for name, path in outcome.written.backups}
    if text:
        for f in written:
            print(f"wrote {f.display}", file=out)
        for line in outcome.backup_lines():
            print(line, file=out)
    if outcome.resolution is None:
        _error(report, err, f"{state.experiment_rel}: the written files do not resolve: {outcome.error}",
               EXIT_BAD_ANSWERS)
        _finish(state, plan, report, out, text, reread=True)
        raise _Stop(EXIT_BAD_ANSWERS)

    resolution = outcome.resolution
    _report_resolution(state, resolution, report)
    for p in resolution_problems(state, resolution):
        if p.blocks:
            _error(report, err, f"{opts.answers}: {p}", EXIT_BAD_ANSWERS, p.path)
    _print_resolved(state, resolution, report, out, text)
    if resolution.mismatches:
        _finish(state, plan, report, out, text, reread=True)
        raise _Stop(EXIT_BAD_ANSWERS)

    if checkpoint is not None and checkpoint.action != "reuse":
        _convert(state, checkpoint, report, err)
        if report.exit_status != EXIT_OK:
            _finish(state, plan, report, out, text, reread=True)
            raise _Stop(report.exit_status)
        if text:
            print(f"converted the HF weights into {checkpoint.rel}/", file=out)

    command = state.launch_command()
    if command is not None:
        report.launch["command"] = command
        mode = state.answers.launch.mode
        extra_env = _memory_guard(state, mode, report, err) if mode == "run" else {}
        if extra_env is None:
            _finish(state, plan, report, out, text, reread=True)
            raise _Stop(EXIT_LAUNCH_FAILED)
        if text:
            print("$ " + " ".join(command), file=out, flush=True)
        try:
            result = _launch(command, state.root, out if text else err, extra_env)
        except LaunchFailed as exc:
            _error(report, err, str(exc), exc.exit_code)
            state = state.with_run_result(mode, 127, command)
            _finish(state, plan, report, out, text, reread=True)
            raise _Stop(exc.exit_code) from None
        code = result.exit_code
        report.launch["exit_code"] = code
        state = state.with_run_result(mode, code, command)
        if result.cancelled:
            print(f"primus-tui: primus-cli {mode} {result.summary}", file=err, flush=True)
            _finish(state, plan, report, out, text, reread=True)
            raise _Stop(code)
        if code != 0:
            _error(report, err, f"primus-cli {mode} failed (exit {code})", EXIT_LAUNCH_FAILED)
            _finish(state, plan, report, out, text, reread=True)
            raise _Stop(EXIT_LAUNCH_FAILED)
    _finish(state, plan, report, out, text, reread=True)


def _report_resolution(state: WizardState, res, report: Report) -> None:
    arch = state.expected_architecture()
    report.architecture = {k: res.values.get(k) for k in arch}
    report.architecture_checked = not res.mismatches
    report.dead_keys = [r.to_dict() for r in res.dead_keys]


def _print_resolved(state: WizardState, res, report: Report, out: IO[str], text: bool) -> None:
    if not text or res is None:
        return
    ours = [str(p) for p in (state.model_rel, state.experiment_rel) if p is not None]
    inherited = sum(1 for r in res.dead_keys
                    if not (r.source is not None and any(str(r.source.file or "").endswith(o) for o in ours)))
    if inherited:
        print(f"note: {inherited} keys inherited from Primus presets are not read by Megatron for this model "
              f"(listed by `primus-tui resolve --liveness {state.experiment_rel}`)", file=out)
    if not res.mismatches:
        where = "planned files (not written)" if res.staged else "written files"
        print(f"resolved: the {where} give the asked architecture ({len(state.expected_architecture())} keys checked)",
              file=out)


def _finish(state: WizardState, plan, report: Report, out: IO[str], text: bool, reread: bool = False) -> None:
    if reread:
        try:
            plan = state.plan()
        except WizardError:
            pass
    items = build_checklist(state, plan)
    report.checklist = [c.to_dict() for c in items]
    if text:
        print("checklist:", file=out)
        for item in items:
            print("  " + item.render(), file=out)


def _memory_guard(state: WizardState, mode: str, report: Report, err: IO[str]) -> dict[str, str] | None:
    """Refuse a run that will not fit this machine's memory unless `launch.allow_over_memory: true`.
    Returns the extra environment for primus-cli (its own guard then launches), None when refused."""
    from primus_tui.launch.memcheck import check_experiment
    from primus_tui.plan.guard import ALLOW_ENV

    launch = state.answers.launch
    verdict = check_experiment(state.root / state.experiment_rel, state.root, launch.overrides,
                               env={**os.environ, **launch.env}, single=launch.single, gpu=launch.gpu)
    report.launch["memory"] = {"fits": verdict.fits, "checked": verdict.checked, "message": verdict.message,
                               "need_bytes": verdict.need_bytes, "available_bytes": verdict.available_bytes,
                               "change": verdict.change}
    if not verdict.blocks:
        return {}
    if launch.allow_over_memory:
        _warn(report, err, f"{verdict.message}; launching anyway (launch.allow_over_memory: true)")
        return {ALLOW_ENV: "1"}
    _error(report, err, f"{verdict.message}; not launched (set launch.allow_over_memory: true to launch anyway)",
           EXIT_LAUNCH_FAILED, "launch.allow_over_memory")
    return None


def _convert(state: WizardState, checkpoint, report: Report, err: IO[str]) -> None:
    """`primus-tui convert` into the planned folder, its progress on stderr; a failure is reported."""
    from primus_tui.launch.runner import run_foreground

    def on_lines(lines: list[str]) -> None:
        shown = [line for line in lines if not line.startswith(CHILD_ERROR)]  # said once, by conversion_failed
        if shown:
            err.write("\n".join(shown) + "\n")
            err.flush()

    result = run_foreground(conversion_run(state, checkpoint, on_lines))
    if result.ok:
        report.checkpoint["converted"] = True
        return
    code = result.exit_code if result.cancelled else EXIT_LAUNCH_FAILED
    _error(report, err, conversion_failed(checkpoint, result), code, "experiment.init")


def _launch(command: list[str], cwd: Path, sink: IO[str], extra_env: dict[str, str]):
    """Run `primus-cli` through the one runner, streaming its output; Ctrl-C / SIGTERM / SIGHUP stop
    its whole process group (what they provoke stays out of the output)."""
    from primus_tui.launch.runner import GroupRun, run_foreground

    def on_lines(lines: list[str]) -> None:
        sink.write("\n".join(lines) + "\n")
        sink.flush()

    result = run_foreground(GroupRun(command, cwd=cwd, env={**os.environ, **extra_env}, on_lines=on_lines))
    if result.error:
        raise LaunchFailed(result.error)
    return result
