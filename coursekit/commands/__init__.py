"""One module per ``coursekit`` subcommand; see coursekit/cli.py."""
