"""The ``recouvre-docs`` command's entry point: for ``build``, the build's helper processes are started
(early.start) before the command's modules are imported, then cli.entry runs as always."""

from __future__ import annotations

import sys


def _command(args: list[str]) -> str | None:
    """The subcommand named in ``args``: the first word that is not an option (the group's options,
    -v, -q, --version, --help, take no value)."""
    for arg in args:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def entry() -> None:
    try:
        if _command(sys.argv[1:]) == "build":
            from . import early

            early.start()
        from .cli import entry as run
    except KeyboardInterrupt:  # Ctrl-C while the modules are imported: as cli.entry says it afterwards
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
    run()


if __name__ == "__main__":
    entry()
