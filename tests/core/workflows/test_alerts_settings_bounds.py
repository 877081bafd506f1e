"""The alert programme's settings: plausible bounds in core, whatever the widget sends."""

from __future__ import annotations

import pytest

from core.commands import Actor, execute
from core.workflows.alerts.commands import UpdateRule, UpdateSettings
from core.workflows.alerts.config import AlertError, check_settings
from core.workflows.alerts.definitions import RULE_SPECS
from tests.core.workflows.alerts_fixtures import make_world
from tests.db_fingerprint import assert_unchanged, fingerprint

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("share", "priority", "days", "message"),
    [
        (NAN, 0, 7, "holdout share must be between 0% and 50%"),
        (0.6, 0, 7, "holdout share"),
        ("0.1", 0, 7, "holdout share"),
        (True, 0, 7, "holdout share"),
        (0.1, -1, 7, "notification priority must be between 0 and 100000000 ARS"),
        (0.1, 1e300, 7, "notification priority"),
        (0.1, INF, 7, "notification priority"),
        (0.1, NAN, 7, "notification priority"),
        (0.1, 0, NAN, "reopen cooldown must be a whole number of days between 0 and 365"),
        (0.1, 0, INF, "reopen cooldown"),  # int(inf) raised OverflowError
        (0.1, 0, 366, "reopen cooldown"),
        (0.1, 0, 1.5, "reopen cooldown"),
    ],
)
def test_implausible_settings_are_refused(share, priority, days, message):
    with pytest.raises(AlertError, match=message):
        check_settings(share, priority, days)


def test_plausible_settings_pass():
    check_settings(0.0, 0, 0)
    check_settings(0.5, 100_000_000, 365)
    check_settings(0.1, 50_000.0, 30.0)


def test_the_command_refuses_them_and_changes_nothing(engine):
    world = make_world(engine, tenants=1)
    admin = Actor(world.admin)
    before = fingerprint(engine)
    for bad in (UpdateSettings(0.1, NAN, 30), UpdateSettings(0.1, 0.0, INF)):
        with pytest.raises(AlertError):
            execute(bad, actor=admin, engine=engine)
    reason, spec = next((r, s) for r, s in RULE_SPECS.items() if s.threshold)
    for value in (NAN, INF, 1e300, spec.threshold.maximum + 1):  # type: ignore[union-attr]
        with pytest.raises(AlertError):
            execute(UpdateRule(reason, True, value, spec.days.default if spec.days else None),
                    actor=admin, engine=engine)  # fmt: skip
    assert_unchanged(engine, before)
    execute(UpdateSettings(0.2, 75_000.0, 14), actor=admin, engine=engine)
