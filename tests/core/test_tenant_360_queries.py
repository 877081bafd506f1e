"""Tenant 360 queries for known tenants of a small generated set, against pandas on the raw
tables; stored health and churn rows planted by hand; bad ids."""

import sqlite3
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.queries import tenant_360 as q
from core.schema import ChurnScore, HealthScore
from tests.generated_console import TODAY, generated_console


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    shared = tmp_path_factory.getbasetemp() / "generated_console_t360" / "console.db"
    if not shared.exists():  # shared by this helper's test modules in one pytest run
        shared.parent.mkdir(exist_ok=True)
        generated_console(shared)
    target = tmp_path_factory.mktemp("t360") / "copy.db"
    with sqlite3.connect(shared) as source, sqlite3.connect(target) as destination:
        source.backup(destination)
    engine = create_engine_for(f"sqlite:///{target}")
    yield engine
    engine.dispose()


def raw(engine, table: str, tenant_id: int) -> pd.DataFrame:
    frame = pd.read_sql_table(table, engine)
    return frame[frame["tenant_id"] == tenant_id]


def busiest_tenant(engine) -> int:
    tickets = pd.read_sql_table("support_tickets", engine)
    return int(tickets["tenant_id"].value_counts().index[0])


def test_profile_and_history_match_the_raw_tables(engine):
    tenant_id = busiest_tenant(engine)
    with Session(engine) as session:
        data = q.tenant_360(session=session, tenant_id=tenant_id, today=TODAY)
    tenant = pd.read_sql_table("tenants", engine).set_index("id").loc[tenant_id]
    for column in ("trade_name", "legal_name", "cuit", "vertical", "tier", "plan", "province"):
        assert data.profile[column] == tenant[column]
    rollup = raw(engine, "console_rollup_tenant_day", tenant_id)
    rollup = rollup[pd.to_datetime(rollup["day"]) >= pd.Timestamp(TODAY - timedelta(days=365))]
    assert len(data.daily) == len(rollup)
    assert data.daily["gmv_ars"].sum() == pytest.approx(rollup["gmv_ars"].sum())
    tickets = raw(engine, "support_tickets", tenant_id)
    assert sorted(data.tickets["ticket_id"]) == sorted(tickets["id"])[-100:]
    assert len(data.invoices) == min(36, len(raw(engine, "invoices", tenant_id)))
    assert data.invoices["issued_on"].is_monotonic_decreasing
    assert len(data.nps) == len(raw(engine, "nps_responses", tenant_id))
    assert len(data.subscriptions) == len(raw(engine, "subscriptions", tenant_id))
    open_mrr = raw(engine, "subscriptions", tenant_id)
    open_mrr = open_mrr[open_mrr["ended_on"].isna()].sort_values("started_on")["mrr_ars"]
    assert data.profile["mrr_ars"] == (pytest.approx(open_mrr.iloc[-1]) if len(open_mrr) else None)


def test_signals_match_pandas(engine):
    tenant_id = busiest_tenant(engine)
    with Session(engine) as session:
        signals = q.tenant_360(session=session, tenant_id=tenant_id, today=TODAY).signals
    rollup = raw(engine, "console_rollup_tenant_day", tenant_id)
    day = pd.to_datetime(rollup["day"])
    start = pd.Timestamp(TODAY - timedelta(days=29))  # logins: the last 30 days
    # bookings: the 28 days ending yesterday, as every KPI tile, and the 28 days before
    yesterday = pd.Timestamp(TODAY - timedelta(days=1))
    first = yesterday - pd.Timedelta(days=27)
    recent = rollup[(day >= first) & (day <= yesterday)]["bookings"].sum()
    earlier = rollup[(day >= first - pd.Timedelta(days=28)) & (day < first)]["bookings"].sum()
    assert signals["bookings_28d"] == recent and signals["bookings_prev_28d"] == earlier
    assert signals["bookings_window"] == (first.date(), yesterday.date())
    activity = raw(engine, "admin_activity", tenant_id)
    logins = activity[(activity["kind"] == "login") & (activity["occurred_at"] >= start)]
    assert signals["logins_30d"] == len(logins)
    tickets = raw(engine, "support_tickets", tenant_id)
    assert signals["open_tickets"] == tickets["closed_at"].isna().sum()
    nps = raw(engine, "nps_responses", tenant_id).sort_values("responded_at")
    assert signals["last_nps"] == (nps["score"].iloc[-1] if len(nps) else None)


def test_onboarding_history_of_an_activated_tenant(engine):
    sessions = pd.read_sql_table("onboarding_sessions", engine)
    activated = sessions[sessions["status"] == "activated"].iloc[0]
    with Session(engine) as session:
        data = q.tenant_360(session=session, tenant_id=int(activated["tenant_id"]), today=TODAY)
    assert data.onboarding["session_id"].tolist() == [activated["id"]]
    events = pd.read_sql_table("onboarding_step_events", engine)
    assert len(data.onboarding_steps) == (events["session_id"] == activated["id"]).sum()


def test_stored_health_and_churn_are_read_with_their_trend(engine):
    tenant_id = busiest_tenant(engine)
    days = [TODAY - timedelta(days=k) for k in (12, 8, 5, 0)]
    with Session(engine) as session, session.begin():
        for day, score in zip(days, (50.0, 60.0, 65.0, 72.0), strict=True):
            session.add(
                HealthScore(
                    tenant_id=tenant_id, day=day, score=score, band="x", missing=["sentiment"]
                )
            )
        session.add(
            ChurnScore(
                tenant_id=tenant_id,
                scored_at=datetime(2026, 4, 9),
                model_version=3,
                probability=0.31,
                drivers=[
                    {"msgid": "Bookings fell {pct}% in 30 days", "params": {"pct": 40}},
                    "odd",
                ],
            )
        )
    with Session(engine) as session:
        data = q.tenant_360(session=session, tenant_id=tenant_id, today=TODAY)
    assert data.health["score"].tolist() == [50.0, 60.0, 65.0, 72.0]
    # The look-back is 7 to 10 days: day 0 compares with day -8 (60), not day -5: +12.
    assert data.health["delta_7d"].tolist()[-1] == pytest.approx(12.0)
    assert pd.isna(data.health["delta_7d"].tolist()[0])
    assert data.health["missing"].iloc[-1] == ["sentiment"]
    assert data.churn["probability"] == pytest.approx(0.31)
    assert data.churn["drivers"] == ["Bookings fell 40% in 30 days", "odd"]

    # The same trend as core.models.health.score computes.
    from core.models.health.score import health_history

    with Session(engine) as session:
        theirs = health_history(session=session, tenant_id=tenant_id, days=90)
    assert theirs["delta_7d"].tolist()[-1] == pytest.approx(data.health["delta_7d"].tolist()[-1])


def test_unknown_tenant_and_bad_params():
    with pytest.raises(q.TenantNotFoundError):
        engine = create_engine_for("sqlite://")
        from core.schema import Base

        Base.metadata.create_all(engine)
        with Session(engine) as session:
            q.tenant_360(session=session, tenant_id=999_999, today=date(2026, 4, 10))
    assert q.parse_tenant_param("42") == 42
    assert q.parse_tenant_param(" 7 ") == 7
    for bad in ("abc", "-3", "0", "", None, "1.5", "9" * 40, "1e3"):
        assert q.parse_tenant_param(bad) is None


def test_picker_lists_every_tenant(engine):
    with Session(engine) as session:
        choices = q.tenant_choices(session=session)
    assert len(choices) == 30 and choices["trade_name"].is_monotonic_increasing
