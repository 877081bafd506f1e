"""Alert rules: each signal opens one alert, updates it, and closes it when it clears."""

from __future__ import annotations

import random
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from core.audit import history
from core.schema import CsAlert, CsIntervention, RollupTenantDay, Tenant
from core.workflows import alerts_signals
from core.workflows.alerts_engine import run_alert_rules
from tests.core.workflows.alerts_fixtures import (
    AT,
    TODAY,
    add_failed_invoice,
    add_nps,
    make_world,
    set_invoice_status,
)


def run(engine: Engine, at=AT, seed: int = 1):  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        return run_alert_rules(session=session, at=at, rng=random.Random(seed))


def alerts(engine: Engine) -> list[CsAlert]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.scalars(select(CsAlert).order_by(CsAlert.id)))


def test_failed_invoice_opens_updates_and_clears(engine: Engine) -> None:
    world = make_world(engine)
    tenant = world.tenants[0]
    first = add_failed_invoice(engine, tenant, issued=TODAY - timedelta(days=5))
    result = run(engine)
    assert len(result.opened) == 1 and result.signals["failed_invoice"] == 1
    (alert,) = alerts(engine)
    assert (alert.tenant_id, alert.reason, alert.status) == (tenant, "failed_invoice", "open")
    assert alert.signal_key == f"invoice:{first}" and alert.assignee_id == world.manager
    assert alert.tasks[0]["text"] == "Call the owner"

    # The same signal again changes nothing; a second failed invoice updates the alert.
    assert run(engine).rows_touched == 0
    second = add_failed_invoice(engine, tenant, issued=TODAY - timedelta(days=1))
    result = run(engine)
    assert result.opened == [] and result.updated == 1
    (alert,) = alerts(engine)
    assert alert.signal_count == 2 and alert.signal_key == f"invoice:{second}"
    assert alert.signal_detail["failed_invoices"] == 2

    # Paid: the signal clears and the alert closes by itself, ledger row included.
    set_invoice_status(engine, first, "paid")
    set_invoice_status(engine, second, "paid")
    assert run(engine).closed == 1
    (alert,) = alerts(engine)
    assert alert.status == "closed" and alert.outcome == "signal_cleared"
    assert alert.open_key is None
    with Session(engine) as session:
        ledger = session.get(CsIntervention, alert.intervention_id)
        assert ledger.outcome == "signal_cleared" and ledger.arm == alert.arm
        actions = [e.action for e in history(session=session, entity="alert", entity_id=alert.id)]
    assert actions == ["alert.open", "alert.update", "alert.close"]


def test_nps_detractor_and_window(engine: Engine) -> None:
    world = make_world(engine)
    add_nps(engine, world.tenants[1], at=AT - timedelta(days=2), score=3)
    add_nps(engine, world.tenants[2], at=AT - timedelta(days=2), score=9)  # promoter
    add_nps(engine, world.tenants[0], at=AT - timedelta(days=45), score=2)  # too old
    result = run(engine)
    assert [(a.tenant_id, a.reason) for a in alerts(engine)] == [
        (world.tenants[1], "nps_detractor")
    ]
    assert result.signals["nps_detractor"] == 1
    (alert,) = alerts(engine)
    assert alert.signal_detail["score"] == 3 and alert.signal_detail["comment"] == "muy caro"
    # 31 days later the answer has left the 30-day window: the signal cleared.
    assert run(engine, at=AT + timedelta(days=31)).closed == 1


def test_no_bookings_reads_the_rollup(engine: Engine) -> None:
    world = make_world(engine)
    quiet = world.tenants[0]
    with Session(engine) as session, session.begin():
        session.execute(
            delete(RollupTenantDay).where(
                RollupTenantDay.tenant_id == quiet, RollupTenantDay.day > TODAY - timedelta(days=20)
            )
        )
    run(engine)
    (alert,) = alerts(engine)
    assert (alert.tenant_id, alert.reason) == (quiet, "no_bookings")
    assert alert.signal_detail["last_booking_day"] == str(TODAY - timedelta(days=20))
    assert alert.signal_detail["days_without"] == 20
    # Bookings come back: the alert closes on the next run.
    with Session(engine) as session, session.begin():
        session.add(RollupTenantDay(tenant_id=quiet, day=TODAY, bookings=2))
    assert run(engine).closed == 1


def test_onboarding_stalled(engine: Engine) -> None:
    world = make_world(engine)
    young = world.tenants[2]
    with Session(engine) as session, session.begin():
        session.get(Tenant, young).signup_date = TODAY - timedelta(days=20)  # type: ignore[union-attr]
        session.execute(
            delete(RollupTenantDay).where(
                RollupTenantDay.tenant_id == young, RollupTenantDay.day < TODAY - timedelta(days=1)
            )
        )  # 2 days x 3 bookings = 6, above the default minimum of 5
    run(engine)
    assert alerts(engine) == []
    with Session(engine) as session, session.begin():
        session.execute(delete(RollupTenantDay).where(RollupTenantDay.tenant_id == young))
        session.add(RollupTenantDay(tenant_id=young, day=TODAY, bookings=1))
    run(engine)
    (alert,) = alerts(engine)
    assert (alert.reason, alert.signal_detail["bookings_since_signup"]) == ("onboarding_stalled", 1)


