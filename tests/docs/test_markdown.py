"""Every ```python block of the README and of docs/*.md runs, against a served fake.

The blocks of one file run in order in one namespace, as a reader would paste them. A
block preceded by an HTML comment starting with ``<!-- test: skip`` is not run (the
comment is invisible on the rendered page); see CONTRIBUTING.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from extend_runs.testing import FakeExtend

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^\n`]*)$")
_SKIP = re.compile(r"<!--\s*test:\s*skip\b")


@dataclass(frozen=True)
class CodeBlock:
    """One fenced code block of a Markdown file."""

    path: Path
    line: int
    """The line of the block's first line of code (1-based)."""
    language: str
    code: str
    skipped: bool


def code_blocks(path: Path) -> list[CodeBlock]:
    """The fenced code blocks of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent = len(opening["indent"])
        language = opening["info"].strip().split(" ")[0]
        previous = next((text for text in reversed(lines[:index]) if text.strip()), "")
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        code = "\n".join(text[indent:] for text in lines[index + 1 : end])
        blocks.append(
            CodeBlock(path, index + 2, language, code + "\n", bool(_SKIP.search(previous)))
        )
        index = end + 1
    return blocks


def run_blocks(blocks: list[CodeBlock]) -> dict[str, Any]:
    """Run the python blocks that are not skipped in one namespace; return it."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in blocks:
        if block.language != "python" or block.skipped:
            continue
        # Pad with blank lines so a traceback names the line in the Markdown file.
        source = "\n" * (block.line - 1) + block.code
        exec(compile(source, str(block.path), "exec"), namespace)
    return namespace


def test_finds_blocks_and_honours_skip_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n```python\nx = 1\n```\n\n<!-- test: skip (needs a real key) -->\n"
        "```python\nraise SystemExit\n```\n\n```bash\nexit 1\n```\n\n"
        "1. a list\n\n    ```python\n    y = x + 1\n    ```\n",
        encoding="utf-8",
    )
    blocks = code_blocks(page)
    assert [(b.language, b.line, b.skipped) for b in blocks] == [
        ("python", 4, False),
        ("python", 9, True),
        ("bash", 13, False),
        ("python", 19, False),
    ]
    assert run_blocks(blocks)["y"] == 2


def test_a_failing_block_reports_its_markdown_line(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("text\n\n```python\nok = True\nraise ValueError('boom')\n```\n")
    with pytest.raises(ValueError, match="boom") as caught:
        run_blocks(code_blocks(page))
    assert caught.traceback[-1].lineno + 1 == 5
    assert str(caught.traceback[-1].path) == str(page)


@pytest.fixture
def close_leftover_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close the sync HTTP clients that a page's snippets leave open, as a script's exit would."""
    created: list[httpx.Client] = []
    original = httpx.Client.__init__

    def record(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        created.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", record)
    yield
    for client in created:
        client.close()


@pytest.mark.integration
@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda path: path.name)
@pytest.mark.usefixtures("close_leftover_clients")
def test_markdown_code_runs(
    path: Path, docs_env: FakeExtend, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = code_blocks(path)
    run_blocks(blocks)
    runnable = [b for b in blocks if b.language == "python" and not b.skipped]
    code = "".join(b.code for b in runnable)
    if "Client(" in code and "FakeExtend(" not in code:  # pages with their own fake aside
        assert docs_env.requests, "the page's code sent nothing"
    capsys.readouterr()
