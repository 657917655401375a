"""A progress bar over a listing (tqdm, the ``[progress]`` extra), imported only when asked for.

``tqdm.auto`` draws a widget in Jupyter and text in a terminal. The counter is runs;
the pages fetched so far are shown beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from ._models import ProcessorRunsPage

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

    def update(self, page: ProcessorRunsPage, used: Optional[int] = None) -> None:
        """Count a fetched page, or only its first ``used`` runs (the rest past a limit)."""
        self._pages += 1
        self._bar.set_postfix(pages=self._pages, refresh=False)
        runs = len(page.processor_runs)
        self._bar.update(runs if used is None else min(runs, used))

    def close(self) -> None:
        self._bar.close()
