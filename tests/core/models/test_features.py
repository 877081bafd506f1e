"""Point-in-time churn features: hand-computed values and a no-leakage property."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.models.features import FEATURE_COLUMNS, churn_features
from core.schema import (
    AdminActivity,
    Booking,
    CsIntervention,
    Invoice,
    NpsResponse,
    Payment,
    Subscription,
    SupportTicket,
    Tenant,
)
from tests.factories import TenantRefs, add_booking, add_payment, add_tenant

T = datetime(2025, 6, 1, 12, 0)


def _booking(
    session: Session,
    refs: TenantRefs,
    start: datetime,
    status: str,
    *,
    updated: datetime | None = None,
    created: datetime | None = None,
    channel: str = "whatsapp",
) -> Booking:
    booking = add_booking(session, refs, start_at=start, status=status, channel=channel)
    if created is not None:
        booking.created_at = created
    # Factories stamp updated_at with the wall clock; history needs its own stamps.
    # A row's last change is never before its creation.
    booking.updated_at = updated or max(
        booking.created_at, min(start + timedelta(hours=1), T - timedelta(minutes=1))
    )
    session.flush()
    return booking


def _invoice(
    session: Session, refs: TenantRefs, issued: date, status: str, updated: datetime
) -> Invoice:
    sub_id = session.scalar(select(Subscription.id).where(Subscription.tenant_id == refs.tenant_id))
    invoice = Invoice(
        tenant_id=refs.tenant_id,
        subscription_id=sub_id,
        period_start=issued,
        issued_on=issued,
        due_on=issued + timedelta(days=10),
        amount_ars=20000,
        status=status,
        attempts=1,
        paid_on=issued + timedelta(days=2) if status == "paid" else None,
        updated_at=updated,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _stamp_subscriptions(session: Session) -> None:
    for sub in session.scalars(select(Subscription)):
        sub.updated_at = T - timedelta(days=400)
    for tenant in session.scalars(select(Tenant)):
        tenant.updated_at = T - timedelta(days=400)
    session.flush()


def _same(before: pd.DataFrame, after: pd.DataFrame) -> None:
    assert list(before.index) == list(after.index)
    for column in FEATURE_COLUMNS:
        for tenant_id in before.index:
            x, y = before.at[tenant_id, column], after.at[tenant_id, column]
            both_missing = pd.isna(x) and pd.isna(y)
            assert both_missing or x == y, (column, tenant_id, x, y)


# ------------------------------------------------------------------ hand-computed


def test_hand_computed_values(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        a = add_tenant(session, 1, signup=date(2024, 1, 10), mrr=25000.0, tier="pro")
        b = add_tenant(session, 2, signup=date(2025, 5, 1), mrr=15000.0, tier="starter")
        add_tenant(session, 3, signup=date(2024, 1, 1), churned_on=date(2025, 3, 1))
        add_tenant(session, 4, signup=date(2025, 6, 2))  # signs up after T
        d = timedelta(days=1)
        # Tenant a, last 28 days: 3 completed, 1 no-show, 1 completed whose outcome was
        # stamped after T (unknown then), 1 entered after T (unknown then).
        for days in (1, 5, 20):
            _booking(session, a, T - days * d, "completed", channel="web")
        _booking(session, a, T - 10 * d, "no_show")
        _booking(session, a, T - 2 * d, "completed", updated=T + timedelta(hours=1))
        _booking(session, a, T - 3 * d, "completed", created=T + timedelta(hours=1))
        _booking(session, a, T - 40 * d, "cancelled", channel="walk_in")
        _booking(session, a, T - 100 * d, "completed")
        _booking(session, a, T + 2 * d, "scheduled", created=T - 5 * d, updated=T - 5 * d)
        # Payments: 2 known (1 rejected), 1 still pending, 1 created after T.
        add_payment(session, a, created_at=T - 3 * d, amount=9000, status="rejected")
        add_payment(session, a, created_at=T - 4 * d, amount=9000)
        add_payment(session, a, created_at=T - 5 * d, amount=9000, status="pending")
        add_payment(session, a, created_at=T + d, amount=9000, status="rejected")
        for payment in session.scalars(select(Payment)):
            payment.updated_at = min(payment.created_at + d, T - timedelta(minutes=1))
        # Invoices: one failed in 180 days, one failed long ago, one failed after T.
        _invoice(session, a, date(2025, 5, 2), "failed", T - 29 * d)
        _invoice(session, a, date(2024, 10, 1), "failed", datetime(2024, 10, 5))
        _invoice(session, a, date(2025, 4, 2), "paid", datetime(2025, 4, 4))
        _invoice(session, a, date(2025, 5, 17), "failed", T + timedelta(hours=1))
        session.add_all(
            [
                NpsResponse(tenant_id=a.tenant_id, responded_at=T - 60 * d, score=9),
                NpsResponse(tenant_id=a.tenant_id, responded_at=T - 10 * d, score=4),
                NpsResponse(tenant_id=a.tenant_id, responded_at=T + d, score=10),
                AdminActivity(tenant_id=a.tenant_id, occurred_at=T - 2 * d, kind="login"),
                AdminActivity(tenant_id=a.tenant_id, occurred_at=T - 30 * d, kind="login"),
                AdminActivity(
                    tenant_id=a.tenant_id, occurred_at=T - d, kind="feature", feature="reports"
                ),
                AdminActivity(
                    tenant_id=a.tenant_id, occurred_at=T - 9 * d, kind="feature", feature="reports"
                ),
                AdminActivity(
                    tenant_id=a.tenant_id, occurred_at=T - 9 * d, kind="feature", feature="payments"
                ),
                SupportTicket(
                    tenant_id=a.tenant_id,
                    opened_at=T - 20 * d,
                    closed_at=T - 18 * d,
                    severity="high",
                    category="billing",
                    subject="x",
                    csat=2,
                    updated_at=T - 18 * d,
                ),
                SupportTicket(
                    tenant_id=a.tenant_id,
                    opened_at=T - 5 * d,
                    closed_at=T + d,
                    severity="low",
                    category="app",
                    subject="y",
                    csat=5,
                    updated_at=T + d,
                ),
                CsIntervention(
                    tenant_id=a.tenant_id,
                    triggered_at=T - 7 * d,
                    reason="usage_drop",
                    playbook="call",
                    arm="treated",
                ),
            ]
        )
        _stamp_subscriptions(session)

    with Session(engine) as session:
        features = churn_features(session=session, as_of=T)
        only_b = churn_features(session=session, as_of=T, tenant_ids=[b.tenant_id])

    assert list(features.index) == [a.tenant_id, b.tenant_id]
    assert list(features.columns) == list(FEATURE_COLUMNS)
    fa, fb = features.loc[a.tenant_id], features.loc[b.tenant_id]
    assert fa["tenure_days"] == (date(2025, 6, 1) - date(2024, 1, 10)).days
    assert fa["tier"] == "pro" and fa["vertical"] == "barbershop"
    assert fa["mrr_ars"] == 25000.0
    assert fa["bookings_last_28d"] == 5
    assert fa["bookings_prev_28d"] == 1
    assert fa["bookings_trend"] == pytest.approx(6 / 2)
    assert fa["no_show_rate_90d"] == pytest.approx(1 / 4)
    assert fa["cancellation_rate_90d"] == pytest.approx(1 / 5)
    assert fa["completed_gmv_28d"] == pytest.approx(27000.0)
    assert fa["online_booking_share_90d"] == pytest.approx(5 / 6)
    assert fa["payment_rejection_rate_90d"] == pytest.approx(1 / 2)
    assert fa["logins_last_28d"] == 1 and fa["logins_prev_28d"] == 1
    assert fa["days_since_last_login"] == pytest.approx(2.0)
    assert fa["distinct_features_used_90d"] == 2
    assert fa["failed_invoices_180d"] == 1
    assert fa["days_since_last_failed_invoice"] == pytest.approx(30.0)
    assert fa["open_tickets"] == 1
    assert fa["high_severity_tickets_90d"] == 1
    assert fa["mean_csat_180d"] == pytest.approx(2.0)
    assert fa["last_nps"] == 4.0
    assert fa["days_since_last_nps"] == pytest.approx(10.0)
    assert fa["days_since_last_cs_touch"] == pytest.approx(7.0)
    # Tenant b: young and quiet; counts are true zeros, the unknowable is NaN.
    assert fb["tenure_days"] == 31 and fb["tier"] == "starter"
    assert fb["bookings_last_28d"] == 0 and fb["failed_invoices_180d"] == 0
    for column in (
        "bookings_vs_own_baseline",
        "no_show_rate_90d",
        "online_booking_share_90d",
        "payment_rejection_rate_90d",
        "mean_csat_180d",
        "last_nps",
        "days_since_last_nps",
        "days_since_last_login",
        "days_since_last_failed_invoice",
        "days_since_last_cs_touch",
    ):
        assert math.isnan(fb[column]), column
    assert list(only_b.index) == [b.tenant_id]
    _same(features.loc[[b.tenant_id]], only_b)


def test_own_baseline_ratio(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, session.begin():
        a = add_tenant(session, 1, signup=date(2024, 1, 10))
        # 2 bookings a week for the 26 weeks of the baseline, 1 a week in the last 4.
        for week in range(26):
            for k in range(2):
                _booking(session, a, T - timedelta(days=28 + 7 * week + 1 + k), "completed")
        for week in range(4):
            _booking(session, a, T - timedelta(days=7 * week + 1), "completed")
    with Session(sqlite_engine) as session:
        features = churn_features(session=session, as_of=T)
    assert features.at[a.tenant_id, "bookings_vs_own_baseline"] == pytest.approx((1 + 1) / (2 + 1))


def test_empty_database(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        features = churn_features(session=session, as_of=T)
    assert features.empty and list(features.columns) == list(FEATURE_COLUMNS)


# ---------------------------------------------------------------------- no leakage


def _build_history(session: Session) -> list[TenantRefs]:
    """Four tenants with a bit of everything before T, and pending things at T."""
    d = timedelta(days=1)
    refs = [
        add_tenant(session, 1, signup=date(2024, 2, 1), tier="pro"),
        add_tenant(session, 2, signup=date(2025, 1, 15), tier="starter", mrr=12000.0),
        add_tenant(session, 3, signup=date(2023, 6, 1), tier="enterprise", mrr=90000.0),
        add_tenant(session, 4, signup=date(2025, 5, 20), tier="pro"),
    ]
    statuses = ["completed", "no_show", "cancelled", "scheduled", "completed"]
    channels = ["web", "app", "walk_in", "whatsapp", "instagram"]
    for n, ref in enumerate(refs):
        for k in range(12):
            start = T - timedelta(days=3 + 11 * k + n)
            _booking(session, ref, start, statuses[(k + n) % 5], channel=channels[k % 5])
        # Appointments around T still scheduled at T.
        _booking(session, ref, T - 2 * d, "scheduled", updated=T - 4 * d)
        _booking(session, ref, T + 3 * d, "scheduled", created=T - d, updated=T - d)
        for k, status in enumerate(["approved", "rejected", "pending", "in_process"]):
            pay = add_payment(
                session, ref, created_at=T - (5 + 9 * k) * d, amount=9000, status=status
            )
            pay.updated_at = pay.created_at + timedelta(hours=2)
        _invoice(session, ref, date(2025, 5, 1), "failed", datetime(2025, 5, 3))
        _invoice(session, ref, date(2025, 5, 25), "open", datetime(2025, 5, 25, 8))
        session.add_all(
            [
                NpsResponse(tenant_id=ref.tenant_id, responded_at=T - (20 + n) * d, score=3 + n),
                AdminActivity(tenant_id=ref.tenant_id, occurred_at=T - (1 + n) * d, kind="login"),
                AdminActivity(
                    tenant_id=ref.tenant_id,
                    occurred_at=T - 3 * d,
                    kind="feature",
                    feature="reports",
                ),
                SupportTicket(
                    tenant_id=ref.tenant_id,
                    opened_at=T - 6 * d,
                    closed_at=None,
                    severity="urgent",
                    category="app",
                    subject="open at T",
                    updated_at=T - 6 * d,
                ),
                SupportTicket(
                    tenant_id=ref.tenant_id,
                    opened_at=T - 30 * d,
                    closed_at=T - 25 * d,
                    severity="low",
                    category="app",
                    subject="closed, survey not answered at T",
                    updated_at=T - 25 * d,
                ),
                CsIntervention(
                    tenant_id=ref.tenant_id,
                    triggered_at=T - (15 + n) * d,
                    reason="usage_drop",
                    playbook="call",
                    arm="treated",
                ),
            ]
        )
    session.flush()
    _stamp_subscriptions(session)
    session.flush()
    return refs


# One future change: (kind, tenant index, minutes at or after T, a free choice).
_future = st.tuples(
    st.sampled_from(
        [
            "new_booking",
            "backdated_booking",
            "resolve_booking",
            "payment",
            "resolve_payment",
            "invoice",
            "resolve_invoice",
            "ticket",
            "close_ticket",
            "answer_csat",
            "login",
            "feature",
            "nps",
            "intervention",
            "churn",
            "plan_change",
            "new_tenant",
        ]
    ),
    st.integers(0, 3),
    st.integers(0, 60 * 24 * 120),
    st.integers(0, 1000),
)


def _apply(session: Session, refs: list[TenantRefs], change: tuple[str, int, int, int]) -> None:
    kind, n, minutes, choice = change
    ref = refs[n]
    tid = ref.tenant_id
    at = T + timedelta(minutes=minutes)
    on = at.date()
    if kind == "new_booking":
        b = _booking(session, ref, at + timedelta(hours=choice % 48), "scheduled", updated=at)
        b.created_at = at
    elif kind == "backdated_booking":  # entered after T for an appointment before T
        start = T - timedelta(hours=1 + choice % 2000)
        status = ("completed", "no_show", "cancelled")[choice % 3]
        _booking(session, ref, start, status, created=at, updated=at)
    elif kind == "resolve_booking":
        pending = session.scalars(
            select(Booking).where(Booking.tenant_id == tid, Booking.status == "scheduled")
        ).all()
        for b in pending:
            b.status = ("completed", "no_show", "cancelled")[choice % 3]
            b.updated_at = max(at, b.start_at)
    elif kind == "payment":
        pay = add_payment(
            session,
            ref,
            created_at=at,
            amount=100 + choice,
            status=("approved", "rejected")[choice % 2],
        )
        pay.updated_at = at
    elif kind == "resolve_payment":
        for pay in session.scalars(
            select(Payment).where(
                Payment.tenant_id == tid, Payment.status.in_(["pending", "in_process"])
            )
        ):
            pay.status = ("approved", "rejected")[choice % 2]
            pay.updated_at = at
    elif kind == "invoice":
        inv = _invoice(session, ref, on, ("failed", "open", "paid")[choice % 3], at)
        inv.updated_at = at
    elif kind == "resolve_invoice":
        for inv in session.scalars(
            select(Invoice).where(Invoice.tenant_id == tid, Invoice.status == "open")
        ):
            inv.status = ("failed", "paid", "retried", "written_off")[choice % 4]
            inv.paid_on = on if inv.status == "paid" else None
            inv.updated_at = at
    elif kind == "ticket":
        session.add(
            SupportTicket(
                tenant_id=tid,
                opened_at=at,
                closed_at=None,
                severity=("low", "medium", "high", "urgent")[choice % 4],
                category="app",
                subject="future",
                updated_at=at,
            )
        )
    elif kind == "close_ticket":
        for ticket in session.scalars(
            select(SupportTicket).where(
                SupportTicket.tenant_id == tid, SupportTicket.closed_at.is_(None)
            )
        ):
            ticket.closed_at = at
            ticket.csat = 1 + choice % 5
            ticket.updated_at = at
    elif kind == "answer_csat":
        for ticket in session.scalars(
            select(SupportTicket).where(
                SupportTicket.tenant_id == tid, SupportTicket.csat.is_(None)
            )
        ):
            if ticket.closed_at is not None:
                ticket.csat = 1 + choice % 5
                ticket.updated_at = at
    elif kind in ("login", "feature"):
        session.add(
            AdminActivity(
                tenant_id=tid,
                occurred_at=at,
                kind=kind,
                feature=("reports", "marketing", "inventory")[choice % 3]
                if kind == "feature"
                else None,
                updated_at=at,
            )
        )
    elif kind == "nps":
        session.add(NpsResponse(tenant_id=tid, responded_at=at, score=choice % 11, updated_at=at))
    elif kind == "intervention":
        session.add(
            CsIntervention(
                tenant_id=tid,
                triggered_at=at,
                reason="risk",
                playbook="call",
                arm="holdout",
                updated_at=at,
            )
        )
    elif kind == "churn":
        tenant = session.get(Tenant, tid)
        assert tenant is not None
        if tenant.churned_on is None:
            tenant.status, tenant.churned_on, tenant.churn_reason = "churned", on, "price"
            for sub in session.scalars(
                select(Subscription).where(
                    Subscription.tenant_id == tid, Subscription.ended_on.is_(None)
                )
            ):
                sub.ended_on = on
    elif kind == "plan_change":
        tier = ("starter", "pro", "enterprise")[choice % 3]
        for sub in session.scalars(
            select(Subscription).where(
                Subscription.tenant_id == tid, Subscription.ended_on.is_(None)
            )
        ):
            sub.ended_on = on
        session.add(
            Subscription(
                tenant_id=tid,
                plan="premium",
                tier=tier,
                mrr_ars=1000.0 + choice,
                started_on=on,
                change_reason="upgrade",
            )
        )
        tenant = session.get(Tenant, tid)
        assert tenant is not None
        tenant.tier = tier
    elif kind == "new_tenant":
        count = session.scalar(select(func.count()).select_from(Tenant)) or 0
        add_tenant(session, 100 + count, signup=on)
    session.flush()


def test_no_leakage_from_rows_at_or_after_as_of(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        refs = _build_history(session)
    with Session(engine) as session:
        before = churn_features(session=session, as_of=T)
    assert len(before) == 4
    assert before["bookings_last_28d"].sum() > 0 and before["last_nps"].notna().all()

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(changes=st.lists(_future, min_size=1, max_size=20))
    def check(changes: list[tuple[str, int, int, int]]) -> None:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                with Session(bind=connection, autoflush=True) as session:
                    for change in changes:
                        _apply(session, refs, change)
                    after = churn_features(session=session, as_of=T)
                    _same(before, after)
            finally:
                transaction.rollback()

    check()
