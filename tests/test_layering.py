"""The layering rules of DESIGN.md: no Streamlit below the UI, no SQL in dashboards/."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", sources("core") + sources("dashboards"), ids=str)
def test_no_streamlit_below_the_ui(path):
    assert not any(m.split(".")[0] == "streamlit" for m in imported_modules(path))


@pytest.mark.parametrize("path", sources("dashboards"), ids=str)
def test_dashboards_do_not_query_the_database(path):
    assert not any(m.split(".")[0] == "sqlalchemy" for m in imported_modules(path))
