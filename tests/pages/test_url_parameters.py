"""Arbitrary text in every URL parameter of every page: at most a message, never an
exception and never an incident (issue 15).

Each parameter gets its own hypothesis run; each example opens one page (drawn from the
registry) with that parameter set to hostile text, in a real AppTest run of app.py. A
page that caught the error with a catch-all would record an incident (ui/live.py turns
every unexpected exception into one), so "no incident" is checked as well as "no
exception". The AppTest of each page is reused between examples: a fresh one per
example would spend the budget re-importing the app instead of feeding it input.
"""

from __future__ import annotations

import os

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from core.incidents import incident_count, recent_incidents
from dashboards.filters import PARAMS as FILTER_PARAMS
from page_registry import PAGES
from tests.pages.helpers import ROOT
from ui.i18n import LANG_PARAM
from ui.live import LIVE_PARAM
from ui.onboarding_review import SESSION_PARAM

ALL_PAGES = tuple(page.path for page in PAGES)
# Pages with the shared filter bar (dashboard_page or filter_bar read the filters' URL).
FILTERED_PAGES = tuple(
    path
    for path in ALL_PAGES
    if any(call in (ROOT / path).read_text() for call in ("dashboard_page(", "filter_bar("))
)
# Every parameter a page reads from its URL, with the pages that read it: the ids of
# Tenant 360, the wizard and triage; the language and live switch of every page; the
# filters of every page with the filter bar.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "tenant": ("app_pages/tenant_360.py",),
    "session": ("app_pages/onboarding_wizard.py",),
    "alert": ("app_pages/triage.py",),
    "lang": ALL_PAGES,
    "live": ALL_PAGES,
    **{
        param: FILTERED_PAGES
        for param in ("from", "to", "tier", "vertical", "province", "partner", "ars")
    },
}

# The links of the issue, and their neighbours: non-ASCII digits, ids that overflow
# SQLite's integers, years before the Gregorian calendar's reach, markdown and HTML.
KNOWN_BAD = (
    "²",
    "٣",
    "1" * 25,
    "9" * 19,
    "-1",
    "0",
    "",
    " ",
    "0001-01",
    "0001-01-01",
    "9999-12-31",
    "1000-01",
    "2024-13-01",
    "2024-00",
    "nan",
    "inf",
    "1e308",
    "0x10",
    "1,2,,3",
    "²,³",
    "[link](https://example.com)",
    "![img](https://example.com/x.png)",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "\x00",
    "\u202e",
    "%0d%0a",
    "a" * 5000,
)

# Random examples per parameter, after the known ones: `make test` runs 50, `make soak`
# runs 200 (the figure; about 8 minutes of renders).
EXAMPLES = int(os.environ.get("BARBERPRO_URL_PARAMETER_EXAMPLES", "50"))

hostile_text = st.one_of(
    st.sampled_from(KNOWN_BAD),
    st.text(max_size=40),
    st.from_regex(r"-?[0-9²³٣]{1,30}", fullmatch=True),
    st.from_regex(r"[0-9]{1,5}-[0-9]{1,3}(-[0-9]{1,3})?", fullmatch=True),
    st.lists(st.text(max_size=8), max_size=4).map(",".join),
)


@pytest.fixture(scope="module")
def apps(tmp_path_factory, console_db) -> dict[str, AppTest]:
    """One AppTest per page, created on first use and reused for every example."""
    return {}


def _open(apps: dict[str, AppTest], path: str, param: str, value: str) -> AppTest:
    app = apps.get(path)
    if app is None:
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        app.run()
        app.switch_page(path)
        apps[path] = app
    app.query_params.clear()
    app.query_params[param] = value
    app.run()
    return app


def test_every_url_parameter_is_covered():
    assert set(FILTER_PARAMS.values()) <= set(PARAMETERS)
    assert {LANG_PARAM, LIVE_PARAM, SESSION_PARAM} <= set(PARAMETERS)
    for param in ("tenant", "alert"):  # the pages' own PARAM constants (not importable)
        assert all(f'PARAM = "{param}"' in (ROOT / p).read_text() for p in PARAMETERS[param])
    assert len(FILTERED_PAGES) >= 12  # the twelve dashboards at least


@pytest.mark.parametrize("param", sorted(PARAMETERS))
def test_hostile_url_parameter_is_a_message_not_an_error(param, apps, console_env):
    pages = PARAMETERS[param]

    def example(page: str, value: str) -> None:
        before = incident_count()
        app = _open(apps, page, param, value)
        assert not app.exception, (page, param, value, [e.value for e in app.exception])
        added = incident_count() - before
        assert added == 0, (page, param, value, recent_incidents()[-added:])

    test = given(page=st.sampled_from(pages), value=hostile_text)(example)
    # The links first, on every page that reads the parameter in turn.
    for index, value in enumerate(KNOWN_BAD):
        test = hypothesis.example(page=pages[index % len(pages)], value=value)(test)
    settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples on every run: a failure reproduces
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(test)()
