"""The docs say what the code does: settings tables, dtypes and example scripts."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from extend_runs import Client

ROOT = Path(__file__).resolve().parents[2]


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_the_readme_configuration_table_lists_every_client_argument() -> None:
    table = read("README.md").split("## Configuration", 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    assert listed == set(inspect.signature(Client).parameters)


def test_configuration_md_names_everything_with_options_takes() -> None:
    text = read("docs/configuration.md")
    sentence = text.split("`with_options(...)` returns a client", 1)[1].split(".", 1)[0]
    for name in inspect.signature(Client.with_options).parameters:
        if name != "self":
            assert f"`{name}`" in sentence, name


def test_the_id_dtype_shown_is_what_the_installed_pandas_gives() -> None:
    pd = pytest.importorskip("pandas")
    from extend_runs import ProcessorRunsPage

    run = {
        "id": "dpr_1",
        "status": "FAILED",
        "processorId": "dp_1",
        "processorName": "Invoices",
        "processorVersionId": "dpv_1",
        "createdAt": "2025-11-17T22:41:05Z",
        "updatedAt": "2025-11-17T22:41:39Z",
    }
    frame = ProcessorRunsPage.model_validate({"success": True, "processorRuns": [run]}).to_pandas()
    major = int(pd.__version__.split(".")[0])
    row = next(
        line for line in read("docs/notebooks.md").splitlines() if line.startswith("| `id` |")
    )
    assert f"`{frame['id'].dtype}` on pandas {major}" in row


def test_examples_md_names_and_shows_every_script_without_the_site() -> None:
    text = read("docs/examples.md")
    for script in sorted((ROOT / "examples").glob("*.py")):
        assert f"The script: `examples/{script.name}`. Its key lines:\n" in text, script.name
    shown = re.findall(r"Its key lines:\n\n<!--[^\n]*-->\n```python\n", text)
    assert len(shown) == len(list((ROOT / "examples").glob("*.py")))


def test_examples_md_names_the_extras_each_script_needs() -> None:
    text = read("docs/examples.md")
    extras = {
        "pandas": r"\.to_pandas\(|^import pandas",
        "cli": r"extend_runs\.cli|\"extend-runs\"",
        "testing": r"extend_runs\.testing",
    }
    for script in sorted((ROOT / "examples").glob("*.py")):
        section = text.split(f"`examples/{script.name}`. Its key lines:", 1)[0].rsplit("## ", 1)[1]
        (needs,) = re.findall(r"^Needs: .*$", section, re.MULTILINE)
        code = script.read_text(encoding="utf-8")
        used = {
            extra for extra, pattern in extras.items() if re.search(pattern, code, re.MULTILINE)
        }
        named = set(re.findall(r"`\[(\w+)\]` extra", needs))
        assert named == used, (script.name, needs, used)
        assert named or needs == "Needs: extend-runs alone.", script.name
    assert "pip install 'extend-runs[testing]'" in text.split("```bash", 1)[0]


def test_reliability_md_names_the_upstream_pool_issue() -> None:
    text = read("docs/reliability.md")
    assert "httpcore 1.0.9" in text
    assert "https://github.com/encode/httpcore/issues/1093" in text
