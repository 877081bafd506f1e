"""README "Launch readiness" shows the checklist exactly as core.ops.readiness declares it."""

from __future__ import annotations

import re

from core.config import PROJECT_ROOT
from core.ops.readiness import checklist_markdown


def test_readme_checklist_matches_the_declarations() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"<!-- readiness-checklist:start -->\n(.*?)\n<!-- readiness-checklist:end -->",
        readme,
        re.DOTALL,
    )
    assert found, "README.md lost its readiness-checklist markers"
    assert found.group(1) == checklist_markdown(), (
        "README's checklist is stale: paste core.ops.readiness.checklist_markdown() between "
        "the readiness-checklist markers"
    )
