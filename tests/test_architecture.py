"""The import rule: the domain packages' rules import no delivery layer.

The modules of accounts, ideas and triage other than their views and forms (models, services,
queries, permissions, ranking, search, notifications, …) announce what happened with
`ideaboard.events.publish`; they never import the API, the social networks, the webhooks, the
outbox or e-mail — not at the top, not lazily inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_PACKAGES = ("accounts", "ideas", "triage")
EDGE_MODULES = {"views.py", "forms.py"}  # the web edge of a package may use any layer
DELIVERY_LAYERS = (
    "ideaboard.api",
    "ideaboard.social",
    "ideaboard.webhooks",
    "ideaboard.outbox",
    "ideaboard.mail",
)


def domain_modules() -> list[Path]:
    """Return the rule modules of the domain packages."""
    return sorted(
        path
        for package in DOMAIN_PACKAGES
        for path in (ROOT / "ideaboard" / package).glob("*.py")
        if path.name not in EDGE_MODULES
    )


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(module: str, source: str, *, is_package: bool = False) -> list[tuple[int, str]]:
    """Return (line, absolute dotted name) for every import anywhere in source."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):  # every node: function bodies included
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base_parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append((node.lineno, base))
            # `from .. import api` imports the package ideaboard.api.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def delivery_imports(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """Return 'module:line imports name' for each import of a delivery layer."""
    return sorted(
        {
            f"{module}:{line} imports {name}"
            for line, name in imported_names(module, source, is_package=is_package)
            if any(name == layer or name.startswith(layer + ".") for layer in DELIVERY_LAYERS)
        }
    )


def test_the_rule_covers_the_domain_modules() -> None:
    names = {module_name(path) for path in domain_modules()}
    assert {
        "ideaboard.ideas.services",
        "ideaboard.ideas.models",
        "ideaboard.ideas.queries",
        "ideaboard.triage.services",
        "ideaboard.accounts.services",
    } <= names
    assert "ideaboard.ideas.views" not in names
    assert "ideaboard.accounts.forms" not in names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from ..api.webhooks import enqueue_event", "ideaboard.api.webhooks"),
        ("def f():\n    from ..social.models import OutboxMessage\n", "ideaboard.social.models"),
        ("from .. import outbox", "ideaboard.outbox"),
        ("import ideaboard.webhooks.enqueue", "ideaboard.webhooks.enqueue"),
        ("from ideaboard.api import services", "ideaboard.api"),
    ],
)
def test_the_check_finds_every_kind_of_import(source: str, expected: str) -> None:
    found = delivery_imports("ideaboard.ideas.services", source)
    assert found, source
    assert any(entry.endswith(f"imports {expected}") for entry in found), found


def test_the_check_leaves_allowed_imports_alone() -> None:
    source = (
        "from ..events import publish\nfrom .models import Idea\n"
        "from ..apiary import x\nimport ideaboard.socialist\n"
    )
    assert delivery_imports("ideaboard.ideas.services", source) == []


def test_domain_packages_import_no_delivery_layer() -> None:
    offences: list[str] = []
    for path in domain_modules():
        offences += delivery_imports(
            module_name(path), path.read_text("utf-8"), is_package=path.name == "__init__.py"
        )
    assert offences == [], "domain modules import a delivery layer:\n" + "\n".join(offences)
