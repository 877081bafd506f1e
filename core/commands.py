"""The write seam: every change made through the console is a command run by :func:`execute`.

A command is an object with ``validate(*, session, actor)`` then ``run(*, session, actor)``
(Apache Superset's commands layer is the model). :func:`execute` runs both in one
transaction: a :class:`~core.errors.DomainError` (or anything else) raised by either rolls
the whole change back. Every command runs with an actor, whom the command records in the
audit row it writes; ``execute`` refuses to run without one. Role checks belong to the
commands and arrive with sign-in; until then the actor is the operator chosen in the
sidebar.

A command may also define ``on_commit_error(exc) -> DomainError | None``: when the
database refuses the change with an :class:`~sqlalchemy.exc.IntegrityError` (a unique
key taken by a concurrent writer, at a flush or at the commit), the hook turns it into
the domain's sentence; returning None lets the database error through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import unit_of_work
from core.errors import DomainError
from core.i18n import N_

T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a console user (the signed-in user, later an API token's)."""

    user_id: int


class Command(Protocol[T_co]):
    """Checks its input against the database, then applies it; writes its audit row."""

    def validate(self, *, session: Session, actor: Actor) -> None: ...

    def run(self, *, session: Session, actor: Actor) -> T_co: ...


class MissingActorError(DomainError):
    """A change was attempted without saying who makes it."""

    def __init__(self) -> None:
        super().__init__(
            "actor_missing",
            N_("Choose who you are working as (Working as, in the sidebar) before saving."),
        )


def execute(command: Command[T_co], *, actor: Actor | None, engine: Engine | None = None) -> T_co:
    """Validate and run ``command`` as ``actor`` in one transaction; return what it returns.

    Raises :class:`MissingActorError` before touching the database when ``actor`` is not
    an :class:`Actor`; a DomainError from ``validate`` or ``run`` rolls everything back,
    and so does an IntegrityError, raised as the command's ``on_commit_error`` says.
    ``engine`` defaults to the configured database.
    """
    if not isinstance(actor, Actor):
        raise MissingActorError()
    try:
        with unit_of_work(engine) as session:
            command.validate(session=session, actor=actor)
            return command.run(session=session, actor=actor)
    except IntegrityError as exc:
        translated = _commit_error(command, exc)
        if translated is None:
            raise
        raise translated from exc


def _commit_error(command: object, exc: IntegrityError) -> DomainError | None:
    """The command's own sentence for a refused write, if it has one (the optional hook)."""
    hook = getattr(command, "on_commit_error", None)
    return hook(exc) if hook is not None else None


def actor_for(user_id: int | None) -> Actor | None:
    """The actor for a console user id, or None when there is none (``execute`` refuses it)."""
    return Actor(int(user_id)) if user_id is not None else None
