"""Thin Textual adapters over the core's plain `(value) -> (ok, message)` rules (harlequin's pattern).

The rules themselves live in the core (`primus_tui.hf.FIELD_VALIDATORS`, the wizard's answer
checks) so the headless mode applies exactly the same ones.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.validation import ValidationResult, Validator

Rule = Callable[[object], tuple[bool, str]]


def parse_scalar(text: str) -> object:
    """What a YAML file would hold for this text (`2048` -> int, `1e-5` -> float, `true` -> bool)."""
    import yaml

    text = text.strip()
    if text == "":
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str) and _looks_float(value):
        return float(value)  # YAML 1.1 reads `1e-5` as a string; Megatron means a float
    return value


def _looks_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.lower() not in ("nan", "inf", "-inf", "+inf", "infinity")


class CoreValidator(Validator):
    """Run one core rule on the parsed value of an Input."""

    def __init__(self, rule: Rule, *, parse: Callable[[str], object] = parse_scalar, allow_blank: bool = False) -> None:
        super().__init__()
        self._rule = rule
        self._parse = parse
        self._allow_blank = allow_blank

    def validate(self, value: str) -> ValidationResult:
        blank = not value.strip()
        if self._allow_blank and blank:
            return self.success()
        try:
            ok, message = self._rule(self._parse(value))
        except Exception as exc:  # noqa: BLE001 - a rule must never crash the form
            return self.failure(f"{type(exc).__name__}: {exc}")
        if ok:
            return self.success()
        message = message or "invalid value"
        return self.failure(f"empty: {message}" if blank else message)
