"""Pure file transactions for everything primus-tui writes into a user's tree (no Textual, no torch).

Why a package of its own: both `hf` (import --write) and `wizard` (the plan) write through it, and
it must sit below both.
"""

from primus_tui.files.errors import FileConflict, FileWriteError
from primus_tui.files.fsops import STATE_DIR, sweep, write_temp
from primus_tui.files.journal import pending, recover
from primus_tui.files.transaction import Applied, Change, apply

__all__ = ["STATE_DIR", "Applied", "Change", "FileConflict", "FileWriteError", "apply", "pending", "recover",
           "sweep", "write_temp"]
