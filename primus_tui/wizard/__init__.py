"""Wizard core: answers -> checks -> file plan -> atomic writes -> resolve check -> launch.

Pure (no Textual, torch or megatron). The headless mode (`primus-tui --answers F`) and the
Textual app drive the same immutable `WizardState`, so the same answers always give the same
bytes on disk. One UI step maps to one call; each returns a new state:

    s = WizardState.new(primus_root=None)             # or WizardState.from_dict(yaml_data)
    s = s.with_model("TinyLlama/TinyLlama-1.1B-Chat-v1.0", revision=None)  # fetches (run in a worker)
    s = s.with_hf(hf_config)                          # ...or hand over a config fetched elsewhere
    s.bases                                           # ranked BaseCandidate list (hf.rank_bases)
    s = s.with_base("language_model.yaml")            # None: best-ranked
    s = s.with_name("tinyllama_1.1B")                 # None: from the repo name
    s = s.set_field("num_layers", 4)                  # any Megatron key on top of the HF values
    s = s.set_override("train_iters", 100)            # experiment overrides (any Megatron key)
    s = s.with_experiment(file="x-pretrain.yaml")     # work_group, user_name, exp_name, workspace...
    s = s.with_target("/path/to/Primus")              # None: the bundled tree
    s = s.with_launch("dry-run", single=True)         # none | dry-run | run, env, log_file, overrides
    s = s.set_answer("experiment.overrides.lr", 3e-4) # any dotted answers path (what --set does)

    check_state(s)        # (wizard.checks) every Problem(path, message, severity, source) of the answers
    s.fields()            # the architecture asked for;  s.field_source(key) -> "HF num_hidden_layers"...
    s.param_count()       # hf.ParamCount of that architecture (or None)
    s.model_yaml()        # primus/configs/models/megatron/<name>.yaml text
    s.experiment_yaml()   # examples/megatron/configs/MI300X/<name>-pretrain.yaml text
    s.plan()              # Plan: create / modify (PlannedFile.diff) / unchanged per file
    preview(s)            # (wizard.verdict) Resolution of the planned files (staged, nothing written): values,
                          # sources, shadowed, extends chain, mismatches against the answers
    execute(s.plan(), force=False)  # one file transaction (primus_tui.files) -> Written(files, backups);
                          # WriteRefused (exit 4) for a differing file, WriteConflict (4) if the disk changed
    write_then_verify(s, plan, force=False)  # (wizard.writeflow) execute + verify: what headless and the TUI call
    verify(s)             # (wizard.verdict) Resolution of the written files
    assess(s)             # Verdict: every problem (resolution included), the plan, the resolution
    s.launch_command()    # primus-cli argv for launch.mode (None for none); s.command_for("run")
    s = s.with_run_result("run", exit_code)
    build_checklist(s)    # (wizard.checklist) the seed's four steps: ChecklistItem(step, title, done, reason)
    s.to_answers_yaml()   # complete answers (defaults, HF values, pinned revision) for replay

Validation of single values for form fields: `primus_tui.hf.FIELD_VALIDATORS` and
`schema.type_problem`; cross-field checks run in `problems()`.
"""

from primus_tui.lazy import lazy_exports

# PEP 562: a name loads its module when first used, so `primus_tui.wizard.problems` (what the app's
# first screen needs) does not pull the whole core (config engine, registry, YAML) before the first frame.
_EXPORTS = {"load_answers_file": "answersfile", "render_answers": "answersfile", "ChecklistItem": "checklist",
            "LaunchFailed": "errors", "WizardError": "errors", "WriteFailed": "errors", "WriteRefused": "errors",
            "Plan": "plan", "PlannedFile": "plan", "execute": "plan", "Problem": "problems",
            "Answers": "schema", "parse_answers": "schema", "RunOutcome": "state", "WizardState": "state"}

__all__, __getattr__ = lazy_exports(__name__, _EXPORTS)
