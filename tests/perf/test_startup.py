"""What ``import extend_runs`` and building a client load: nothing a first request can wait for."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import extend_runs
extend_runs.Client(api_key="sk_test")
extend_runs.AsyncClient(api_key="sk_test")
# (click and rich may be loaded: httpx imports its own command line when they are installed)
heavy = ("pydantic", "pydantic_core", "extend_runs._models", "pandas", "numpy", "tqdm")
print(",".join(name for name in heavy if name in sys.modules))
"""


def test_importing_and_building_clients_loads_neither_pydantic_nor_extras() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_the_models_load_on_first_use() -> None:
    script = (
        SCRIPT + "from extend_runs import ProcessorRunSummary\nprint(ProcessorRunSummary.__name__)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ProcessorRunSummary"]
