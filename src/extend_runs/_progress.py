"""A progress bar over a listing (tqdm, the ``[progress]`` extra), imported only when asked for.

``tqdm.auto`` draws a widget in Jupyter and text in a terminal. The counter is runs;
the pages fetched so far are shown beside it.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["ProgressBar", "require_tqdm"]


def require_tqdm() -> None:
    """Raise an :class:`ImportError` naming the extra when tqdm is missing."""
    try:
        import tqdm.auto  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "progress=True needs tqdm, which is not installed: pip install 'extend-runs[progress]'"
        ) from error


class ProgressBar:
    """One bar for one pass over a listing; :meth:`close` it however the pass ends."""

    def __init__(self, total: Optional[int]) -> None:
        from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]

        self._pages = 0
        self._bar: Any = tqdm(total=total, desc="processor runs", unit=" runs")
        self._bar.set_postfix(pages=0, refresh=False)

    def update(self, runs: int) -> None:
        """Count a fetched page by the number of its runs that joined the listing."""
        self._pages += 1
        self._bar.set_postfix(pages=self._pages, refresh=False)
        self._bar.update(runs)

    def close(self) -> None:
        self._bar.close()
