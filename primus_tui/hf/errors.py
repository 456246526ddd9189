"""The one error type of the HF import: printed as a single line by every front end."""

from __future__ import annotations

from primus_tui.errors import register_user_error


class HFError(Exception):
    """A bad model reference, an unreachable or malformed config, or an unmappable model (exit 2)."""

    exit_code = 2


register_user_error(HFError)
