"""`python -m primus_tui.trainer train pretrain --config EXP.yaml [overrides]` (what primus-cli launches)."""

import sys

from primus_tui.trainer.main import main

sys.exit(main())
