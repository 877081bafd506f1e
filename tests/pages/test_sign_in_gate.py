"""The page side of sign-in: nobody signed in sees nothing; a role sees only its pages."""

import pytest

from page_registry import PAGES
from tests.pages.helpers import ROOT
from ui.auth import signed_in_as


def _run(path: str | None = None):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["lang"] = "en"
    app.run()
    if path is not None:
        app.switch_page(path)
        app.run()
    return app


def test_nobody_signed_in_sees_only_the_way_to_sign_in(console_env) -> None:  # type: ignore[no-untyped-def]
    with signed_in_as(None):
        app = _run()
    assert not app.exception
    assert [t.value for t in app.title] == ["BarberPro Command Center"]
    assert "Sign in to continue" in app.info[0].value
    assert not app.metric and not app.dataframe and not app.sidebar.selectbox
    link = app.markdown[0].value
    assert 'href="/signin?lang=en&amp;next=' in link and 'target="_self"' in link


def _stand_in(url_path: str) -> None:
    from page_registry import PAGES
    from ui.gate import no_access_page

    no_access_page(next(p for p in PAGES if p.url_path == url_path))()


@pytest.mark.parametrize("role", ["display", "executive", "onboarding"])
def test_a_page_outside_the_role_says_so_and_shows_nothing_else(role: str, console_env) -> None:  # type: ignore[no-untyped-def]
    # What app.py routes a refused page to (the browser test follows the real links).
    from streamlit.testing.v1 import AppTest

    refused = [p for p in PAGES if role not in p.roles]
    assert refused
    for spec in refused:
        app = AppTest.from_function(_stand_in, args=(spec.url_path,), default_timeout=30)
        app.query_params["lang"] = "en"
        app.run()
        assert not app.exception
        assert len(app.error) == 1 and "You don't have access to" in app.error[0].value
        assert not app.title and not app.metric and not app.dataframe


def test_the_sidebar_names_the_user_and_offers_sign_out(console_env) -> None:  # type: ignore[no-untyped-def]
    app = _run()
    assert "Test Admin · Administrator" in [t.value for t in app.sidebar.text]
    assert [b.label for b in app.sidebar.button if b.label == "Sign out"] == ["Sign out"]
