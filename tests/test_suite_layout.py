"""Rules for the test suite itself: shared builders come from helpers modules, never a conftest.

pytest loads every conftest.py as a plugin; importing one from a test module loads it a
second time under another name, so its fixtures and hooks exist twice. Builders, constants
and classes the tests share live in tests/helpers.py (or a package's helpers.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _conftest_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if "conftest" in name.split("."):
                found.append((node.lineno, name))
                break
    return found


def test_no_test_module_imports_from_a_conftest() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for lineno, name in _conftest_imports(tree):
            found.append(f"{path.relative_to(TESTS.parent)}:{lineno} imports {name}")
    assert not found, "import shared test code from a helpers module:\n" + "\n".join(found)


def test_the_rule_sees_every_way_of_importing_a_conftest() -> None:
    sources = [
        "from tests.conftest import login",
        "from .conftest import Clock",
        "from ..conftest import PASSWORD",
        "from . import conftest",
        "import tests.conftest",
        "from tests.api.conftest import call",
    ]
    for source in sources:
        assert _conftest_imports(ast.parse(source)), source
    assert not _conftest_imports(ast.parse("from tests.helpers import login\nimport conftests"))
