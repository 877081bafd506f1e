"""The write seam: every change made through the console is a command run by :func:`execute`.

A command is an object with ``validate(*, session, actor)`` then ``run(*, session, actor)``
(Apache Superset's commands layer is the model). :func:`execute` runs both in one
transaction: a :class:`~core.errors.DomainError` (or anything else) raised by either rolls
the whole change back. Every command runs with an actor (the signed-in user, or an API
token's user), whom it records in the audit row it writes. Every command declares the
capability it needs (``required_capability``, from ``core.auth.roles``; None for what any
signed-in user may do to their own account): ``execute`` reads the actor's account in the
same transaction and refuses a missing actor, a deactivated account or a role without
that capability before the command sees anything. Checks that depend on the data (a CS
manager's book of business, four eyes on a review) are the command's own, in
``validate``, with ``actor.role`` as the database says it is now.

A command may also define ``on_commit_error(exc) -> DomainError | None``: when the
database refuses the change with an :class:`~sqlalchemy.exc.IntegrityError` (a unique
key taken by a concurrent writer, at a flush or at the commit), the hook turns it into
the domain's sentence; returning None lets the database error through.

Rows that users edit from a form (onboarding sessions with their draft, CS alerts) carry
a ``version``: the command gets the version the form read and calls
:func:`claim_version` before it reads the row, which bumps the version only if it is
still the one the form read (``UPDATE ... WHERE id = ? AND version = ?``). Otherwise it
raises :class:`StaleWriteError` and the whole command changes nothing: of two windows
that read the same version, exactly one write wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth.roles import CAPABILITY_LABELS, ROLE_LABELS, Capability, can
from core.db import write_unit
from core.errors import DomainError
from core.i18n import N_
from core.schema import ConsoleUser

T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a console user (the signed-in user, or an API token's).

    ``role`` is filled in by :func:`execute` from the account as stored, whatever the
    caller passed: commands decide on it, never on a role a page or a client claims.
    """

    user_id: int
    role: str = ""


class Command(Protocol[T_co]):
    """Checks its input against the database, then applies it; writes its audit row."""

    # The capability the actor's role must have; None: any signed-in user.
    required_capability: ClassVar[Capability | None]

    def validate(self, *, session: Session, actor: Actor) -> None: ...

    def run(self, *, session: Session, actor: Actor) -> T_co: ...


class MissingActorError(DomainError):
    """A change was attempted without saying who makes it."""

    def __init__(self) -> None:
        super().__init__("actor_missing", N_("Sign in to make changes."))


class InactiveActorError(DomainError):
    """The acting account does not exist or was deactivated."""

    def __init__(self) -> None:
        super().__init__(
            "actor_inactive",
            N_("Your account is no longer active, so this change was not made."),
        )


class PermissionDeniedError(DomainError):
    """The actor's role may not make this change."""

    def __init__(self, role: str, capability: Capability) -> None:
        super().__init__(
            "permission_denied",
            N_("Your role ({role}) cannot {what}; nothing was changed."),
            {"role": role, "what": CAPABILITY_LABELS[capability]},
        )
        self.capability = capability

    def translated(self, gettext: Callable[[str], str]) -> str:
        # The role and the capability are msgids too: translate them with the sentence.
        role = ROLE_LABELS.get(self.params["role"], self.params["role"])
        return gettext(self.msgid).format(role=gettext(role), what=gettext(self.params["what"]))


class StaleWriteError(DomainError):
    """The row changed since the user's form read it: the write was refused."""

    def __init__(self) -> None:
        super().__init__(
            "stale_write", N_("This changed in another window; reload to see the latest.")
        )


def claim_version(session: Session, model: Any, row_id: int, expected: int | None) -> int | None:
    """Take the row ``row_id`` of ``model`` for this write: bump its ``version``.

    Call it before reading the row in the command: on PostgreSQL the UPDATE also locks
    the row until the commit, so a concurrent writer waits and then finds the version
    moved (READ COMMITTED re-checks the WHERE clause); on SQLite the write unit holds the
    database's write lock already. Rows loaded afterwards must be read with
    ``populate_existing`` (or for the first time) to see the new version.

    Parameters
    ----------
    session
        The command's session (its transaction).
    model
        A mapped class with integer ``id`` and ``version`` columns.
    row_id
        The row to claim.
    expected
        The version the user's form read; None (a script, a job, no form) claims
        whatever version the row has.

    Returns
    -------
    int or None
        The new version, or None when no row has that id (the caller says so its way).

    Raises
    ------
    StaleWriteError
        The row exists but its version is not ``expected``.
    """
    statement = update(model).where(model.id == row_id)
    if expected is not None:
        statement = statement.where(model.version == int(expected))
    new = session.execute(
        statement.values(version=model.version + 1)
        .returning(model.version)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if new is not None:
        return int(new)
    if session.scalar(select(model.id).where(model.id == row_id)) is None:
        return None
    raise StaleWriteError()


def bump_version(row: Any) -> None:
    """Move ``row``'s version on for a change no form asked for (the rules job's).

    Forms that read the old version are stale from the commit on. The increment is done
    by the database (``version = version + 1``), so it never undoes a concurrent bump.
    """
    row.version = type(row).version + 1


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
        with write_unit(engine) as session:
            acting = authorize(command, actor, session=session)
            command.validate(session=session, actor=acting)
            return command.run(session=session, actor=acting)
    except IntegrityError as exc:
        translated = _commit_error(command, exc)
        if translated is None:
            raise
        raise translated from exc


def authorize(command: object, actor: Actor, *, session: Session) -> Actor:
    """The actor as the database knows them, once they may run ``command``.

    Raises InactiveActorError or PermissionDeniedError; a command that declares no
    ``required_capability`` at all is a programming error (refused, never let through).
    """
    if not hasattr(type(command), "required_capability"):
        raise TypeError(f"{type(command).__name__} declares no required_capability")
    user = session.get(ConsoleUser, actor.user_id)
    if user is None or not user.active:
        raise InactiveActorError()
    capability = type(command).required_capability  # type: ignore[attr-defined]
    if capability is not None and not can(user.role, capability):
        raise PermissionDeniedError(user.role, capability)
    return Actor(user.id, user.role)


def _commit_error(command: object, exc: IntegrityError) -> DomainError | None:
    """The command's own sentence for a refused write, if it has one (the optional hook)."""
    hook = getattr(command, "on_commit_error", None)
    return hook(exc) if hook is not None else None


def actor_for(user_id: int | None) -> Actor | None:
    """The actor for a console user id, or None when there is none (``execute`` refuses it)."""
    return Actor(int(user_id)) if user_id is not None else None
