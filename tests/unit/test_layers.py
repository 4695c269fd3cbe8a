"""The layering of DESIGN.md §2, checked on the source: channels translate and never touch
the database; the domain imports nothing of the project but itself; no module keeps
state in a module-level dictionary."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "bot"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_channels_import_no_database() -> None:
    for path in (PACKAGE / "channels").glob("*.py"):
        for name in _imports(path):
            assert not name.startswith(("sqlalchemy", "bot.db")), f"{path.name} imports {name}"


def test_domain_imports_only_itself() -> None:
    for path in (PACKAGE / "domain").glob("*.py"):
        for name in _imports(path):
            assert not name.startswith("bot.") or name.startswith("bot.domain"), f"{path.name} imports {name}"


def test_no_module_level_dictionaries_as_caches() -> None:
    """State lives in the runtime's cache (bot/db/cache.py), not in module globals."""
    for layer in ("services", "chat", "channels", "db"):
        for path in (PACKAGE / layer).glob("*.py"):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.AnnAssign | ast.Assign):
                    value = node.value
                    empty = isinstance(value, ast.Dict) and not value.keys
                    assert not empty, f"{path.name}:{node.lineno} keeps a module-level dictionary"
