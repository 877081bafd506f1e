"""Health score: components by hand, re-weighting, bands, point in time, storage, trend."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.models.health.job import days_to_compute, update_health_scores, wanted_days
from core.models.health.score import (
    SCORE_COLUMNS,
    band_of,
    combine,
    health_history,
    health_scores_as_of,
    latest_health,
    store_scores,
    trend_of,
)
from core.schema import (
    AdminActivity,
    CsIntervention,
    HealthScore,
    Invoice,
    NpsResponse,
    Subscription,
    SupportTicket,
)
from tests.factories import TenantRefs, add_booking, add_tenant

D = date(2025, 6, 1)
T = datetime(2025, 6, 1)
DAY = timedelta(days=1)
PRO = {"usage": 25, "adoption": 20, "billing": 15, "support": 10, "sentiment": 10,
       "relationship": 5, "client_base": 15}  # fmt: skip


def _booking(session: Session, refs: TenantRefs, start: datetime, channel: str = "web") -> None:
    booking = add_booking(session, refs, start_at=start, channel=channel)
    booking.updated_at = start + timedelta(hours=1)  # outcome known an hour later
    session.flush()


def _invoice(
    session: Session,
    refs: TenantRefs,
    issued: date,
    status: str,
    *,
    paid: date | None = None,
    updated: datetime | None = None,
) -> None:
    sub_id = session.scalar(select(Subscription.id).where(Subscription.tenant_id == refs.tenant_id))
    session.add(
        Invoice(
            tenant_id=refs.tenant_id,
            subscription_id=sub_id,
            period_start=issued,
            issued_on=issued,
            due_on=issued + timedelta(days=10),
            amount_ars=20000,
            status=status,
            paid_on=paid,
            updated_at=updated or datetime.combine(issued, datetime.min.time()) + 2 * DAY,
        )
    )


def build_scenario(session: Session) -> tuple[TenantRefs, TenantRefs]:
    """Tenant a (pro, every signal known) and b (starter, 20 days old, nearly silent)."""
    a = add_tenant(session, 1, signup=date(2024, 1, 10), tier="pro")
    b = add_tenant(session, 2, signup=D - 20 * DAY, tier="starter")
    # Baseline: one booking a week for 26 weeks before the last 28 days (weekly mean 1);
    # last 28 days: 4 (2 web, 2 walk-in), so the ratio is (4/4 + 1) / (1 + 1) = 1.
    for k in range(26):
        _booking(session, a, T - (31 + 7 * k) * DAY)
    for days, channel in ((3, "web"), (10, "web"), (17, "walk_in"), (24, "walk_in")):
        _booking(session, a, T - days * DAY, channel)
    session.add_all(
        [AdminActivity(tenant_id=a.tenant_id, occurred_at=T - (k + 1) * DAY, kind="login")
         for k in range(15)]
        + [
            AdminActivity(tenant_id=a.tenant_id, occurred_at=T - 10 * DAY, kind="feature",
                          feature="reminders"),
            AdminActivity(tenant_id=a.tenant_id, occurred_at=T - 100 * DAY, kind="feature",
                          feature="payments"),  # older than 90 days: not counted
            NpsResponse(tenant_id=a.tenant_id, responded_at=T - 30 * DAY, score=8),
            SupportTicket(tenant_id=a.tenant_id, opened_at=T - 5 * DAY, severity="low",
                          category="app", subject="open"),
            SupportTicket(tenant_id=a.tenant_id, opened_at=T - 25 * DAY, closed_at=T - 20 * DAY,
                          severity="high", category="billing", subject="x", csat=4,
                          updated_at=T - 20 * DAY),
            CsIntervention(tenant_id=a.tenant_id, triggered_at=T - 60 * DAY, reason="usage",
                           playbook="call", arm="treated"),
        ]
    )  # fmt: skip
    _invoice(session, a, D - 100 * DAY, "paid", paid=D - 95 * DAY)  # on time
    _invoice(session, a, D - 70 * DAY, "paid", paid=D - 50 * DAY)  # late
    _invoice(session, a, D - 40 * DAY, "failed")
    _invoice(session, a, D - 20 * DAY, "open", updated=T - 20 * DAY)  # past due at T
    _invoice(session, a, D - 300 * DAY, "failed")  # older than 180 days
    session.flush()
    return a, b


def expected_a() -> dict[str, float]:
    return {
        "usage_score": (1.0 - 0.5) / 0.6 * 100,
        "adoption_score": ((11 / 13 - 0.3) / 0.6 * 100 + 100 + 0 + 15 / 30 * 100) / 4,
        "billing_score": 100 - 40 * 1 - 15 * 2,
        "support_score": ((100 - 25 - 20) + (4 - 1) / 4 * 100) / 2,
        "sentiment_score": 80.0,
        "relationship_score": (180 - 60) / 150 * 100,
    }


@pytest.fixture
def scenario(engine: Engine) -> tuple[Engine, TenantRefs, TenantRefs]:
    with Session(engine) as session, session.begin():
        a, b = build_scenario(session)
    return engine, a, b


def test_components_by_hand(scenario) -> None:
    engine, a, b = scenario
    with Session(engine) as session:
        scores = health_scores_as_of(session, D).set_index("tenant_id")
    ra, rb = scores.loc[a.tenant_id], scores.loc[b.tenant_id]
    for column, value in expected_a().items():
        assert ra[column] == pytest.approx(value), column
    # One client only: the client base cannot be modelled and is left out.
    assert math.isnan(ra["client_base_score"])
    assert ra["missing"] == ["client_base"]
    parts = {c.removesuffix("_score"): v for c, v in expected_a().items()}
    total = sum(PRO[c] for c in parts)
    assert ra["score"] == pytest.approx(sum(PRO[c] * v for c, v in parts.items()) / total)
    assert ra["tier"] == "pro" and ra["band"] == band_of(ra["score"])
    # b: no baseline, invoice, NPS or clients; adoption 0, support 100, touched at signup.
    assert rb["missing"] == ["usage", "billing", "sentiment", "client_base"]
    assert rb["adoption_score"] == 0 and rb["support_score"] == 100
    assert rb["relationship_score"] == 100
    assert rb["score"] == pytest.approx((15 * 0 + 10 * 100 + 5 * 100) / 30)
    assert rb["band"] == "yellow"


def test_rows_after_as_of_change_nothing(scenario) -> None:
    engine, a, b = scenario
    with Session(engine) as session:
        before = health_scores_as_of(session, D)
    with Session(engine) as session, session.begin():
        for refs in (a, b):
            for days in (0, 1, 5):
                _booking(session, refs, T + days * DAY, "walk_in")
            session.add_all(
                [
                    NpsResponse(tenant_id=refs.tenant_id, responded_at=T, score=0),
                    SupportTicket(tenant_id=refs.tenant_id, opened_at=T + DAY, severity="urgent",
                                  category="app", subject="later"),
                    CsIntervention(tenant_id=refs.tenant_id, triggered_at=T, reason="x",
                                   playbook="call", arm="treated"),
                    AdminActivity(tenant_id=refs.tenant_id, occurred_at=T, kind="feature",
                                  feature="payments"),
                ]
            )  # fmt: skip
            _invoice(session, refs, D, "failed", updated=T + DAY)
    with Session(engine) as session:
        after = health_scores_as_of(session, D)
    pd.testing.assert_frame_equal(before, after)


def test_missing_component_reweights_the_rest() -> None:
    components = pd.DataFrame(
        [[80.0, 60.0, float("nan"), 100.0, 50.0, 0.0, 90.0]], columns=list(SCORE_COLUMNS)
    )
    out = combine(components, pd.Series(["pro"]))
    present = {"usage": 80, "adoption": 60, "support": 100, "sentiment": 50,
               "relationship": 0, "client_base": 90}  # fmt: skip
    expected = sum(PRO[c] * v for c, v in present.items()) / (100 - PRO["billing"])
    assert out.loc[0, "score"] == pytest.approx(expected)
    assert out.loc[0, "missing"] == ["billing"]
    # Every weighted component missing: no score, no band.
    none = combine(components.assign(usage_score=float("nan")), pd.Series(["x"]),
                   {"starter": {"usage": 1.0}})  # fmt: skip
    assert math.isnan(none.loc[0, "score"]) and none.loc[0, "band"] is None


def test_bands_and_trend_thresholds() -> None:
    assert [band_of(s) for s in (0, 39.99, 40, 69.99, 70, 100)] == [
        "red", "red", "yellow", "yellow", "green", "green",
    ]  # fmt: skip
    assert band_of(float("nan")) is None
    assert [trend_of(d) for d in (3.01, 3.0, -3.0, -3.01)] == ["up", "same", "same", "down"]
    assert trend_of(float("nan")) is None


def test_wanted_days_are_daily_then_mondays() -> None:
    days = wanted_days(date(2026, 11, 26))  # a Thursday
    assert days[-14:] == [date(2026, 11, 26) - k * DAY for k in range(13, -1, -1)]
    older = [d for d in days if d < date(2026, 11, 13)]
    assert older and all(d.weekday() == 0 for d in older)
    assert older[0] >= date(2026, 11, 26) - 120 * DAY


def test_job_is_idempotent_and_redoes_today_after_a_weight_edit(scenario) -> None:
    from core.commands import Actor, execute
    from core.models.health.weights import SaveHealthWeights
    from core.schema import ConsoleUser

    engine, a, _b = scenario
    first = update_health_scores(engine, today=D)
    assert [date.fromisoformat(d) for d in first["days"]] == wanted_days(D)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(HealthScore))
        stored = session.scalars(select(HealthScore).where(HealthScore.day == D)).all()
        assert count == first["rows"] and len(stored) == 2
        assert days_to_compute(session=session, today=D) == []
    again = update_health_scores(engine, today=D)
    assert again["days"] == [] and again["rows"] == 0
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(HealthScore)) == count
    with Session(engine) as session, session.begin():
        session.add(ConsoleUser(id=1, full_name="Lía", email="lia@b.test", role="admin"))
    execute(SaveHealthWeights("pro", {"usage": 1}), actor=Actor(1), engine=engine)
    with Session(engine) as session:
        # Re-scored at once from the stored components: a's score is its usage score now.
        row = session.get(HealthScore, (a.tenant_id, D))
        assert row is not None and row.score == pytest.approx(expected_a()["usage_score"])
        assert days_to_compute(session=session, today=D) == [D]
    third = update_health_scores(engine, today=D)
    assert third["days"] == [D.isoformat()] and third["rows"] == 2


def test_latest_and_history_with_trend(engine: Engine) -> None:
    def frame(tenant_scores: dict[int, float]) -> pd.DataFrame:
        rows = []
        for tenant_id, score in tenant_scores.items():
            row = {c: 50.0 for c in SCORE_COLUMNS}
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "tier": "pro",
                    "score": score,
                    "band": band_of(score),
                    "missing": [],
                    "expected_active_clients": None,
                    "share_clients_lapsed": None,
                    **row,
                }
            )
        return pd.DataFrame(rows)  # fmt: skip

    with Session(engine) as session, session.begin():
        store_scores(session=session, day=D - 9 * DAY, scores=frame({1: 50.0, 2: 50.0, 3: 10.0}))
        store_scores(session=session, day=D - 7 * DAY, scores=frame({1: 60.0, 2: 60.0}))
        store_scores(session=session, day=D, scores=frame({1: 70.0, 2: 58.0}))
        store_scores(session=session, day=D, scores=frame({1: 72.0, 2: 58.0}))  # replaces
    with Session(engine) as session:
        latest = latest_health(session=session).set_index("tenant_id")
        history = health_history(session=session, tenant_id=1, days=30)
    assert latest.loc[1, "score"] == 72.0 and latest.loc[1, "trend_7d"] == "up"
    assert latest.loc[1, "delta_7d"] == pytest.approx(12.0)
    assert latest.loc[2, "trend_7d"] == "same"  # 58 vs 60: within 3 points
    assert latest.loc[3, "day"] == D - 9 * DAY and pd.isna(latest.loc[3, "trend_7d"])
    assert list(history["day"]) == [D - 9 * DAY, D - 7 * DAY, D]
    assert list(history["score"]) == [50.0, 60.0, 72.0]
    assert [t if isinstance(t, str) else None for t in history["trend_7d"]] == [None, None, "up"]
