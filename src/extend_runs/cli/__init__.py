"""The ``extend-runs`` command: list and export processor runs from a terminal.

It needs the ``[cli]`` extra (click and rich), which ``import extend_runs`` never
loads::

    pip install 'extend-runs[cli]'
    extend-runs demo                      # no account needed
    extend-runs list --status FAILED --format csv --output failed.csv

:func:`main` is the console script; ``python -m extend_runs.cli`` runs it too.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Optional

__all__ = ["INSTALL_HINT", "main"]

INSTALL_HINT = "pip install 'extend-runs[cli]'"
"""The command that installs what the command line needs."""


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the ``extend-runs`` command with ``argv`` (default: ``sys.argv[1:]``) and exit.

    Without click or rich installed it prints one line naming the install command and
    exits with status 1.
    """
    try:
        import click  # noqa: F401
        import rich  # noqa: F401
    except ImportError as error:
        missing = error.name or "click or rich"
        sys.stderr.write(
            f"extend-runs: the command line needs the [cli] extra ({missing} is not "
            f"installed); install it with: {INSTALL_HINT}\n"
        )
        raise SystemExit(1) from None

    from ._app import cli

    cli.main(args=list(argv) if argv is not None else None, prog_name="extend-runs")
