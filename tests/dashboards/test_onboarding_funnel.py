"""Onboarding Funnel: every number against pandas on the raw onboarding rows of a small
generated data set, plus hand-made sessions for the stalled and edge cases."""

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.formatting import MISSING
from core.metrics.registry import METRICS
from core.metrics.snapshots import latest_detail_version, load_snapshot
from dashboards import onboarding_funnel as funnel
from dashboards.filters import Filters
from dashboards.kit import format_minutes
from tests.generated_console import AS_OF, TODAY, generated_console

PERIOD = Filters(start=TODAY - timedelta(days=179), end=TODAY)


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "generated_console_t360" / "console.db"
    if not path.exists():  # shared by this helper's test modules in one pytest run
        path.parent.mkdir(exist_ok=True)
        generated_console(path)
    engine = create_engine_for(f"sqlite:///{path}")
    with Session(engine) as session:
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
    raw = {
        name: pd.read_sql_table(name, engine)
        for name in ("onboarding_sessions", "onboarding_step_events", "bookings")
    }
    engine.dispose()
    return detail, raw


def raw_cohort(raw, filters: Filters) -> pd.DataFrame:
    sessions = raw["onboarding_sessions"]
    started = pd.to_datetime(sessions["started_at"])
    keep = (started >= pd.Timestamp(filters.start)) & (
        started < pd.Timestamp(filters.end) + pd.Timedelta(days=1)
    )
    if filters.tiers:
        keep &= sessions["tier"].isin(filters.tiers)
    return sessions[keep]


@pytest.mark.parametrize(
    "filters", [PERIOD, PERIOD.with_(tiers=("starter",))], ids=["all", "starter"]
)
def test_tiles_match_pandas_on_the_raw_rows(console, filters):
    detail, raw = console
    cohort = raw_cohort(raw, filters)
    assert len(cohort) > 5, "the generated set should have onboarding history"
    values = funnel.summarize(
        funnel.select_sessions(detail.frames["onboarding_funnel_sessions"], filters), AS_OF
    )
    activated = cohort[cohort["status"] == "activated"]
    finished = cohort["status"].isin(["activated", "abandoned", "rejected"]).sum()
    assert values["sessions_started"] == len(cohort)
    assert values["activated"] == len(activated)
    assert values["success_rate"] == pytest.approx(len(activated) / finished)
    to_activate = (activated["activated_at"] - activated["started_at"]).dt.total_seconds() / 60
    assert values["median_time_to_activate"] == pytest.approx(to_activate.median())
    verdicts = cohort["verification_status"]
    auto, approved = (
        (verdicts == "auto_approved").sum(),
        verdicts.isin(["auto_approved", "approved"]).sum(),
    )
    assert values["auto_verification_rate"] == pytest.approx(auto / approved)

    bookings = raw["bookings"]
    waits = []
    for row in activated.itertuples():
        own = bookings[
            (bookings["tenant_id"] == row.tenant_id) & (bookings["created_at"] >= row.activated_at)
        ]
        if not own.empty:
            waits.append((own["created_at"].min() - row.activated_at).total_seconds() / 3600)
    assert waits and values["median_time_to_first_booking"] == pytest.approx(
        pd.Series(waits).median()
    )


def test_step_table_matches_pandas(console):
    detail, raw = console
    cohort = raw_cohort(raw, PERIOD)
    sessions = funnel.select_sessions(detail.frames["onboarding_funnel_sessions"], PERIOD)
    table = funnel.step_table(sessions, detail.frames["onboarding_funnel_steps"], locale="en")
    events = raw["onboarding_step_events"]
    events = events[events["session_id"].isin(cohort["id"])]
    entered = events.groupby("step")["session_id"].nunique()
    completed = events.dropna(subset=["completed_at"]).groupby("step")["session_id"].nunique()
    by_step = table.set_index("step")
    assert list(table["step"]) == [s for s in funnel.STEP_TITLES if s in entered.index]
    for step in entered.index:
        assert by_step.loc[step, "entered"] == entered[step]
        assert by_step.loc[step, "completed"] == completed.get(step, 0)
        assert by_step.loc[step, "share_of_started"] == pytest.approx(entered[step] / len(cohort))
    business = events[events["step"] == "business"].dropna(subset=["completed_at"])
    minutes = (business["completed_at"] - business["entered_at"]).dt.total_seconds() / 60
    assert by_step.loc["business", "median_minutes"] == pytest.approx(minutes.median())
    # A funnel only narrows: no step is entered by more sessions than the one before.
    assert table["entered"].is_monotonic_decreasing


