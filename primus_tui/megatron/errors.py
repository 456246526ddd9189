"""The one error type of the Megatron registry: printed as a single line by every front end."""

from __future__ import annotations

from primus_tui.errors import UsageError, register_user_error


class RegistryError(UsageError):
    """A missing or corrupt registry file, or a Primus checkout whose Megatron-LM cannot be read (exit 2)."""

    exit_code = 2


register_user_error(RegistryError)
