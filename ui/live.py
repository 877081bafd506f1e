"""Live pages: the newest snapshot (cached per version), the status line, the stale notice.

Every page renders through :func:`live_page`. Its body runs inside
``st.fragment(run_every=refresh_interval)``: each run asks the database only for the
newest snapshot version and the refresh status (a few indexed reads); a snapshot is
loaded once per version and process, and metrics are never recomputed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core import formatting as fmt
from core.clock import now
from core.config import ConfigError, Settings, get_settings
from core.db import DatabaseUnavailable, get_engine
from core.metrics.snapshots import Snapshot, latest_version, load_snapshot
from core.metrics.status import RefreshStatus, refresh_status

LOCALE = fmt.DEFAULT_LOCALE  # one place to switch when the console gets i18n
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveContext:
    """What a page body gets on each run."""

    settings: Settings
    status: RefreshStatus
    snapshot: Snapshot | None
    at: datetime
    locale: str = LOCALE

    def session(self) -> Session:
        return Session(get_engine(self.settings.database_url))


class _SnapshotGoneError(LookupError):
    """The version was pruned between reading the status and loading it."""


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_version(database_url: str, version: int) -> Snapshot:
    # Snapshots are immutable, so one shared object per version is safe and avoids
    # copying frames on every rerun (which st.cache_data would do).
    with Session(get_engine(database_url)) as session:
        snapshot = load_snapshot(session=session, version=version)
    if snapshot is None:
        raise _SnapshotGoneError(version)  # raised, not returned, so None is never cached
    return snapshot


def cached_snapshot(database_url: str, version: int) -> Snapshot | None:
    """The snapshot ``version``, or the newest one if it has just been pruned."""
    try:
        return _load_version(database_url, version)
    except _SnapshotGoneError:
        with Session(get_engine(database_url)) as session:
            newest = latest_version(session=session)
        return None if newest is None else _load_version(database_url, newest)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def read_settings() -> Settings | None:
    """The settings, or None after telling the user what is wrong with them."""
    try:
        return get_settings()
    except ConfigError as exc:
        st.error(f"The console is misconfigured: {exc}", icon=":material/settings:")
        return None


def status_line(snapshot: Snapshot, *, at: datetime, locale: str = LOCALE) -> str:
    """``Data as of 14:03:12 (hace 12 s) · snapshot v42``; the day too when not today."""
    when = fmt.format_time(snapshot.as_of, locale=locale)
    if snapshot.as_of.date() != at.date():
        when = f"{fmt.format_date(snapshot.as_of, locale=locale)} {when}"
    age = fmt.format_age((at - snapshot.as_of).total_seconds(), locale=locale)
    return f"Data as of {when} ({age}) · snapshot v{snapshot.version}"


def show_freshness(ctx: LiveContext) -> None:
    """The "data as of" line, and a warning when the refresh has stalled or failed."""
    status, snapshot = ctx.status, ctx.snapshot
    if snapshot is not None:
        st.caption(f":material/schedule: {status_line(snapshot, at=ctx.at)}")
    if status.stale and snapshot is not None:
        st.warning(
            f"**Stale data**: {status.stale_reason}. Showing the last good snapshot "
            f"(v{snapshot.version}, computed "
            f"{fmt.format_time(snapshot.created_at, locale=LOCALE)}).",
            icon=":material/warning:",
        )


def _read_context(settings: Settings, *, needs_snapshot: bool) -> LiveContext:
    with Session(get_engine(settings.database_url)) as session:
        status = refresh_status(session=session, interval_s=settings.refresh_interval_s)
    snapshot = None
    if needs_snapshot and status.snapshot_version is not None:
        snapshot = cached_snapshot(settings.database_url, status.snapshot_version)
    return LiveContext(settings=settings, status=status, snapshot=snapshot, at=now())


def _run_body(
    body: Callable[[LiveContext], None], settings: Settings, needs_snapshot: bool
) -> None:
    try:
        ctx = _read_context(settings, needs_snapshot=needs_snapshot)
    except (DatabaseUnavailable, SQLAlchemyError) as exc:
        _log.warning("cannot read the database: %s", exc)
        st.error(f"Cannot read the database: {_one_line(exc)}", icon=":material/database:")
        return
    except Exception as exc:  # e.g. a snapshot frame that cannot be decoded
        _log.exception("cannot load the newest snapshot")
        st.error(f"Cannot load the newest snapshot: {_one_line(exc)}", icon=":material/error:")
        return
    if needs_snapshot and ctx.snapshot is None:
        st.info(
            "Computing the first snapshot… This page fills in by itself as soon as it is ready.",
            icon=":material/hourglass_top:",
        )
        if ctx.status.last_run_status == "failed":
            st.warning(f"The last refresh failed: {ctx.status.last_error}")
        return
    try:
        show_freshness(ctx)
        body(ctx)
    except Exception as exc:  # a bad snapshot or row must not show users a traceback
        _log.exception("page body failed")
        st.error(
            f"This part of the page could not be drawn: {_one_line(exc)}. The error has been "
            "logged; the rest of the console keeps working.",
            icon=":material/error:",
        )


def live_page(body: Callable[[LiveContext], None], *, needs_snapshot: bool = True) -> None:
    """Run ``body`` now and again every refresh interval, without reloading the page."""
    settings = read_settings()
    if settings is None:
        return

    @st.fragment(run_every=settings.refresh_interval_s)
    def live() -> None:
        _run_body(body, settings, needs_snapshot)

    live()
