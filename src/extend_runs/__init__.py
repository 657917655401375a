"""extend-runs: a typed Python client for Extend's List Processor Runs API."""

from ._version import __version__

__all__ = ["__version__"]
