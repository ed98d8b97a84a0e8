"""Dependencies point one way: app.py → copilot/ → tools/ → tools/freshservice/; sandbox/ stands alone.

Walks the AST of every module (imports inside functions included), so a lazy import cannot sneak
an arrow back in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules_under(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in modules_under(package):
        for module in imported_modules(path):
            if module.split(".")[0] in forbidden:
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    return bad


@pytest.mark.parametrize(("package", "forbidden"), [
    ("tools", ("copilot", "app", "sandbox")),
    ("sandbox", ("copilot", "tools", "app")),
    ("copilot", ("app", "sandbox")),
])
def test_dependencies_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    assert modules_under(package), f"no modules found under {package}/"
    assert offending(package, forbidden) == []


def test_the_freshservice_client_knows_nothing_of_the_tools() -> None:
    bad = [f"{path.relative_to(ROOT)} imports {module}"
           for path in modules_under("tools/freshservice") for module in imported_modules(path)
           if module.startswith("tools.") and not module.startswith("tools.freshservice")]
    assert bad == []


def test_the_guard_sees_a_wrong_arrow(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from copilot.engine import Engine\n    import copilot.policy\n")
    assert imported_modules(module) == {"copilot.engine", "copilot.policy"}
