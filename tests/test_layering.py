"""The layering rules of DESIGN.md, declared as import-linter contracts in pyproject.toml
and checked on transitive imports: no Streamlit below the UI, no SQL in dashboards/, no
sibling imports between dashboards, no SQLAlchemy or ORM in ui/ and app_pages/, no arrow
back up between the top-level folders.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
# Modules every dashboard may import; every other module of dashboards/ is a dashboard.
SHARED_DASHBOARD_MODULES = {"__init__", "kit", "filters", "theme", "links"}


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def forbidden(source: str) -> dict[str, bool]:
    """Module -> checked transitively, over the forbidden contracts with ``source``."""
    found: dict[str, bool] = {}
    for contract in contracts():
        if contract["type"] == "forbidden" and source in contract["source_modules"]:
            transitive = not contract.get("allow_indirect_imports", False)
            for module in contract["forbidden_modules"]:
                found[module] = found.get(module, False) or transitive
    return found


def test_the_contracts_hold() -> None:
    result = subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_the_contracts_state_every_rule() -> None:
    core = forbidden("core")
    assert {"streamlit", "ui", "app_pages", "dashboards"} <= {m for m, t in core.items() if t}
    dashboards = forbidden("dashboards")
    sql = {"streamlit", "sqlalchemy", "core.schema", "core.metrics.frames", "core.db"}
    assert sql <= {m for m, transitive in dashboards.items() if transitive}
    for source in ("ui", "app_pages"):
        assert {"sqlalchemy", "core.schema"} <= set(forbidden(source))
    layers = [c for c in contracts() if c["type"] == "layers"]
    assert any(c["layers"] == ["app_pages", "ui", "dashboards", "core"] for c in layers)


def test_every_dashboard_is_independent_of_its_siblings() -> None:
    independent = {
        module
        for contract in contracts()
        if contract["type"] == "independence"
        for module in contract["modules"]
    }
    on_disk = {
        f"dashboards.{path.stem}"
        for path in (ROOT / "dashboards").glob("*.py")
        if path.stem not in SHARED_DASHBOARD_MODULES
    }
    assert on_disk <= independent, "list the new dashboard in the independence contract"


def test_a_transitive_violation_is_caught(tmp_path: Path) -> None:
    """The tool, as configured here, follows chains: a -> b -> forbidden breaks a's contract."""
    package = tmp_path / "toy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "figures.py").write_text("from toy import helpers\n")
    (package / "helpers.py").write_text("import sqlalchemy\n")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = toy\ninclude_external_packages = True\n\n"
        "[importlinter:contract:no-sql]\nname = figures run no SQL\ntype = forbidden\n"
        "source_modules = toy.figures\nforbidden_modules = sqlalchemy\n"
    )
    result = subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "toy.figures -> toy.helpers" in result.stdout
