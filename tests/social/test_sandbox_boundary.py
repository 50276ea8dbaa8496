"""The sandboxes package and the product stay apart: checked on the source with `ast`.

`sandboxes/` imports nothing from `ideaboard`; `ideaboard/` imports `sandboxes` in one place
only, the function that mounts the sandboxes (ideaboard/__init__.py `_mount_sandbox`). No
database is involved, so this runs the same under --db sqlite and --db postgresql.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MOUNT = ("ideaboard/__init__.py", "_mount_sandbox")


def _imports(tree: ast.AST, module: str) -> Iterator[tuple[ast.AST, str]]:
    """Yield (node, absolute module name) for every import in the module named module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                parts = module.split(".")[: -node.level]
                yield node, ".".join([*parts, node.module or ""]).rstrip(".")
            else:
                yield node, node.module or ""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    # A package's __init__ resolves relative imports against the package itself.
    if parts[-1] == "__init__":
        parts[-1] = "_"
    return ".".join(parts)


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, str]:
    """Map every node inside a top-level function to that function's name."""
    owner: dict[ast.AST, str] = {}
    for top in getattr(tree, "body", []):
        if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(top):
                owner[node] = top.name
    return owner


def _offending(package: str, forbidden: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        owner = _enclosing_functions(tree)
        relative = path.relative_to(ROOT).as_posix()
        for node, name in _imports(tree, _module_name(path)):
            if name == forbidden or name.startswith(forbidden + "."):
                if (relative, owner.get(node)) == MOUNT:
                    continue
                found.append(f"{relative}:{getattr(node, 'lineno', '?')} imports {name}")
    return found


def test_sandboxes_import_nothing_from_ideaboard() -> None:
    assert list((ROOT / "sandboxes").rglob("*.py")), "the sandboxes package is missing"
    assert _offending("sandboxes", "ideaboard") == []


def test_ideaboard_imports_sandboxes_only_in_the_mount_function() -> None:
    assert _offending("ideaboard", "sandboxes") == []
    # …and the mount function does import it (so the rule above checks something real).
    tree = ast.parse((ROOT / MOUNT[0]).read_text(encoding="utf-8"))
    owner = _enclosing_functions(tree)
    mounted = [name for node, name in _imports(tree, "ideaboard._") if owner.get(node) == MOUNT[1]]
    assert {"sandboxes.x", "sandboxes.bluesky", "sandboxes.mastodon"} <= set(mounted)


def test_the_old_location_is_gone() -> None:
    assert not (ROOT / "ideaboard" / "social" / "sandbox").exists()
