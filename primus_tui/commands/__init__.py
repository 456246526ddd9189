"""One module per `primus-tui` subcommand: `add_arguments(parser)` and `run(args) -> int`."""
