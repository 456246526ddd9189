"""Start the wizard headless (100x30); at its first rendered update print `FRAME` and every loaded module, then quit.

One probe for two readers: `bench_tui.py` times the spawn to that line, and
`tests/test_import_hygiene.py` checks which modules the first frame waited for.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's primus_tui

from primus_tui.tui.app import make_app  # noqa: E402

app = make_app()
display = app._display


def first_frame(screen, update):
    # The wizard's first full-screen update, rendered to terminal bytes: what a user first sees.
    if update is not None and type(screen).__name__ == "WizardScreen" and not getattr(app, "_seen", False):
        app._seen = True
        update.render_segments(app.console)
        print("FRAME", " ".join(sorted(sys.modules)), flush=True)
        app.exit()
    return display(screen, update)


app._display = first_frame
app.run(headless=True, size=(100, 30))
