"""The skeleton every dashboard page shares; a page brings only its charts and captions.

``dashboard_page(title, body)`` is a live page: the title, the live controls, and ``body``
run again every refresh interval (``ui.live.live_page``). A filtered dashboard passes a
``FilteredDashboard`` instead: the skeleton draws the filter bar, builds the view through
a cache keyed on the snapshot versions and the filters, shows the view's empty message,
and hands the view to the page's ``draw``. Pages show their tenant table with
``tenant_table`` and their downloads with ``Csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Generic, TypeVar

import pandas as pd
import streamlit as st

from dashboards.filters import Filters
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.filters import ALL_DIMENSIONS, cross_filter, filter_bar
from ui.i18n import _
from ui.job_notice import notice_for, show_notice
from ui.live import LiveContext, live_page
from ui.render import (
    cpi_for,
    detail_as_of,
    download_csv,
    selectable_figure,
    show_table,
    snapshot_versions,
)

View = TypeVar("View")

# Each of the 12 dashboard pages kept 12 views (filter combinations and versions); they
# now share one cache, as large as theirs together, least recently used first out.
VIEW_CACHE_ENTRIES = 12 * 12
EMPTY_ICON = ":material/filter_alt_off:"


@dataclass(frozen=True)
class ViewKey:
    """Everything a view may depend on: a view is built once per key and process."""

    page: str
    database_url: str
    versions: tuple[int, int]  # (metrics, detail) snapshot versions, 0 when missing
    filters: Filters
    as_of: date  # the detail tables' day, the data's "today"
    locale: str


@dataclass(frozen=True)
class ViewInputs:
    """What a page's builder reads: the key's filters, day and locale, and the frames of
    the key's snapshots (nothing else, so the key is complete by construction)."""

    key: ViewKey
    _ctx: LiveContext = field(repr=False)

    @property
    def filters(self) -> Filters:
        return self.key.filters

    @property
    def as_of(self) -> date:
        return self.key.as_of

    @property
    def locale(self) -> str:
        return self.key.locale

    @property
    def cpi(self) -> pd.DataFrame | None:
        """The CPI frame when the filters ask for constant ARS, else None."""
        return cpi_for(self._ctx, self.key.filters)

    @property
    def cpi_table(self) -> pd.DataFrame | None:
        """The CPI frame whenever it exists, for figures shown in constant pesos even on a
        nominal page (the 12-month NRR and GRR)."""
        return self._ctx.frame("cpi_monthly") if self._ctx.has_frame("cpi_monthly") else None

    def frame(self, name: str) -> pd.DataFrame:
        return self._ctx.frame(name)

    def has_frame(self, name: str) -> bool:
        return self._ctx.has_frame(name)

    def frames(self, names: Sequence[str]) -> dict[str, pd.DataFrame]:
        return {name: self._ctx.frame(name) for name in names}


def dashboard_builder(
    build_view: Callable[..., View], *frames: str | Sequence[str], always_cpi: bool = False
) -> Callable[[ViewInputs], View]:
    """The usual call of a ``dashboards`` builder: the frames named (a dict of frames for
    a sequence of names), then the filters, ``as_of``, ``locale`` and ``cpi`` (only when
    the filters ask for constant ARS, unless ``always_cpi``: then whenever it exists)."""

    def build(inputs: ViewInputs) -> View:
        args = [inputs.frame(f) if isinstance(f, str) else inputs.frames(f) for f in frames]
        cpi = inputs.cpi_table if always_cpi else inputs.cpi
        return build_view(*args, inputs.filters, as_of=inputs.as_of, locale=inputs.locale, cpi=cpi)

    return build


def _build_view(key: ViewKey, _build: Callable[[ViewInputs], Any], _ctx: LiveContext) -> Any:
    # Only ``key`` is hashed: the frames behind ``_ctx`` are fixed by its versions.
    return _build(ViewInputs(key, _ctx))


def view_key(ctx: LiveContext, filters: Filters, *, page: str) -> ViewKey:
    return ViewKey(
        page=page,
        database_url=ctx.settings.database_url,
        versions=snapshot_versions(ctx),
        filters=filters,
        as_of=detail_as_of(ctx),
        locale=ctx.locale,
    )


def cached_view(
    ctx: LiveContext,
    filters: Filters,
    build: Callable[[ViewInputs], View],
    *,
    page: str,
    spinner: str | bool = False,
) -> View:
    """``build``'s view for these snapshots and filters; reruns within a refresh reuse it."""
    # Decorated per call, as the pages' own functions were per run: the spinner text is
    # translated for this session, and the storage (found by the function) is the same.
    cached = st.cache_resource(max_entries=VIEW_CACHE_ENTRIES, show_spinner=spinner)(_build_view)
    return cached(view_key(ctx, filters, page=page), build, ctx)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DashboardContext(LiveContext):
    """A live context with the filters the user chose on this page."""

    filters: Filters = field(default_factory=Filters)

    @classmethod
    def of(cls, ctx: LiveContext, filters: Filters) -> DashboardContext:
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(ctx)}, filters=filters)


