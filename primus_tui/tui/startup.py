"""Start-up GC pause: no cyclic-GC passes while Textual and the first screen are built.

~15 ms of a ~0.29 s first frame on the 2-core VM; nothing cyclic worth collecting is made before
it. `primus_tui.tui.app` imports this first; the wizard screen calls `startup_done()` once its
first frame is on screen, and `run_app` too. Its own module, so the screen need not import the app.
"""

from __future__ import annotations

import gc

_GC_WAS_ENABLED = gc.isenabled()
gc.disable()


def startup_done() -> None:
    """Give the cyclic GC back (idempotent)."""
    if _GC_WAS_ENABLED and not gc.isenabled():
        gc.enable()
