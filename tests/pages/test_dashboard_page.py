"""ui/dashboard_page.py: the cached view's key, the empty-view message, the tenant table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

import pandas as pd
from streamlit.testing.v1 import AppTest

from core.i18n import gettext
from dashboards.filters import Filters
from ui.dashboard_page import Csv, ViewInputs, cached_view, dashboard_builder, view_key
from ui.live import LiveContext

AT = datetime(2026, 3, 5, 10)


@dataclass
class _Snapshot:
    version: int
    as_of: datetime
    frames: dict


def _ctx(
    metrics: int = 7, detail: int = 3, url: str = "sqlite:///a.db", **frames: pd.DataFrame
) -> LiveContext:
    return LiveContext(
        settings=SimpleNamespace(database_url=url),  # type: ignore[arg-type]
        status=None,  # type: ignore[arg-type]
        snapshot=_Snapshot(metrics, AT, frames),  # type: ignore[arg-type]
        at=AT,
        locale="en",
        detail=_Snapshot(detail, datetime(2026, 3, 4, 23), {}),  # type: ignore[arg-type]
    )


def test_key_holds_page_database_both_versions_filters_day_and_locale():
    filters = Filters(tiers=("solo",))
    key = view_key(_ctx(), filters, page="p")
    assert key.page == "p" and key.database_url == "sqlite:///a.db"
    assert key.versions == (7, 3)
    assert key.filters == filters and key.as_of == date(2026, 3, 4) and key.locale == "en"


def test_a_view_is_built_once_per_key_and_again_when_anything_in_it_changes():
    builds: list[tuple[str, tuple[int, int], Filters]] = []
    tenants = pd.DataFrame({"tenant_id": [1]})

    def build(inputs: ViewInputs) -> object:
        builds.append((inputs.key.database_url, inputs.key.versions, inputs.filters))
        assert inputs.frame("tenants") is tenants
        return object()

    page = "test-dashboard-page-key"
    first = cached_view(_ctx(tenants=tenants), Filters(), build, page=page)
    assert cached_view(_ctx(tenants=tenants), Filters(), build, page=page) is first
    assert len(builds) == 1
    # A new metrics snapshot alone is a new view (tenant names and tiers may change).
    cached_view(_ctx(metrics=8, tenants=tenants), Filters(), build, page=page)
    cached_view(_ctx(detail=4, tenants=tenants), Filters(), build, page=page)
    cached_view(_ctx(tenants=tenants), Filters(tiers=("chain",)), build, page=page)
    cached_view(_ctx(url="sqlite:///b.db", tenants=tenants), Filters(), build, page=page)
    cached_view(_ctx(tenants=tenants), Filters(), build, page=page + "-other")
    assert len(builds) == 6
    assert builds[1][1] == (8, 3) and builds[2][1] == (7, 4)
    assert builds[3][2] == Filters(tiers=("chain",)) and builds[4][0] == "sqlite:///b.db"


def test_inputs_give_the_cpi_only_for_constant_ars():
    cpi = pd.DataFrame({"month": [date(2026, 1, 1)], "index_value": [1.0]})
    ctx = _ctx(cpi_monthly=cpi)
    nominal = ViewInputs(view_key(ctx, Filters(), page="p"), ctx)
    constant = ViewInputs(
        view_key(ctx, Filters(constant_ars_month=date(2026, 1, 1)), page="p"), ctx
    )
    assert nominal.cpi is None and constant.cpi is cpi
    assert constant.frames(["cpi_monthly"]) == {"cpi_monthly": cpi}


def test_dashboard_builder_passes_frames_then_filters_day_locale_and_cpi():
    a, b = pd.DataFrame({"x": [1]}), pd.DataFrame({"y": [2]})
    ctx = _ctx(a=a, b=b)
    filters = Filters(tiers=("pro",))
    calls = []

    def build_view(*args, **kwargs):
        calls.append((args, kwargs))
        return "view"

    inputs = ViewInputs(view_key(ctx, filters, page="p"), ctx)
    assert dashboard_builder(build_view, ("a", "b"), "b")(inputs) == "view"
    ((args, kwargs),) = calls
    assert args[0] == {"a": a, "b": b} and args[1] is b and args[2] == filters
    assert kwargs == {"as_of": date(2026, 3, 4), "locale": "en", "cpi": None}


def test_named_csv_follows_the_pages_convention():
    assert Csv.named("finance", "mismatches") == Csv(
        "mismatches.csv", key="finance_mismatches_csv", bom=False, rerun=True
    )


def _dashboard_app() -> None:
    from dataclasses import dataclass
    from datetime import datetime
    from types import SimpleNamespace

    import pandas as pd
    import streamlit as st

    from ui.dashboard_page import Csv, FilteredDashboard, tenant_table
    from ui.live import LiveContext

    @dataclass
    class View:
        message: str | None
        detail: pd.DataFrame | None = None

    ctx = LiveContext(
        settings=SimpleNamespace(database_url="sqlite:///dashboard-app.db"),
        status=None,
        snapshot=None,
        at=datetime(2026, 3, 5, 10),
        locale="en",
    )

    def draw(ctx, view):
        tenant_table(
            ctx,
            view.detail,
            title="Tenants",
            csv=Csv("tenants.csv", key="tenants_csv"),
            column_order=["tenant", "tier", "gmv_ars"],
            column_config={"gmv_ars": "GMV"},
        )

    def after(_ctx):
        st.caption("after")

    detail = pd.DataFrame(
        {"tenant_id": [1], "trade_name": ["Barbería"], "tier": ["solo"], "gmv_ars": [10.0]}
    )
    for page, view in (
        ("empty", View("Nothing in this period")),
        ("rows", View(None, detail)),
        ("no-rows", View(None, detail.iloc[0:0])),
    ):
        FilteredDashboard(
            page=page,
            build=lambda _inputs, view=view: view,
            draw=draw,
            dimensions=("tier",),
            money=False,
            after=after,
        ).body(ctx)


def test_filtered_dashboard_shows_the_message_or_draws_then_the_after_part():
    app = AppTest.from_function(_dashboard_app, default_timeout=30).run()
    assert not app.exception, [e.value for e in app.exception]
    assert [i.value for i in app.info] == [
        "Nothing in this period",
        gettext("No data for these filters", "es_AR"),  # the session default,
    ]
    assert [c.value for c in app.caption] == ["after"] * 3
    assert [s.value for s in app.subheader] == ["Tenants", "Tenants"]
    # On screen the tenant is a link to Tenant 360; the CSV is the builder's frame.
    assert len(app.dataframe) == 1
    assert app.dataframe[0].value["tenant"].iloc[0].startswith("/tenant-360?")
    assert [b.proto.id.endswith("tenants_csv") for b in app.get("download_button")] == [True]
