"""The one error type of the HF import: printed as a single line by every front end."""

from __future__ import annotations

from primus_tui.errors import UsageError, register_user_error


class HFError(UsageError):
    """A bad model reference, an unreachable or malformed config, or an unmappable model (exit 2).

    Subclasses UsageError so every front end that already reports UsageError as one line also
    reports this one, whether or not it imported primus_tui.hf before binding its error tuple.
    """

    exit_code = 2


register_user_error(HFError)
