"""Every write command checks the actor's role itself: each command with each role, with
a deactivated account and with no actor. Refused: one message, nothing changed."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import core
from core.auth.access import RecordPersonalDataView
from core.auth.api_tokens import IssueApiToken, RevokeApiToken
from core.auth.roles import ROLES, Capability, can
from core.commands import (
    Actor,
    Command,
    InactiveActorError,
    MissingActorError,
    PermissionDeniedError,
    execute,
)
from core.db import write_unit
from core.errors import DomainError
from core.inflation.table import CpiUpdate
from core.jobs.on_demand import RequestJobRun
from core.models.health.weights import SaveHealthWeights
from core.ops import commands as ops
from core.ops.hardening import HardeningReport, RunHardeningAudit
from core.schema import AuditEvent, ConsoleUser
from core.users import AddUser, AssignBook, ChangeOwnPassword, ChangeUser, ResetPassword
from core.workflows.alerts import commands as alerts
from core.workflows.onboarding.activation import ActivateTenant
from core.workflows.onboarding.drafts import (
    DiscardOnboarding,
    EnterStep,
    StartOnboarding,
    SubmitStep,
)
from core.workflows.onboarding.importer import ImportFiles
from core.workflows.onboarding.initiate import InitiateOnboarding
from core.workflows.onboarding.verification import DecideReview, VerifyOnboarding

# One instance of every command; arguments only need to get past the role check.
EXAMPLES: dict[type, Callable[[], Any]] = {
    CpiUpdate: lambda: CpiUpdate(source="test", levels={date(2026, 1, 1): 100.0}),
    SaveHealthWeights: lambda: SaveHealthWeights("basico", {"usage": 1.0}),
    StartOnboarding: lambda: StartOnboarding(),
    InitiateOnboarding: lambda: InitiateOnboarding({}),
    EnterStep: lambda: EnterStep(1, "business"),
    SubmitStep: lambda: SubmitStep(1, "business", {}),
    DiscardOnboarding: lambda: DiscardOnboarding(1),
    ImportFiles: lambda: ImportFiles(1, {}),
    VerifyOnboarding: lambda: VerifyOnboarding(1),
    ActivateTenant: lambda: ActivateTenant(1),
    DecideReview: lambda: DecideReview(1, True, "ok"),
    alerts.AssignAlert: lambda: alerts.AssignAlert(1, 1),
    alerts.SnoozeAlert: lambda: alerts.SnoozeAlert(1, date(2030, 1, 1), None),
    alerts.EscalateAlert: lambda: alerts.EscalateAlert(1, 1, "why"),
    alerts.LogAction: lambda: alerts.LogAction(1, "call", "note"),
    alerts.SetTask: lambda: alerts.SetTask(1, 0, True),
    alerts.CloseAlert: lambda: alerts.CloseAlert(1, "saved", "note"),
    alerts.UpdateRule: lambda: alerts.UpdateRule("failed_invoice", True, None, None),
    alerts.UpdateSettings: lambda: alerts.UpdateSettings(0.2, 0.0, 7),
    alerts.UpdatePlaybook: lambda: alerts.UpdatePlaybook("failed_invoice", "t", ["a"]),
    alerts.SetNotificationPref: lambda: alerts.SetNotificationPref(1, False, None, None),
    AddUser: lambda: AddUser("x@barberpro.com.ar", "X", "executive"),
    ChangeUser: lambda: ChangeUser("x@barberpro.com.ar", role="executive"),
    ResetPassword: lambda: ResetPassword("x@barberpro.com.ar", "a long new password 2027"),
    ChangeOwnPassword: lambda: ChangeOwnPassword("old one", "a long new password 2027"),
    AssignBook: lambda: AssignBook([1], None),
    RecordPersonalDataView: lambda: RecordPersonalDataView(1, ("cuit",), "tenant-360"),
    RunHardeningAudit: lambda: RunHardeningAudit(HardeningReport(datetime(2026, 1, 1), ())),
    ops.AcknowledgeIncident: lambda: ops.AcknowledgeIncident(1),
    ops.SilenceIncident: lambda: ops.SilenceIncident(1, datetime(2030, 1, 1)),
    ops.ResolveIncident: lambda: ops.ResolveIncident(1, "fixed"),
    ops.ScheduleMaintenance: lambda: ops.ScheduleMaintenance(
        None, datetime(2030, 1, 1), datetime(2030, 1, 1, 1), "upgrade"
    ),
    ops.EndMaintenance: lambda: ops.EndMaintenance(1),
    ops.OverrideMonitor: lambda: ops.OverrideMonitor("disk.free", warning=20.0),
    ops.ResetMonitor: lambda: ops.ResetMonitor("disk.free"),
    IssueApiToken: lambda: IssueApiToken(987_654, "signup flow", 30),
    RevokeApiToken: lambda: RevokeApiToken(987_654),
    RequestJobRun: lambda: RequestJobRun("metrics_refresh"),
}


def every_command_class() -> set[type]:
    """Every class under core/ that is a command (validate and run taking an actor)."""
    found: set[type] = set()
    for module in pkgutil.walk_packages(core.__path__, "core."):
        if module.name.endswith("__main__"):
            continue
        for _name, value in inspect.getmembers(importlib.import_module(module.name)):
            if (
                inspect.isclass(value)
                and value.__module__ == module.name
                and value is not Command  # the protocol itself
                and callable(getattr(value, "validate", None))
                and callable(getattr(value, "run", None))
                and "actor" in inspect.signature(value.run).parameters
            ):
                found.add(value)
    return found


def test_every_command_declares_a_capability_and_has_an_example_here() -> None:
    commands = every_command_class()
    assert commands == set(EXAMPLES), "add the new command to EXAMPLES"
    for command in commands:
        assert hasattr(command, "required_capability"), command.__name__
        capability = command.required_capability
        assert capability is None or isinstance(capability, Capability), command.__name__


@pytest.fixture
def users(engine: Engine) -> dict[str, int]:
    with write_unit(engine) as session:
        rows = {
            role: ConsoleUser(email=f"{role}@b.test", full_name=role, role=role) for role in ROLES
        }
        rows["inactive"] = ConsoleUser(
            email="gone@b.test", full_name="Gone", role="admin", active=False
        )
        session.add_all(rows.values())
        session.flush()
        return {key: user.id for key, user in rows.items()}


def audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.parametrize(
    "command_class", sorted(EXAMPLES, key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_each_role_is_refused_or_let_through_as_its_capability_says(
    engine: Engine, users: dict[str, int], command_class: type
) -> None:
    capability = command_class.required_capability
    for role in ROLES:
        before = audit_rows(engine)
        # The role the caller claims is ignored: the database's role decides.
        actor = Actor(users[role], role="admin")
        allowed = capability is None or can(role, capability)
        try:
            execute(EXAMPLES[command_class](), actor=actor, engine=engine)
        except PermissionDeniedError as error:
            assert not allowed, f"{role} was refused {command_class.__name__}"
            assert error.code == "permission_denied" and role in error.params["role"]
            assert audit_rows(engine) == before
            continue
        except DomainError:
            pass  # let through the role check; refused later on the example's data
        assert allowed, f"{role} was let through {command_class.__name__}"


@pytest.mark.parametrize(
    "command_class", sorted(EXAMPLES, key=lambda c: c.__name__), ids=lambda c: c.__name__
)
def test_no_actor_and_a_deactivated_account_are_refused(
    engine: Engine, users: dict[str, int], command_class: type
) -> None:
    with pytest.raises(MissingActorError):
        execute(EXAMPLES[command_class](), actor=None, engine=engine)
    with pytest.raises(InactiveActorError):
        execute(EXAMPLES[command_class](), actor=Actor(users["inactive"]), engine=engine)
    with pytest.raises(InactiveActorError):
        execute(EXAMPLES[command_class](), actor=Actor(987_654), engine=engine)
    assert audit_rows(engine) == 0


def test_the_refusal_names_the_role_and_what_it_cannot_do_in_the_users_language() -> None:
    error = PermissionDeniedError("executive", Capability.EDIT_SETTINGS)
    assert str(error) == (
        "Your role (Executive) cannot change the console's settings; nothing was changed."
    )
    assert error.text("es_AR") != str(error)
