"""The example notebook runs end to end, and is committed without outputs."""

from __future__ import annotations

import json
from pathlib import Path

import nbclient
import nbformat

NOTEBOOK = Path(__file__).parents[2] / "examples" / "notebook.ipynb"


def test_committed_notebook_has_no_outputs() -> None:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code
    dirty = [i for i, cell in enumerate(code) if cell["outputs"] or cell["execution_count"]]
    assert dirty == [], f"code cells {dirty} carry outputs: clear them before committing"


def test_notebook_executes_end_to_end() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out["output_type"] == "error"]
    rich = [out.get("data", {}) for out in outputs]
    # The pager showed itself as HTML, the chart was drawn, the frame was displayed.
    assert any("not fetched yet" in data.get("text/html", "") for data in rich)
    assert any("image/png" in data for data in rich)
    assert any('class="dataframe"' in data.get("text/html", "") for data in rich)