def test_missing_models_are_skipped_with_a_reason(engine: Engine, monkeypatch) -> None:
    make_world(engine)
    monkeypatch.setattr(alerts_signals, "model_function", lambda module, name: None)
    result = run(engine)
    assert "not available" in result.skipped["health_red"]
    assert "not available" in result.skipped["churn_risk"]
    assert "failed_invoice" not in result.skipped


def fake_models(monkeypatch, health: pd.DataFrame, scores: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    functions = {
        ("health", "latest_health"): lambda *, session: health,
        ("churn", "latest_churn_scores"): lambda *, session: scores,
    }
    monkeypatch.setattr(
        alerts_signals, "model_function", lambda module, name: functions.get((module, name))
    )


def test_health_red_and_churn_threshold_with_model_priority(engine: Engine, monkeypatch) -> None:
    world = make_world(engine)
    a, b, c = world.tenants
    health = pd.DataFrame(
        {
            "tenant_id": [a, b, c],
            "day": [TODAY] * 3,
            "score": [22.0, 55.0, 80.0],
            "band": ["red", "yellow", "green"],
            "trend_7d": ["down", "same", "up"],
        }
    )
    scores = pd.DataFrame(
        {
            "tenant_id": [a, b, c],
            "scored_at": [AT] * 3,
            "probability": [0.3, 0.7, 0.1],
            "model_version": ["v1"] * 3,
            "drivers": [["Bookings fell 40%"], ["Two failed invoices"], []],
        }
    )
    fake_models(monkeypatch, health, scores)
    run(engine)
    got = {(x.tenant_id, x.reason): x for x in alerts(engine)}
    assert set(got) == {(a, "health_red"), (b, "churn_risk")}
    red = got[(a, "health_red")]
    # Priority = MRR at risk x the model's probability.
    assert red.probability_source == "model" and red.priority == pytest.approx(80_000 * 0.3)
    assert red.signal_detail["drivers"] == ["Bookings fell 40%"]
    assert got[(b, "churn_risk")].signal_detail["probability"] == 0.7

    # Health recovers to yellow: that alert closes; the churn alert stays open.
    fake_models(monkeypatch, health.assign(band=["yellow", "yellow", "green"]), scores)
    assert run(engine).closed == 1
    assert {x.reason for x in alerts(engine) if x.status == "open"} == {"churn_risk"}


def test_priority_falls_back_to_the_holdout_churn_prior(engine: Engine) -> None:
    world = make_world(engine)
    add_failed_invoice(engine, world.tenants[0], issued=TODAY)
    run(engine)
    (alert,) = alerts(engine)
    # No model and no scored holdout history: the documented default prior of 0.25.
    assert alert.probability_source == "prior" and alert.churn_probability == 0.25
    assert alert.priority == pytest.approx(80_000 * 0.25)


def test_churned_tenant_closes_its_alerts(engine: Engine) -> None:
    world = make_world(engine)
    add_failed_invoice(engine, world.tenants[0], issued=TODAY)
    run(engine)
    with Session(engine) as session, session.begin():
        tenant = session.get(Tenant, world.tenants[0])
        tenant.status, tenant.churned_on = "churned", TODAY  # type: ignore[union-attr]
    assert run(engine).closed == 1
    assert alerts(engine)[0].outcome == "churned"


def test_a_failing_rule_does_not_stop_the_others(engine: Engine, monkeypatch) -> None:
    world = make_world(engine)
    add_failed_invoice(engine, world.tenants[0], issued=TODAY)

    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(alerts_signals, "nps_detractor", broken)
    result = run(engine)
    assert result.skipped["nps_detractor"] == "failed: RuntimeError: boom"
    assert len(result.opened) == 1


def test_manual_close_is_not_reopened_by_the_same_signal(engine: Engine) -> None:
    from core.commands import Actor, execute
    from core.workflows.alerts_commands import CloseAlert

    world = make_world(engine)
    add_failed_invoice(engine, world.tenants[0], issued=TODAY)
    run(engine)
    alert_id = alerts(engine)[0].id
    execute(
        CloseAlert(alert_id, "resolved", "payment plan agreed"),
        actor=Actor(world.manager),
        engine=engine,
    )
    result = run(engine, at=AT + timedelta(hours=1))
    assert result.blocked == 1 and result.opened == []
    # A different failed invoice is a new signal: a new alert opens.
    add_failed_invoice(engine, world.tenants[0], issued=TODAY + timedelta(days=1))
    assert len(run(engine, at=AT + timedelta(days=1, hours=1)).opened) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(CsAlert)) == 2
