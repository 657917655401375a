"""``python -m extend_runs.cli``: the same as the ``extend-runs`` command."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    main()
