"""Optimistic locking: of two windows that read the same version, exactly one write wins.

Two threads, each with its own engine (its own connections), write one onboarding
draft, or one alert, at the same moment with the version their form read. On both
backends one commits and the other gets ``stale_write`` and changes nothing.
"""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.onboarding import chain_files, operator, run_command
from core.commands import Actor, StaleWriteError, execute
from core.db import create_engine_for
from core.schema import AuditEvent, CsAlert, OnboardingSession
from core.workflows.alerts.commands import CloseAlert, SnoozeAlert
from core.workflows.alerts.engine import run_alert_rules
from core.workflows.onboarding.drafts import EnterStep, StartOnboarding, SubmitStep
from core.workflows.onboarding.importer import ImportFiles
from core.workflows.onboarding.samples import clean_steps
from tests.core.workflows.alerts_fixtures import AT, TODAY, add_failed_invoice, make_world


def race(url: str, commands: list[object], actor: Actor) -> list[object]:
    """Run each command in its own thread and engine, released together; results in order."""
    engines = [create_engine_for(url) for _ in commands]
    barrier = threading.Barrier(len(commands))
    results: list[object] = [None] * len(commands)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = execute(commands[i], actor=actor, engine=engines[i])  # type: ignore[arg-type]
        except Exception as exc:  # the loser's error is the result under test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    return results


def one_winner(results: list[object]) -> int:
    """The index of the one command that succeeded; the other raised stale_write."""
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], StaleWriteError) and errors[0].code == "stale_write"
    assert str(errors[0]) == "This changed in another window; reload to see the latest."
    return next(i for i, r in enumerate(results) if not isinstance(r, Exception))


def row(engine: Engine, model: type, row_id: int):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        found = session.get(model, row_id)
        session.expunge_all()
        return found


def audit_rows(engine: Engine, action: str) -> int:
    with Session(engine) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
            )
            or 0
        )


def business(name: str) -> dict:  # type: ignore[type-arg]
    return {**clean_steps()["business"], "trade_name": name}


@pytest.fixture
def onboarding(engine: Engine) -> int:
    sid = run_command(engine, StartOnboarding())
    run_command(engine, SubmitStep(sid, "business", business("Original")))
    return sid


def test_two_windows_saving_one_draft_exactly_one_wins(engine, database_url, onboarding):  # type: ignore[no-untyped-def]
    seen = row(engine, OnboardingSession, onboarding).version  # both forms read this
    saves_before = audit_rows(engine, "onboarding.save_step")
    names = ["Barbería Alfa", "Barbería Beta"]
    commands = [
        SubmitStep(onboarding, "business", business(name), expected_version=seen) for name in names
    ]
    winner = one_winner(race(database_url, commands, operator(engine)))  # type: ignore[arg-type]
    after = row(engine, OnboardingSession, onboarding)
    assert after.version == seen + 1
    # The draft and the session row agree, on the winner's name; the loser wrote nothing.
    assert after.business_name == after.draft["business"]["trade_name"] == names[winner]
    assert audit_rows(engine, "onboarding.save_step") == saves_before + 1


def test_a_slow_import_started_before_a_save_is_refused(engine, onboarding):  # type: ignore[no-untyped-def]
    run_command(engine, SubmitStep(onboarding, "contact", clean_steps()["contact"]))
    seen = row(engine, OnboardingSession, onboarding).version  # both tabs show this
    # Tab B saves the business step while tab A's upload is still on its way...
    run_command(
        engine, SubmitStep(onboarding, "business", business("Nuevo"), expected_version=seen)
    )
    saved = row(engine, OnboardingSession, onboarding)
    # ...then tab A's import arrives, carrying the version it read before that save.
    with pytest.raises(StaleWriteError):
        run_command(engine, ImportFiles(onboarding, chain_files(3, 2, 4), expected_version=seen))
    after = row(engine, OnboardingSession, onboarding)
    assert after.draft == saved.draft and after.version == saved.version
    assert after.business_name == after.draft["business"]["trade_name"] == "Nuevo"
    # Reloaded, the import carries the current version and goes in.
    summary = run_command(
        engine, ImportFiles(onboarding, chain_files(3, 2, 4), expected_version=after.version)
    )
    assert summary.locations == 3
    final = row(engine, OnboardingSession, onboarding)
    assert final.draft["business"]["trade_name"] == final.business_name == "Nuevo"


def test_moving_between_steps_does_not_make_forms_stale(engine, onboarding):  # type: ignore[no-untyped-def]
    seen = row(engine, OnboardingSession, onboarding).version
    run_command(engine, EnterStep(onboarding, "business"))  # another tab navigates
    run_command(
        engine, SubmitStep(onboarding, "business", business("Tercera"), expected_version=seen)
    )
    assert row(engine, OnboardingSession, onboarding).business_name == "Tercera"


def open_alert(engine: Engine) -> tuple[int, Actor]:
    """An open alert of a tenant the world's CS manager owns, and that manager."""
    world = make_world(engine)
    add_failed_invoice(engine, world.tenants[0], issued=TODAY)
    with Session(engine) as session, session.begin():
        run = run_alert_rules(session=session, at=AT, rng=random.Random(0))
    return run.opened[0], Actor(world.manager)


def alert_state(alert: CsAlert) -> tuple:  # type: ignore[type-arg]
    return (alert.status, alert.version, alert.snoozed_until, alert.snooze_reason, alert.outcome)


NEXT_YEAR = AT.date().replace(year=AT.year + 1)


def test_two_windows_working_one_alert_exactly_one_wins(engine, database_url):  # type: ignore[no-untyped-def]
    alert_id, manager = open_alert(engine)
    seen = row(engine, CsAlert, alert_id).version  # both cards read this
    changes_before = audit_rows(engine, "alert.close") + audit_rows(engine, "alert.snooze")
    commands: list[object] = [
        CloseAlert(alert_id, "resolved", "called the owner", expected_version=seen),
        SnoozeAlert(alert_id, NEXT_YEAR, "owner on holiday", at=AT, expected_version=seen),
    ]
    winner = one_winner(race(database_url, commands, manager))
    after = row(engine, CsAlert, alert_id)
    assert after.version == seen + 1
    expected = [
        ("closed", "resolved", None),
        ("snoozed", None, "owner on holiday"),
    ][winner]
    assert (after.status, after.outcome, after.snooze_reason) == expected
    changes = audit_rows(engine, "alert.close") + audit_rows(engine, "alert.snooze")
    assert changes == changes_before + 1


def test_a_stale_alert_card_is_refused_and_a_fresh_one_goes_in(engine):  # type: ignore[no-untyped-def]
    alert_id, manager = open_alert(engine)
    seen = row(engine, CsAlert, alert_id).version
    execute(
        SnoozeAlert(alert_id, NEXT_YEAR, "first", at=AT, expected_version=seen),
        actor=manager,
        engine=engine,
    )
    snoozed = row(engine, CsAlert, alert_id)
    with pytest.raises(StaleWriteError):
        execute(
            CloseAlert(alert_id, "resolved", None, expected_version=seen),
            actor=manager,
            engine=engine,
        )
    assert alert_state(row(engine, CsAlert, alert_id)) == alert_state(snoozed)
    execute(
        CloseAlert(alert_id, "resolved", None, expected_version=snoozed.version),
        actor=manager,
        engine=engine,
    )
    assert row(engine, CsAlert, alert_id).status == "closed"
