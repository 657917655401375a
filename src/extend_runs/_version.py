__version__ = "0.1.0"
"""The installed version of extend-runs, also sent in the ``User-Agent`` header.

Example:
    >>> import extend_runs
    >>> print("extend-runs", extend_runs.__version__)  # doctest: +ELLIPSIS
    extend-runs ...
"""
