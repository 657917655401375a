"""A griffe extension for the API reference: render our docstrings' conventions.

- ``Example:`` sections are read as Google-style ``Examples:``, so their ``>>>`` lines
  render as code instead of as Markdown quotes.
- Sphinx roles such as ``:class:`httpx.Client``` render as inline code.

Only the text given to the docs changes; the source is untouched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE_HEADING = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)
_ROLE = re.compile(r":(?:class|meth|func|data|attr|mod|exc|obj):`~?([^`]+)`")


def rewrite(text: str) -> str:
    """The docstring text with our conventions turned into what the renderer expects."""
    text = _EXAMPLE_HEADING.sub(r"\1Examples:", text)
    return _ROLE.sub(r"`\1`", text)


class DocstringMarkup(griffe.Extension):
    """Rewrite each docstring as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
