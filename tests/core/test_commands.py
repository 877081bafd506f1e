"""core.commands.execute: one transaction, an actor required, domain errors roll back."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.commands import Actor, MissingActorError, actor_for, execute
from core.errors import DomainError
from core.i18n import N_
from core.schema import AuditEvent, ConsoleUser


@dataclass
class WriteThenMaybeFail:
    """Writes an audit row in validate and in run, then fails where it is told to."""

    required_capability = None  # any signed-in user

    fail_in: str | None = None
    seen: list[str] = field(default_factory=list)

    def _write(self, session: Session, actor: Actor, step: str) -> None:
        self.seen.append(step)
        audit.record(session=session, actor_id=actor.user_id, action=step, entity="t", entity_id=1)
        session.flush()
        if self.fail_in == step:
            raise DomainError(
                "test_refused", N_("Alert #{id} does not exist."), {"id": 7}, field="alert"
            )

    def validate(self, *, session: Session, actor: Actor) -> None:
        self._write(session, actor, "validate")

    def run(self, *, session: Session, actor: Actor) -> str:
        self._write(session, actor, "run")
        return f"done by {actor.user_id}"


@pytest.fixture
def engine_with_user(engine: Engine) -> tuple[Engine, int]:
    with Session(engine) as session, session.begin():
        user = ConsoleUser(email="ana@example.com", full_name="Ana", role="admin", active=True)
        session.add(user)
        session.flush()
        return engine, user.id


def audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_a_command_runs_as_its_actor_in_one_transaction(engine_with_user) -> None:  # type: ignore[no-untyped-def]
    engine, user_id = engine_with_user
    command = WriteThenMaybeFail()
    assert execute(command, actor=Actor(user_id), engine=engine) == f"done by {user_id}"
    assert command.seen == ["validate", "run"]
    with Session(engine) as session:
        actors = session.scalars(select(AuditEvent.actor_id)).all()
    assert actors == [user_id, user_id]


@pytest.mark.parametrize("actor", [None, 3, "ana"])
def test_a_missing_actor_is_refused_with_one_message_and_nothing_changed(  # type: ignore[no-untyped-def]
    engine_with_user, actor
) -> None:
    engine, _user_id = engine_with_user
    command = WriteThenMaybeFail()
    with pytest.raises(MissingActorError) as error:
        execute(command, actor=actor, engine=engine)
    assert str(error.value) == "Sign in to make changes."
    assert error.value.code == "actor_missing"
    assert command.seen == []  # neither validate nor run was called
    assert audit_rows(engine) == 0


@pytest.mark.parametrize("step", ["validate", "run"])
def test_a_domain_error_rolls_back_everything(engine_with_user, step) -> None:  # type: ignore[no-untyped-def]
    engine, user_id = engine_with_user
    with pytest.raises(DomainError) as error:
        execute(WriteThenMaybeFail(fail_in=step), actor=Actor(user_id), engine=engine)
    assert (error.value.code, error.value.field, error.value.params) == (
        "test_refused",
        "alert",
        {"id": 7},
    )
    assert audit_rows(engine) == 0


def test_a_domain_error_is_translated_at_the_edge() -> None:
    error = DomainError("x", N_("Alert #{id} does not exist."), {"id": 7})
    assert str(error) == "Alert #7 does not exist."
    assert error.text("es_AR") == "La alerta #7 no existe."
    # Already-rendered text may quote input with braces: no params, no formatting.
    assert DomainError("x", "Bad value {oops}").text("en") == "Bad value {oops}"
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.code, copy.params, str(copy)) == (
        DomainError,
        "x",
        {"id": 7},
        "Alert #7 does not exist.",
    )


def test_actor_for_a_user_id() -> None:
    assert actor_for(None) is None
    assert actor_for(4) == Actor(4)


@dataclass
class AddUser:
    """Adds a console user; a taken e-mail is refused by the unique key at the flush."""

    required_capability = None

    email: str
    translate: bool = True

    def validate(self, *, session: Session, actor: Actor) -> None:
        """The unique key is the check (two writers may race past any read)."""

    def run(self, *, session: Session, actor: Actor) -> int:
        user = ConsoleUser(email=self.email, full_name="Bea", role="cs", active=True)
        session.add(user)
        audit.record(session=session, actor_id=actor.user_id, action="add", entity="u", entity_id=1)
        session.flush()
        return user.id

    def on_commit_error(self, exc: IntegrityError) -> DomainError | None:
        if not self.translate:
            return None
        return DomainError(
            "email_taken", N_("Alert #{id} does not exist."), {"id": self.email}, field="email"
        )


def test_a_refused_write_becomes_the_commands_domain_error(engine_with_user) -> None:  # type: ignore[no-untyped-def]
    engine, user_id = engine_with_user
    execute(AddUser("bea@example.com"), actor=Actor(user_id), engine=engine)
    with pytest.raises(DomainError) as error:
        execute(AddUser("ana@example.com"), actor=Actor(user_id), engine=engine)
    assert (error.value.code, error.value.field) == ("email_taken", "email")
    assert isinstance(error.value.__cause__, IntegrityError)
    assert audit_rows(engine) == 1  # the refused command's audit row was rolled back


def test_a_refused_write_without_a_translation_stays_a_database_error(engine_with_user) -> None:  # type: ignore[no-untyped-def]
    engine, user_id = engine_with_user
    with pytest.raises(IntegrityError):
        execute(AddUser("ana@example.com", translate=False), actor=Actor(user_id), engine=engine)
    with pytest.raises(IntegrityError):  # a command without the hook: unchanged
        execute(_NoHook(), actor=Actor(user_id), engine=engine)
    assert audit_rows(engine) == 0


class _NoHook:
    required_capability = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        pass

    def run(self, *, session: Session, actor: Actor) -> None:
        session.add(ConsoleUser(email="ana@example.com", full_name="A", role="cs", active=True))
        session.flush()
