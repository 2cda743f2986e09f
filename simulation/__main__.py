"""``python -m simulation``: the command line in :mod:`simulation.cli`."""

from .cli import main

if __name__ == "__main__":  # spawned worker processes import this module too; they must not run the CLI
    raise SystemExit(main())
