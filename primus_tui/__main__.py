from primus_tui.cli import main

raise SystemExit(main())
