"""Dev tool: resolve an experiment with Primus's OWN parser, for golden files.

Usage: PRIMUS_SRC=/path/to/Primus python tools/primus_reference.py EXP.yaml [module]
       PRIMUS_SRC=/path/to/Primus python tools/primus_reference.py --batch CASES.json

Prints the merged module config as JSON, exactly as `PrimusParser.parse` leaves it.
`--batch` reads a JSON list of {"exp": path, "module": name, "cli": [tokens]} and prints a JSON
list of {"values": {...}} or {"error": "Type: message"}; CLI tokens are applied as Primus's train
runtime does (`parse_cli_overrides` "modern" mode, `deep_merge` into the module config, then
`dict_to_nested_namespace` of the result, which fails on a non-string key).
Presets are read from PRIMUS_SRC's own primus/configs (Primus resolves them relative to
its installed package), so run it on experiments whose presets exist there.

Two patches, neither changing a result: Primus's `_load_yaml` (read + SafeLoader parse, a pure
function of the file's text) is memoized on (path, text), so a batch parses each preset once;
and `PrimusConfig` no longer creates `<workspace>/<group>/<user>/<exp>` folders (the path is
still built with os.path.join, so a non-string part still fails as in Primus).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys


def main() -> int:
    src = os.environ.get("PRIMUS_SRC")
    if not src:
        print("set PRIMUS_SRC to a Primus checkout", file=sys.stderr)
        return 2
    sys.path.insert(0, src)
    from primus.core.launcher.parser import PrimusParser  # noqa: PLC0415 - Primus is optional
    from primus.core.utils.yaml_utils import dict_to_nested_namespace, nested_namespace_to_dict

    _patch_primus()

    def resolve(exp: str, module: str, cli: list[str]) -> dict:
        with contextlib.redirect_stdout(io.StringIO()):  # Primus prints "Created path: ..."
            cfg = PrimusParser().parse(argparse.Namespace(config=os.path.abspath(exp)))
        values = nested_namespace_to_dict(cfg.get_module_config(module))
        if cli:
            from primus.core.config.merge_utils import deep_merge
            from primus.core.utils.arg_utils import parse_cli_overrides

            with contextlib.redirect_stdout(io.StringIO()):  # "[Primus] Warning: Skipping ..."
                values = deep_merge(values, parse_cli_overrides(cli))
            dict_to_nested_namespace(values)  # the runtime turns the merged params back into namespaces
        return values

    if sys.argv[1] == "--batch":
        with open(sys.argv[2]) as f:
            cases = json.load(f)
        results = []
        for case in cases:
            try:
                results.append({"values": resolve(case["exp"], case.get("module", "pre_trainer"), case.get("cli", []))})
            except Exception as exc:  # noqa: BLE001 - reported per case
                results.append({"error": f"{type(exc).__name__}: {exc}"})
        print(json.dumps(results))
        return 0
    module = sys.argv[2] if len(sys.argv) > 2 else "pre_trainer"
    print(json.dumps(resolve(sys.argv[1], module, []), indent=1))
    return 0


def _patch_primus() -> None:
    import copy

    import yaml
    from primus.core.config import yaml_loader
    from primus.core.utils import file_utils

    parsed: dict = {}

    def load_yaml(path: str):
        with open(path, "r") as f:  # as Primus opens it (locale encoding, universal newlines)
            text = f.read()
        key = (os.path.abspath(path), text)
        if key not in parsed:
            parsed[key] = yaml.load(text, Loader=yaml.SafeLoader)
        return copy.deepcopy(parsed[key])

    yaml_loader._load_yaml = load_yaml
    file_utils.create_path_if_not_exists = lambda path: None


if __name__ == "__main__":
    raise SystemExit(main())
