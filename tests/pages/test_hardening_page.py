"""Hardening audit page: admins see the stored report and run the audit (an audit row,
a stored report); other roles are refused the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.auth.sessions import SignedInUser
from core.db import create_engine_for
from core.ops.hardening import CHECKS, LATEST_NAME
from core.schema import AuditEvent
from page_registry import PAGES
from tests.pages.helpers import as_read, assert_clean, render_page
from ui.auth import signed_in_as

PAGE = "app_pages/system_hardening.py"
SPEC = next(p for p in PAGES if p.path == PAGE)


def test_an_admin_runs_the_audit_and_sees_the_report(
    empty_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARBERPRO_DATA_DIR", str(tmp_path))
    app = render_page(PAGE, {"lang": "en"})
    assert app.title[0].value == "Hardening audit"
    assert "No audit has run yet" in app.info[0].value
    app.button[0].click().run()
    assert_clean(app)
    assert "The audit ran" in app.success[0].value
    table = app.dataframe[0].value
    assert len(table) == len(CHECKS)
    assert set(table["status"]) <= {"Pass", "Warning", "Fail"} and "Fail" in set(table["status"])
    assert "admin@barberpro.test" in as_read(" ".join(c.value for c in app.caption))
    assert (tmp_path / "ops" / LATEST_NAME).exists()
    engine = create_engine_for(empty_env)
    with Session(engine) as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    engine.dispose()
    assert actions == ["ops.hardening_audit"]
    # A new visit reads the stored report without running anything.
    again = render_page(PAGE, {"lang": "es_AR"})
    assert again.title[0].value == "Auditoría de endurecimiento"
    assert len(again.dataframe[0].value) == len(CHECKS)
    assert "Falla" in set(again.dataframe[0].value["status"])


def _stand_in() -> None:
    from page_registry import PAGES
    from ui.gate import no_access_page

    no_access_page(next(p for p in PAGES if p.url_path == "hardening"))()


@pytest.mark.parametrize("role", ["executive", "cs_manager", "cs_lead", "onboarding", "display"])
def test_other_roles_are_refused(role: str, console_env: str) -> None:
    # app.py registers the page's "no access" stand-in for every role the registry leaves
    # out (AppTest cannot switch to a function page: the stand-in runs on its own here).
    assert role not in SPEC.roles and SPEC.roles == ("admin",)
    user = SignedInUser(user_id=999_998, email=f"{role}@b.test", full_name="Someone", role=role)
    with signed_in_as(user):
        app = AppTest.from_function(_stand_in, default_timeout=30)
        app.query_params["lang"] = "en"
        app.run()
    assert not app.exception
    assert len(app.error) == 1 and "You don't have access to" in app.error[0].value
    assert "Hardening audit" in app.error[0].value
    assert not app.title and not app.button and not app.dataframe
