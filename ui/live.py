"""Live pages: the newest snapshot (cached per version), the status line, the stale notice.

Every page renders through :func:`live_page`. Its body runs inside
``st.fragment(run_every=refresh_interval)``: each run asks the database only for the
newest snapshot version and the refresh status (a few indexed reads); a snapshot is
loaded once per version and process, and metrics are never recomputed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from core import formatting as fmt
from core.clock import now
from core.config import ConfigError, Settings, get_settings
from core.db import DATABASE_ERRORS, Session
from core.incidents import record_incident
from core.metrics.snapshot_types import RefreshStatus, Snapshot
from core.metrics.status import REFRESH_JOB_ID
from core.queries.freshness import Cadence, slow_cadences
from core.queries.live import live_state, newest_snapshot_version, read_snapshot
from ui import db
from ui.auth import signed_in_user
from ui.i18n import _, current_locale
from ui.incidents import show_database_error, show_incident
from ui.job_notice import notice_for, show_notice
from ui.status_line import install_ticker, status_line

LOCALE = fmt.DEFAULT_LOCALE  # used when a caller passes no locale
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveContext:
    """What a page body gets on each run."""

    settings: Settings
    status: RefreshStatus
    snapshot: Snapshot | None
    at: datetime
    locale: str = LOCALE
    detail: Snapshot | None = None  # the dashboards' slower tables (core/metrics/detail.py)
    # The tables this page has read (kept across its runs: a cached view reads none), so
    # the status line can name those refreshed at a slower cadence.
    frames_read: set[str] = field(default_factory=set, compare=False, repr=False)
    # Slower cadences the page itself declares (a model's retraining), for the status line.
    declared_cadences: list[Cadence] = field(default_factory=list, compare=False, repr=False)

    def session(self) -> Session:
        return db.session(self.settings.database_url)

    def declare_cadence(self, cadence: Cadence) -> None:
        """Name a figure of the page refreshed at ``cadence`` next to the "data as of" line."""
        self.declared_cadences.append(cadence)

    def frame(self, name: str) -> pd.DataFrame:
        """A table of the newest metrics snapshot, else of the newest detail snapshot.

        Raises FrameNotReadyError when neither has it yet (the page then says so).
        """
        self.frames_read.add(name)
        for source in (self.snapshot, self.detail):
            if source is not None and name in source.frames:
                return source.frames[name]
        raise FrameNotReadyError(name)

    def has_frame(self, name: str) -> bool:
        self.frames_read.add(name)
        return any(s is not None and name in s.frames for s in (self.snapshot, self.detail))


class FrameNotReadyError(LookupError):
    """A page asked for a detail table no snapshot holds yet (first minutes after start)."""


class _SnapshotGoneError(LookupError):
    """The version was pruned between reading the status and loading it."""


@st.cache_resource(max_entries=6, show_spinner=False)
def _load_version(database_url: str, version: int) -> Snapshot:
    # Snapshots are immutable, so one shared object per version is safe and avoids
    # copying frames on every rerun (which st.cache_data would do).
    with db.session(database_url) as session:
        snapshot = read_snapshot(session=session, version=version)
    if snapshot is None:
        raise _SnapshotGoneError(version)  # raised, not returned, so None is never cached
    return snapshot


def cached_snapshot(database_url: str, version: int, *, detail: bool = False) -> Snapshot | None:
    """The snapshot ``version``, or the newest of its kind if it has just been pruned."""
    try:
        return _load_version(database_url, version)
    except _SnapshotGoneError:
        with db.session(database_url) as session:
            newest = newest_snapshot_version(session=session, detail=detail)
        return None if newest is None else _load_version(database_url, newest)


def read_settings() -> Settings | None:
    """The settings, or None after telling the user what is wrong with them."""
    try:
        return get_settings()
    except ConfigError as exc:
        st.error(
            _("The console is misconfigured: {error}").format(error=exc),
            icon=":material/settings:",
        )
        return None


# A refresh that has not ended this many intervals after the last one is late: the line
# says so instead of counting down to a refresh the scheduler is not making. One interval
# of slack covers a refresh that is running.
LATE_AFTER_INTERVALS = 2


def show_freshness(ctx: LiveContext) -> None:
    """The "data as of" line, and a warning when the refresh has stalled or failed.

    The line names the figures of the page that come at a slower cadence than the
    refresh (``core.queries.freshness``): the detail tables the page read, and the model
    cadences the page declared (``LiveContext.declare_cadence``).
    """
    status, snapshot = ctx.status, ctx.snapshot
    if snapshot is not None:
        next_refresh_s = None
        late = None  # the refresh the countdown would promise is not happening
        if live_enabled() and status.last_run_finished_at is not None:
            interval = ctx.settings.refresh_interval_s
            elapsed = (ctx.at - status.last_run_finished_at).total_seconds()
            if status.last_run_status == "failed":
                late = _("the last refresh failed; the scheduler retries it")
            elif elapsed > LATE_AFTER_INTERVALS * interval:
                late = _("the refresh is late: the last one ended {age}").format(
                    age=fmt.format_age(elapsed, locale=ctx.locale)
                )
            else:
                next_refresh_s = interval - elapsed % interval
        cadences = slow_cadences(
            ctx.detail, ctx.frames_read, default_cadence_s=ctx.settings.detail_refresh_s
        )
        line = status_line(
            snapshot.as_of,
            snapshot.version,
            at=ctx.at,
            locale=ctx.locale,
            detail_as_of=None if ctx.detail is None else ctx.detail.as_of,
            next_refresh_s=next_refresh_s,
            cadences=[*cadences, *ctx.declared_cadences],
            ticking=True,
        )
        if late is not None:
            line += " · " + late
        st.caption(f":material/schedule: {line}", unsafe_allow_html=True)
    if status.stale and snapshot is not None:
        st.warning(
            _(
                "**Stale data**: {reason}. Showing the last good snapshot (v{version}, "
                "computed {when})."
            ).format(
                reason=status.stale_text(ctx.locale),
                version=snapshot.version,
                when=fmt.format_time(snapshot.created_at, locale=ctx.locale),
            ),
            icon=":material/warning:",
        )


def _read_context(settings: Settings, *, needs_snapshot: bool) -> LiveContext:
    with db.session(settings.database_url) as session:
        state = live_state(
            session=session, interval_s=settings.refresh_interval_s, with_detail=needs_snapshot
        )
    snapshot = detail = None
    if needs_snapshot and state.status.snapshot_version is not None:
        snapshot = cached_snapshot(settings.database_url, state.status.snapshot_version)
    if state.detail_version is not None:
        detail = cached_snapshot(settings.database_url, state.detail_version, detail=True)
    return LiveContext(
        settings=settings,
        status=state.status,
        snapshot=snapshot,
        at=now(),
        locale=current_locale(),
        detail=detail,
    )


# The newest context each process read, per database and kind of page: while the
# database does not answer, pages keep showing it (with a red notice) instead of nothing.
_last_good: dict[tuple[str, bool], LiveContext] = {}


def last_good_context(database_url: str, needs_snapshot: bool) -> LiveContext | None:
    return _last_good.get((database_url, needs_snapshot))


def _run_body(
    body: Callable[[LiveContext], None], settings: Settings, needs_snapshot: bool
) -> None:
    try:
        ctx = _read_context(settings, needs_snapshot=needs_snapshot)
        _last_good[(settings.database_url, needs_snapshot)] = ctx
    except DATABASE_ERRORS as exc:
        previous = last_good_context(settings.database_url, needs_snapshot)
        if previous is None:
            show_database_error(exc, where="loading the snapshot")
            return
        incident = record_incident(exc, where="loading the snapshot")
        st.error(
            _(
                "The database does not answer (incident {id}). Showing the last good data "
                "this server read, at {when}; nothing can be changed until it is back."
            ).format(
                id=incident.id,
                when=fmt.format_time(previous.at, locale=current_locale()),
            ),
            icon=":material/database:",
        )
        ctx = previous
    except Exception as exc:  # e.g. a snapshot frame that cannot be decoded
        show_incident(exc, where="loading the snapshot")
        return
    if needs_snapshot and ctx.snapshot is None:
        st.info(
            _("Computing the first snapshot… This page fills in by itself as soon as it is ready."),
            icon=":material/hourglass_top:",
        )
        show_notice(notice_for(REFRESH_JOB_ID, at=ctx.at, locale=ctx.locale))
        return
    ctx = replace(ctx, frames_read=_frames_read_by(body), declared_cadences=[])
    # The line goes above the body, drawn from the tables the page read in its earlier
    # runs, and again after the body when this run read others (a page's first run).
    freshness = st.empty()
    known = set(ctx.frames_read)
    _show_freshness_in(freshness, ctx)
    try:
        body(ctx)
    except FrameNotReadyError as missing:
        _log.info("detail frame %s not computed yet", missing)
        st.info(
            _(
                "The detailed tables of this page are being computed (they are refreshed "
                "every few minutes). They appear here by themselves."
            ),
            icon=":material/hourglass_top:",
        )
    except DATABASE_ERRORS as exc:  # a page's own query, while the database is away
        show_database_error(exc, where="page query")
    except Exception as exc:  # a bad snapshot or row must not show users a traceback
        show_incident(exc, where="page body")
    if ctx.frames_read != known or ctx.declared_cadences:
        _show_freshness_in(freshness, ctx)


def _show_freshness_in(placeholder: Any, ctx: LiveContext) -> None:
    try:
        with placeholder.container():
            show_freshness(ctx)
    except Exception as exc:
        show_incident(exc, where="status line")


# The detail tables each page has read in this process: a page's cached view reads none
# on a rerun, and its status line must still name their cadence.
_FRAMES_READ: dict[tuple[str, str, str], set[str]] = {}


def _frames_read_by(body: Callable[[LiveContext], None]) -> set[str]:
    # Page scripts run as __main__ and are re-executed on every full run (new function
    # objects): the file, the name and a filtered dashboard's page name identify a page.
    function = getattr(body, "__func__", body)
    code = getattr(function, "__code__", None)
    key = (
        "" if code is None else code.co_filename,
        getattr(function, "__qualname__", ""),
        str(getattr(getattr(body, "__self__", None), "page", "")),
    )
    return _FRAMES_READ.setdefault(key, set())


LIVE_PARAM = "live"
_LIVE_KEY = "console_live"


def live_enabled() -> bool:
    """Live updates are on unless the user paused them (kept in the session and URL)."""
    if st.query_params.get(LIVE_PARAM) == "off":
        st.session_state[_LIVE_KEY] = False
    return bool(st.session_state.get(_LIVE_KEY, True))


def _set_live(enabled: bool) -> None:
    st.session_state[_LIVE_KEY] = enabled
    if enabled:
        st.query_params.pop(LIVE_PARAM, None)
    else:
        st.query_params[LIVE_PARAM] = "off"


def live_controls(settings: Settings) -> bool:
    """Pause/resume and "refresh now"; returns whether live updates are on.

    "Refresh now" re-reads the newest snapshot: it never forces a recompute, which stays
    the scheduler's job.
    """
    enabled = live_enabled()
    _spacer, toggle_cell, button_cell = st.columns([5, 2, 1.6], vertical_alignment="center")
    wanted = toggle_cell.toggle(
        _("Live updates"),
        value=enabled,
        key="live_toggle",
        help=_(
            "When on, this page picks up each new snapshot every {seconds} s without "
            "reloading. Turn off to freeze what you are reading."
        ).format(seconds=round(settings.refresh_interval_s)),
    )
    if wanted != enabled:
        _set_live(wanted)
        enabled = wanted
    if button_cell.button(
        _("Refresh now"),
        icon=":material/refresh:",
        key="live_refresh_now",
        help=_("Read the newest snapshot now (the scheduler computes snapshots)."),
    ):
        pass  # the click itself reruns the page, which reads the newest snapshot
    return enabled


def live_page(
    body: Callable[[LiveContext], None], *, needs_snapshot: bool = True, controls: bool = True
) -> None:
    """Run ``body`` now and again every refresh interval, without reloading the page."""
    settings = read_settings()
    if settings is None:
        return
    enabled = live_controls(settings) if controls else True
    install_ticker()  # outside the fragment: one script element per full run

    @st.fragment(run_every=settings.refresh_interval_s if enabled else None)
    def live() -> None:
        # An automatic refresh re-checks the session too (without counting as activity):
        # signed out, expired or deactivated, the whole page reruns into the sign-in gate.
        if signed_in_user() is None:
            st.rerun(scope="app")
        _run_body(body, settings, needs_snapshot)

    live()
