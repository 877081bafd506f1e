"""The onboarding workflow on a real database: steps, events, verification, activation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.onboarding import activate_concurrently, run_command
from core.audit import history
from core.commands import Actor
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshots import latest_version, load_snapshot
from core.reference.plans import plan_price
from core.schema import (
    AuditEvent,
    ConsoleUser,
    Location,
    OnboardingSession,
    OnboardingStepEvent,
    Service,
    Staff,
    Subscription,
    Tenant,
)
from core.schema.onboarding_wizard import (
    LocationOpeningHours,
    OnboardingReview,
    StaffService,
    StaffWorkingHours,
    TenantIntegration,
)
from core.workflows.onboarding.activation import ActivateTenant
from core.workflows.onboarding.drafts import (
    IDLE_RESTART,
    EnterStep,
    OnboardingError,
    StartOnboarding,
    SubmitStep,
    reachable_steps,
)
from core.workflows.onboarding.samples import clean_steps
from core.workflows.onboarding.steps import DATA_STEPS, StepValidationError
from core.workflows.onboarding.verification import (
    DecideReview,
    VerifyOnboarding,
    describe,
    verification_rate,
)
from tests.factories import add_tenant

T0 = datetime(2026, 3, 2, 10, 0, 0)


def fill(engine, steps=None, *, at=T0, n=1):  # type: ignore[no-untyped-def]
    steps = steps or clean_steps(n=n)
    sid = run_command(engine, StartOnboarding(at=at))
    for i, step in enumerate(DATA_STEPS):
        run_command(
            engine,
            SubmitStep(sid, step, steps[step], locale="en", at=at + timedelta(minutes=i + 1)),
        )
    return sid


def reviewer(engine):  # type: ignore[no-untyped-def]
    """A second onboarding user: a review is decided by someone other than who ran it."""
    with Session(engine) as session, session.begin():
        user = session.scalar(
            select(ConsoleUser).where(ConsoleUser.email == "rev@barberpro.com.ar")
        )
        if user is None:
            user = ConsoleUser(
                full_name="Revisora", email="rev@barberpro.com.ar", role="onboarding"
            )
            session.add(user)
            session.flush()
        return Actor(user.id)


def row(engine, sid):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.get(OnboardingSession, sid)


def test_steps_record_real_durations_and_the_next_step(engine):
    sid = fill(engine)
    with Session(engine) as session:
        events = session.scalars(
            select(OnboardingStepEvent)
            .where(OnboardingStepEvent.session_id == sid)
            .order_by(OnboardingStepEvent.id)
        ).all()
    assert [e.step for e in events] == [*DATA_STEPS, "review"]
    # Each step was entered when the previous one was saved, one minute apart.
    for i, event in enumerate(events[:-1]):
        assert event.entered_at == T0 + timedelta(minutes=i)
        assert event.completed_at == T0 + timedelta(minutes=i + 1)
    assert events[-1].completed_at is None
    saved = row(engine, sid)
    assert saved.current_step == "review"
    assert saved.business_name == "Barbería del Centro 1" and saved.vertical == "barbershop"
    assert saved.draft["contact"]["phone"] == "+5493514000001"
    assert "access_token" not in str(saved.draft["integrations"])  # only a masked hint
    assert saved.draft["integrations"]["mercadopago"]["token"]["hint"].startswith("APP_USR-…")


def test_a_bad_step_saves_nothing_and_lists_every_error(engine):
    sid = run_command(engine, StartOnboarding(at=T0))
    bad = {**clean_steps()["business"], "cuit": "30-71234567-2", "legal_name": " ", "tier": "pro"}
    bad["plan"] = "cadena"
    with pytest.raises(StepValidationError) as caught:
        run_command(engine, SubmitStep(sid, "business", bad, locale="en", at=T0))
    fields = {e.field for e in caught.value.errors}
    assert fields == {"cuit", "legal_name", "tier"}
    assert "check digit" in next(e.message for e in caught.value.errors if e.field == "cuit")
    saved = row(engine, sid)
    assert saved.draft == {"completed": []} and saved.current_step == "business"
    # Spanish by default.
    with pytest.raises(StepValidationError) as caught:
        run_command(engine, SubmitStep(sid, "business", bad, at=T0))
    assert any("dígito verificador" in e.message for e in caught.value.errors)


def test_later_steps_are_locked_and_back_navigation_keeps_the_data(engine):
    sid = run_command(engine, StartOnboarding(at=T0))
    with pytest.raises(OnboardingError) as caught:
        run_command(engine, EnterStep(sid, "services", locale="en", at=T0))
    assert caught.value.code == "step_locked"
    steps = clean_steps()
    run_command(engine, SubmitStep(sid, "business", steps["business"], at=T0))
    run_command(engine, SubmitStep(sid, "contact", steps["contact"], at=T0 + timedelta(minutes=1)))
    run_command(engine, EnterStep(sid, "business", at=T0 + timedelta(minutes=2)))
    saved = row(engine, sid)
    assert saved.current_step == "business"
    assert saved.draft["contact"]["owner_name"] == "Lucía Fernández"
    assert reachable_steps(saved) == ["business", "contact", "locations"]


def test_changing_locations_reopens_the_steps_that_depend_on_them(engine):
    sid = fill(engine, at=T0)
    run_command(engine, VerifyOnboarding(sid, at=T0 + timedelta(minutes=10)))
    steps = clean_steps()
    moved = [{**steps["locations"][0], "name": "Sucursal Norte"}]
    run_command(engine, EnterStep(sid, "locations", at=T0 + timedelta(minutes=11)))
    run_command(engine, SubmitStep(sid, "locations", moved, at=T0 + timedelta(minutes=12)))
    saved = row(engine, sid)
    assert saved.verification_status is None  # must verify again
    assert "hours" not in saved.draft["completed"] and "staff" not in saved.draft["completed"]
    assert saved.current_step == "hours"


def test_resuming_after_a_long_break_starts_a_new_event(engine):
    sid = run_command(engine, StartOnboarding(at=T0))
    run_command(engine, EnterStep(sid, "business", at=T0 + timedelta(minutes=5)))  # same visit
    run_command(engine, EnterStep(sid, "business", at=T0 + IDLE_RESTART + timedelta(hours=20)))
    with Session(engine) as session:
        count = session.scalar(select(func.count()).where(OnboardingStepEvent.session_id == sid))
    assert count == 2


def test_clean_case_is_auto_approved_and_activates_one_tenant(engine):
    with Session(engine) as session:
        session.add(ConsoleUser(id=7, full_name="Ana", email="ana@b.test", role="onboarding"))
        session.commit()
    steps = clean_steps(locations=2, staff_per_location=3)
    sid = fill(engine, steps)
    assert (
        run_command(engine, VerifyOnboarding(sid, at=T0 + timedelta(minutes=9))) == "auto_approved"
    )
    first = run_command(engine, ActivateTenant(sid, at=T0 + timedelta(minutes=10)), Actor(7))
    again = run_command(engine, ActivateTenant(sid, at=T0 + timedelta(minutes=11)), Actor(7))
    assert first.created and not again.created and again.tenant_id == first.tenant_id
    with Session(engine) as session:
        tenant = session.get(Tenant, first.tenant_id)
        assert tenant.cuit == steps["business"]["cuit"] and tenant.province == "Córdoba"
        assert tenant.updated_at == T0 + timedelta(minutes=10)
        tid = tenant.id
        count = lambda model: session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(model.tenant_id == tid)
        )
        assert count(Location) == 2 and count(Service) == 10 and count(Staff) == 6
        assert count(TenantIntegration) == 3
        subscription = session.scalars(
            select(Subscription).where(Subscription.tenant_id == tid)
        ).one()
        assert subscription.mrr_ars == plan_price("cadena", 2, T0.date())
        assert session.scalar(select(func.count()).select_from(LocationOpeningHours)) == 12
        assert session.scalar(select(func.count()).select_from(StaffWorkingHours)) == 30
        assert session.scalar(select(func.count()).select_from(StaffService)) == 60
        staff = session.scalars(select(Staff).where(Staff.tenant_id == tid)).first()
        assert staff.weekly_minutes == 5 * 9 * 60
        events = history(session=session, entity="tenant", entity_id=tid)
        assert [(e.action, e.actor_id) for e in events] == [("tenant.activate", 7)]
        assert events[0].after["staff"] == 6 and events[0].after["onboarding_session_id"] == sid
    saved = row(engine, sid)
    assert (saved.status, saved.tenant_id, saved.current_step) == ("activated", tid, "activation")
    assert saved.activated_at == T0 + timedelta(minutes=10)


def test_two_concurrent_activations_create_exactly_one_tenant(database_url, engine):
    sid = fill(engine)
    run_command(engine, VerifyOnboarding(sid))
    results = activate_concurrently(database_url, sid, submits=2)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.tenant_id for r in results}) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Tenant)) == 1
        activations = select(func.count()).where(AuditEvent.action == "tenant.activate")
        assert session.scalar(activations) == 1


def test_a_cuit_taken_between_verification_and_activation_is_one_clear_message(engine):
    # Two sessions of one business, both verified before either is live: the unique CUIT
    # refuses the second tenant at the insert and the command says why, nothing written.
    steps = clean_steps()
    first, second = fill(engine, steps), fill(engine, steps)
    assert run_command(engine, VerifyOnboarding(first)) == "auto_approved"
    assert run_command(engine, VerifyOnboarding(second)) == "auto_approved"
    assert run_command(engine, ActivateTenant(first)).created
    with pytest.raises(OnboardingError) as caught:
        run_command(engine, ActivateTenant(second, locale="en"))
    assert caught.value.code == "cuit_taken"
    assert steps["business"]["cuit"] in str(caught.value)
    saved = row(engine, second)
    assert (saved.status, saved.tenant_id) == ("in_progress", None)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Tenant)) == 1


def test_duplicates_and_disposable_email_go_to_manual_review(engine):
    steps = clean_steps()
    with Session(engine) as session:
        refs = add_tenant(session, 1, signup=T0.date())
        existing = session.get(Tenant, refs.tenant_id)
        existing.cuit = steps["business"]["cuit"]
        existing.email = steps["contact"]["email"].upper()
        session.commit()
    steps["contact"]["email"] = "lucia@mailinator.com"
    steps["contact"]["email"] = steps["contact"]["email"]
    sid = fill(engine, steps)
    assert run_command(engine, VerifyOnboarding(sid, locale="en")) == "manual_review"
    saved = row(engine, sid)
    assert saved.verification_reasons == "duplicate_cuit,disposable_email"
    texts = [describe(c, "en") for c in saved.draft["verification"]["checks"]]
    assert texts[0].startswith(f"The CUIT {steps['business']['cuit']} already belongs to")
    with pytest.raises(OnboardingError) as caught:
        run_command(engine, ActivateTenant(sid, locale="en"))
    assert caught.value.code == "awaiting_review"


def test_reviewer_approves_or_rejects_with_a_comment(engine):
    steps = clean_steps()
    steps["contact"]["phone"] = "011 15 2345-6789"  # Buenos Aires number, Córdoba shop
    sid = fill(engine, steps)
    assert run_command(engine, VerifyOnboarding(sid)) == "manual_review"
    assert row(engine, sid).verification_reasons == "phone_area_province"
    with pytest.raises(OnboardingError):
        run_command(engine, DecideReview(sid, approve=True, comment="  "), reviewer(engine))
    with pytest.raises(OnboardingError, match="cuatro ojos"):  # who ran it cannot decide it
        run_command(engine, DecideReview(sid, approve=True, comment="Mine"))
    run_command(
        engine, DecideReview(sid, approve=True, comment="Owner lives in CABA"), reviewer(engine)
    )
    saved = row(engine, sid)
    assert saved.verification_status == "approved" and saved.status == "in_progress"
    assert run_command(engine, ActivateTenant(sid)).created

    other = fill(
        engine, {**clean_steps(n=2), "contact": {**steps["contact"], "email": "x@y.com.ar"}}
    )
    run_command(engine, VerifyOnboarding(other))
    run_command(
        engine, DecideReview(other, approve=False, comment="Fake business"), reviewer(engine)
    )
    saved = row(engine, other)
    assert (saved.status, saved.verification_status) == ("rejected", "rejected")
    with Session(engine) as session:
        reviews = session.scalars(select(OnboardingReview).order_by(OnboardingReview.id)).all()
        assert [(r.decision, r.comment) for r in reviews] == [
            ("approved", "Owner lives in CABA"),
            ("rejected", "Fake business"),
        ]
        assert verification_rate(session=session) == (0, 2)


def test_price_outliers_against_the_verticals_medians(engine):
    with Session(engine) as session:
        for i in range(6):
            refs = add_tenant(session, 100 + i, signup=T0.date())
            service = session.get(Service, refs.service_id)
            service.category, service.price_ars = "corte", 12_000.0
        session.commit()
    steps = clean_steps()
    steps["services"][0]["price_ars"] = 60_000.0  # Corte clásico, 5x the median
    sid = fill(engine, steps)
    assert run_command(engine, VerifyOnboarding(sid, locale="en")) == "manual_review"
    check = row(engine, sid).draft["verification"]["checks"][0]
    assert check["code"] == "price_outlier" and check["params"]["service"] == "Corte clásico"
    assert "Corte clásico" in describe(check, "en") and "3×" in describe(check, "en")


def test_the_incremental_refresh_picks_up_the_new_tenant(engine):
    with Session(engine) as session:
        add_tenant(session, 1, signup=T0.date() - timedelta(days=30))
        session.commit()
    refresh_metrics(engine, as_of=T0)
    sid = fill(engine)
    run_command(engine, VerifyOnboarding(sid))
    tenant_id = run_command(engine, ActivateTenant(sid, at=T0 + timedelta(minutes=20))).tenant_id
    result = refresh_metrics(engine, as_of=T0 + timedelta(minutes=21))
    assert result.kind == "incremental"
    with Session(engine) as session:
        snapshot = load_snapshot(session=session, version=latest_version(session=session))
    assert tenant_id in set(snapshot.frames["tenants"]["tenant_id"])
