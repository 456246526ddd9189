"""The planner's one error type: bad cluster or batch input, printed as one line (exit 2)."""

from __future__ import annotations

from primus_tui.errors import UsageError, register_user_error


class PlanError(UsageError):
    """Unknown GPU kind, zero nodes, a model shape the planner cannot size, ..."""

    exit_code = 2


register_user_error(PlanError)