@dataclass(frozen=True)
class FilteredDashboard(Generic[View]):
    """A dashboard drawn from one cached view of the filtered snapshots.

    ``build`` turns the inputs into the view (a ``dashboards`` builder's result, with a
    ``message`` when there is nothing to show); ``draw`` shows a view that has something.
    """

    page: str
    build: Callable[[ViewInputs], View]
    draw: Callable[[DashboardContext, View], None]
    dimensions: Sequence[str] = ALL_DIMENSIONS
    money: bool = True
    default_days: int | Callable[[LiveContext], int] = 180
    whole_weeks: bool = True  # default period: whole weeks ending yesterday (filter_bar)
    note: str | None = None  # a caption under the filter bar, shown whatever the view
    spinner: str | bool = False  # shown while a view is built (False: none)
    after: Callable[[LiveContext], None] | None = None  # drawn after the view or its message
    # The job whose runs compute this page's data (``health_scores``): its failure or
    # first run is said above the view, and replaces the view's "nothing yet" message.
    job: str | None = None

    def body(self, ctx: LiveContext) -> None:
        days = self.default_days(ctx) if callable(self.default_days) else self.default_days
        filters = filter_bar(
            ctx,
            page=self.page,
            dimensions=self.dimensions,
            money=self.money,
            default_days=days,
            whole_weeks=self.whole_weeks,
        )
        if self.note:
            st.caption(self.note)
        view = cached_view(ctx, filters, self.build, page=self.page, spinner=self.spinner)
        message = getattr(view, "message", None)
        explained = self.job is not None and show_notice(
            notice_for(self.job, at=ctx.at, locale=ctx.locale)
        )
        if message and explained and getattr(view, "waiting_for_job", False):
            pass  # the job's notice says why there is nothing yet, and until when
        elif message:
            st.info(message, icon=EMPTY_ICON)
        else:
            self.draw(DashboardContext.of(ctx, filters), view)
        if self.after is not None:
            self.after(ctx)


def dashboard_page(
    title: str, page: Callable[[LiveContext], None] | FilteredDashboard[Any]
) -> None:
    """The page's title, then ``page`` live (a body, or a filtered dashboard's)."""
    st.title(title)
    live_page(page.body if isinstance(page, FilteredDashboard) else page)


# ----------------------------------------------------------------------- page parts


def filtering_chart(figure: Any, *, page: str, key: str, dimension: str, column: int = 0) -> None:
    """A chart whose clicked point filters ``page``: to its month (the point's x), or to
    its tier, vertical, province or partner (the point's ``customdata[column]``)."""
    for point in selectable_figure(figure, key=key):
        if dimension == "month":
            if point.get("x"):
                cross_filter(page, "month", point["x"])
        elif point.get("customdata"):
            value = point["customdata"][column]
            cross_filter(page, dimension, int(value) if dimension == "partner" else value)


@dataclass(frozen=True)
class Csv:
    """A table's "Download CSV" button (see ``ui.render.download_csv``)."""

    file_name: str
    key: str | None = None
    bom: bool = True
    rerun: bool = False

    @classmethod
    def named(cls, page: str, name: str) -> Csv:
        """``name.csv``, keyed by page and name, without BOM, rerunning on click."""
        return cls(f"{name}.csv", key=f"{page}_{name}_csv", bom=False, rerun=True)

    def offer(self, frame: pd.DataFrame) -> None:
        download_csv(frame, self.file_name, key=self.key, bom=self.bom, rerun=self.rerun)


def no_data() -> None:
    """The message of a section that has no rows for the chosen filters."""
    st.info(_("No data for these filters"), icon=EMPTY_ICON)


def money_column(label: str) -> Any:
    """A column of whole pesos; ``label`` is a msgid, translated here."""
    return st.column_config.NumberColumn(_(label), format="%.0f")


def tenant_columns() -> dict[str, Any]:
    """How every tenant table names its tenant (a link to Tenant 360), tier, vertical and
    province columns."""
    return {
        "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
        "tier": _("Tier"),
        "vertical": _("Vertical"),
        "province": _("Province"),
    }


def tenant_table(
    ctx: LiveContext,
    frame: pd.DataFrame | None,
    *,
    title: str,
    csv: Csv,
    column_order: Sequence[str],
    column_config: dict[str, Any],
) -> None:
    """A section of one row per tenant: linked to Tenant 360, with its CSV (unlinked),
    or the no-data message. ``column_config`` adds to (or overrides) ``tenant_columns``."""
    st.subheader(title, divider="gray")
    if frame is None or frame.empty:
        no_data()
        return
    show_table(
        with_tenant_links(frame, locale=ctx.locale),
        column_order=list(column_order),
        column_config={
            **{k: v for k, v in tenant_columns().items() if k in column_order},
            **column_config,
        },
    )
    csv.offer(frame)