def test_tiles_have_definitions_and_deltas(console):
    detail, _raw = console
    tiles = funnel.build_tiles(
        detail.frames["onboarding_funnel_sessions"], PERIOD, at=AS_OF, locale="en"
    )
    assert [t.label for t in tiles] == [METRICS[k].label for k in funnel.TILE_KEYS]
    assert all(t.help for t in tiles)
    assert tiles[0].delta is not None and tiles[-1].delta is None  # stalled: a state now
    assert "24 hours" in tiles[-1].help


def hand_sessions() -> pd.DataFrame:
    t = datetime(2026, 4, 10, 12, 0)
    rows = [
        # id, status, verification, started, activated, last activity, first booking
        (1, "activated", "auto_approved", t - timedelta(hours=5), t - timedelta(hours=4), t, t),
        (2, "activated", "approved", t - timedelta(hours=9), t - timedelta(hours=6), t, None),
        (3, "abandoned", None, t - timedelta(days=2), None, t - timedelta(days=2), None),
        (4, "in_progress", None, t - timedelta(days=3), None, t - timedelta(hours=30), None),
        (
            5,
            "in_progress",
            "manual_review",
            t - timedelta(hours=3),
            None,
            t - timedelta(hours=2),
            None,
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "session_id",
            "status",
            "verification_status",
            "started_at",
            "activated_at",
            "last_activity_at",
            "first_booking_at",
        ],
    )
    frame["tier"], frame["vertical"] = "pro", "salon"
    frame["business_name"], frame["trade_name"] = "Negocio", "Negocio"
    frame["tenant_id"] = pd.array([10, 11, None, None, None], dtype="Int64")
    frame["assisted"], frame["current_step"] = False, "review"
    for column in ("started_at", "activated_at", "last_activity_at", "first_booking_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def test_hand_made_sessions():
    sessions, at = hand_sessions(), datetime(2026, 4, 10, 12, 0)
    values = funnel.summarize(sessions, at)
    assert values["success_rate"] == pytest.approx(2 / 3)  # in-progress sessions left out
    assert values["median_time_to_activate"] == pytest.approx(120.0)  # 60 and 180 min
    assert values["auto_verification_rate"] == pytest.approx(0.5)
    assert values["median_time_to_first_booking"] == pytest.approx(4.0)
    assert values["stalled"] == 1  # session 4: idle 30 h; session 5 idle only 2 h
    stalled = funnel.stalled_table(sessions, at=at, locale="en")
    assert list(stalled["session_id"]) == [4] and stalled["idle_hours"][0] == pytest.approx(30)
    table = funnel.session_table(sessions, at=at, locale="en")
    links = table.set_index("session_id")["tenant"]
    assert links[1].startswith("/tenant-360?tenant=10") and links[3] is None


def test_empty_selection_draws_messages_not_empty_charts():
    empty = hand_sessions().iloc[0:0]
    table = funnel.step_table(empty, pd.DataFrame(columns=["session_id"]), locale="en")
    for figure in (
        funnel.funnel_figure(table, locale="en"),
        funnel.step_time_figure(table, locale="en"),
        funnel.outcomes_figure(empty, locale="en"),
    ):
        assert figure.layout.annotations[0].text == "No data for these filters"
    values = funnel.summarize(empty, datetime(2026, 4, 10))
    assert values["success_rate"] is None and values["sessions_started"] == 0


def test_minutes_read_naturally():
    assert format_minutes(42, locale="en") == "42 min"
    assert format_minutes(210, locale="es_AR") == "3,5 h"
    assert format_minutes(3 * 1440, locale="en") == "3.0 d"
    assert format_minutes(None, locale="en") == MISSING


def test_previous_period_has_the_same_length():
    previous = funnel.previous_period(Filters(start=date(2026, 3, 1), end=date(2026, 3, 31)))
    assert (previous.start, previous.end) == (date(2026, 1, 29), date(2026, 2, 28))
