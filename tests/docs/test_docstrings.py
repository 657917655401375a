"""The examples in docstrings run, and every public name has a docstring with one.

Docstring examples are doctests. They run with ``EXTEND_API_KEY`` and ``EXTEND_BASE_URL``
naming a fake server on loopback, so an example may write ``Client()`` and send requests.
Attribute docstrings (a string right after an assignment, which Python itself drops) are
found with :mod:`ast` and run too.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import extend_runs
from extend_runs.testing import FakeExtend


def _modules() -> list[str]:
    names = [extend_runs.__name__]
    for info in pkgutil.walk_packages(extend_runs.__path__, extend_runs.__name__ + "."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


MODULES = _modules()


def attribute_docstrings(module: ModuleType) -> dict[str, tuple[str, int]]:
    """``{qualified name: (docstring, line)}`` for the attribute docstrings of a module."""
    source_file = inspect.getsourcefile(module)
    if source_file is None:  # pragma: no cover - every module here has a source file
        return {}
    tree = ast.parse(Path(source_file).read_text(encoding="utf-8"))
    found: dict[str, tuple[str, int]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for statement, following in zip(body, body[1:]):
            if isinstance(statement, ast.ClassDef):
                visit(statement.body, f"{prefix}{statement.name}.")
            targets: list[ast.expr] = []
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, ast.AnnAssign):
                targets = [statement.target]
            names = [target.id for target in targets if isinstance(target, ast.Name)]
            if (
                names
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[prefix + names[0]] = (
                    inspect.cleandoc(following.value.value),
                    following.lineno,
                )
        if body and isinstance(body[-1], ast.ClassDef):
            visit(body[-1].body, f"{prefix}{body[-1].name}.")

    visit(tree.body, "")
    return found


def doctests(module: ModuleType) -> list[doctest.DocTest]:
    """The doctests of a module: its docstrings' and its attribute docstrings'."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, module.__name__)
    parser = doctest.DocTestParser()
    for name, (text, line) in attribute_docstrings(module).items():
        test = parser.get_doctest(
            text, dict(vars(module)), f"{module.__name__}.{name}", module.__file__, line
        )
        if test.examples:
            tests.append(test)
    return [test for test in tests if test.examples]


@pytest.mark.integration
@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name: str, docs_env: FakeExtend) -> None:
    module = importlib.import_module(module_name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures: list[str] = []
    for test in doctests(module):
        result = runner.run(test, out=failures.append)
        test.globs.clear()
        assert result.failed == 0, "\n".join(failures)


def _docstring(name: str, value: Any) -> str:
    if inspect.isclass(value) or inspect.isroutine(value):
        return inspect.getdoc(value) or ""
    for module_name in MODULES:
        found = attribute_docstrings(importlib.import_module(module_name)).get(name)
        if found is not None:
            return found[0]
    return ""


@pytest.mark.parametrize("name", extend_runs.__all__)
def test_every_public_name_has_a_docstring_with_an_example(name: str) -> None:
    docstring = _docstring(name, getattr(extend_runs, name))
    assert docstring, f"extend_runs.{name} has no docstring"
    assert ">>> " in docstring, f"the docstring of extend_runs.{name} has no example"


def test_attribute_docstrings_are_found() -> None:
    from extend_runs import _constants, _models

    assert attribute_docstrings(_constants)["MAX_PAGE_SIZE"][0].startswith("The largest")
    assert attribute_docstrings(_models)["ProcessorRunSummary.id"][0].startswith("The run's ID")
