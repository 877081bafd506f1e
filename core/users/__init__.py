"""Console accounts: add, change, deactivate and reset users, and their books of business.

The page (Users, admins only) runs these as commands with the signed-in actor; the
command line (``python -m core.users``), whose trust is shell access to the server, calls
the same functions with no actor and an audit comment naming the OS user. Passwords
are checked against ``core.auth.passwords``' rules and stored only as argon2id hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.audit import record
from core.auth.passwords import check_password, hash_password, verify_password
from core.auth.roles import ROLES, Capability
from core.auth.sessions import revoke_user_sessions
from core.clock import now
from core.commands import Actor
from core.errors import DomainError
from core.i18n import N_
from core.schema import ConsoleUser, Tenant
from core.validation import ValidationError
from core.validation.contact import validate_email


class UserError(DomainError):
    def __init__(self, message: str, field: str | None = None, **params: Any) -> None:
        super().__init__("user", message, params, field=field)


def _state(user: ConsoleUser) -> dict[str, Any]:
    return {"email": user.email, "name": user.full_name, "role": user.role, "active": user.active}


def _clean_email(email: str) -> str:
    text = (email or "").strip().lower()
    try:
        validate_email(text, locale="en")
    except ValidationError:
        raise UserError(N_("{email} is not a valid e-mail address."), "email", email=text) from None
    return text


def _clean_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(N_("The role must be one of: {roles}."), "role", roles=", ".join(ROLES))
    return role


def _clean_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text or len(text) > 120:
        raise UserError(N_("Give a name of 1 to 120 characters."), "name")
    return text


def find_user(*, session: Session, email: str) -> ConsoleUser | None:
    key = (email or "").strip().lower()
    return session.scalar(select(ConsoleUser).where(func.lower(ConsoleUser.email) == key))


def _existing(session: Session, email: str) -> ConsoleUser:
    user = find_user(session=session, email=email)
    if user is None:
        raise UserError(N_("No console user has the e-mail {email}."), "email", email=email)
    return user


def _other_admins(session: Session, user: ConsoleUser) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                ConsoleUser.role == "admin",
                ConsoleUser.active.is_(True),
                ConsoleUser.id != user.id,
            )
        )
        or 0
    )


# ------------------------------------------------------------ shared operations


def add_user(
    *,
    session: Session,
    email: str,
    name: str,
    role: str,
    password: str | None,
    actor_id: int | None,
    comment: str | None = None,
) -> ConsoleUser:
    """Create an active account (password optional: SSO-only users have none)."""
    email, name, role = _clean_email(email), _clean_name(name), _clean_role(role)
    if find_user(session=session, email=email) is not None:
        raise UserError(N_("A console user with the e-mail {email} exists."), "email", email=email)
    if password is not None:
        check_password(password, email=email, full_name=name)
    user = ConsoleUser(
        email=email,
        full_name=name,
        role=role,
        active=True,
        password_hash=hash_password(password) if password is not None else None,
        password_changed_at=now() if password is not None else None,
    )
    session.add(user)
    session.flush()
    record(
        session=session,
        actor_id=actor_id,
        action="user.add",
        entity="user",
        entity_id=user.id,
        after=_state(user),
        comment=comment,
    )
    return user


def change_user(
    *,
    session: Session,
    email: str,
    actor_id: int | None,
    role: str | None = None,
    name: str | None = None,
    active: bool | None = None,
    comment: str | None = None,
) -> ConsoleUser:
    """Change a user's role, name or active flag; deactivation ends their sessions."""
    user = _existing(session, email)
    before = _state(user)
    if role is not None:
        user.role = _clean_role(role)
    if name is not None:
        user.full_name = _clean_name(name)
    if active is not None:
        user.active = bool(active)
    losing_admin = before["role"] == "admin" and (user.role != "admin" or not user.active)
    if losing_admin and _other_admins(session, user) == 0:
        raise UserError(N_("{email} is the last active administrator."), "email", email=email)
    if not user.active and before["active"]:
        revoke_user_sessions(session=session, user_id=user.id, reason="deactivated")
    if not user.active:
        # Their tenants go back to the unassigned pool for the lead to reassign.
        session.execute(
            update(Tenant).where(Tenant.cs_owner_id == user.id).values(cs_owner_id=None)
        )
    record(
        session=session,
        actor_id=actor_id,
        action="user.change",
        entity="user",
        entity_id=user.id,
        before=before,
        after=_state(user),
        comment=comment,
    )
    return user


def set_password(
    *,
    session: Session,
    email: str,
    password: str,
    actor_id: int | None,
    comment: str | None = None,
) -> ConsoleUser:
    """Set a new password (checked against the rules); every open session ends."""
    user = _existing(session, email)
    check_password(password, email=user.email, full_name=user.full_name)
    user.password_hash = hash_password(password)
    user.password_changed_at = now()
    revoke_user_sessions(session=session, user_id=user.id, reason="password_changed")
    # The audit row says that it changed, never what to.
    record(
        session=session,
        actor_id=actor_id,
        action="user.password",
        entity="user",
        entity_id=user.id,
        comment=comment,
    )
    return user


def assign_book(
    *, session: Session, tenant_ids: list[int], owner_id: int | None, actor_id: int | None
) -> int:
    """Move tenants into ``owner_id``'s book (None: unassigned); how many moved."""
    if owner_id is not None:
        owner = session.get(ConsoleUser, owner_id)
        if owner is None or not owner.active or owner.role not in {"cs_manager", "cs_lead"}:
            raise UserError(N_("Books of business belong to active CS managers or leads."))
    ids = sorted({int(t) for t in tenant_ids})
    before = dict(
        session.execute(select(Tenant.id, Tenant.cs_owner_id).where(Tenant.id.in_(ids))).all()
    )
    missing = set(ids) - set(before)
    if missing:
        raise UserError(N_("No tenant has the id {id}."), id=min(missing))
    session.execute(update(Tenant).where(Tenant.id.in_(ids)).values(cs_owner_id=owner_id))
    for tenant_id in ids:
        record(
            session=session,
            actor_id=actor_id,
            action="tenant.assign_book",
            entity="tenant",
            entity_id=tenant_id,
            before={"cs_owner_id": before[tenant_id]},
            after={"cs_owner_id": owner_id},
        )
    return len(ids)


# -------------------------------------------------------------------- commands


@dataclass
class AddUser:
    required_capability = Capability.MANAGE_USERS

    email: str
    name: str
    role: str
    password: str | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        pass  # add_user validates as it goes; a refusal rolls the transaction back

    def run(self, *, session: Session, actor: Actor) -> ConsoleUser:
        return add_user(
            session=session,
            email=self.email,
            name=self.name,
            role=self.role,
            password=self.password,
            actor_id=actor.user_id,
        )


@dataclass
class ChangeUser:
    required_capability = Capability.MANAGE_USERS

    email: str
    role: str | None = None
    name: str | None = None
    active: bool | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        user = _existing(session, self.email)
        if user.id == actor.user_id and (self.active is False or self.role not in (None, "admin")):
            raise UserError(N_("You cannot deactivate yourself or remove your own admin role."))

    def run(self, *, session: Session, actor: Actor) -> ConsoleUser:
        return change_user(
            session=session,
            email=self.email,
            role=self.role,
            name=self.name,
            active=self.active,
            actor_id=actor.user_id,
        )


@dataclass
class ResetPassword:
    """An administrator sets someone's password (they are signed out everywhere)."""

    required_capability = Capability.MANAGE_USERS

    email: str
    password: str

    def validate(self, *, session: Session, actor: Actor) -> None:
        _existing(session, self.email)

    def run(self, *, session: Session, actor: Actor) -> ConsoleUser:
        return set_password(
            session=session, email=self.email, password=self.password, actor_id=actor.user_id
        )


@dataclass
class ChangeOwnPassword:
    """Any user changes their own password, giving the current one."""

    required_capability = None

    current_password: str
    new_password: str

    def validate(self, *, session: Session, actor: Actor) -> None:
        user = session.get(ConsoleUser, actor.user_id)
        assert user is not None  # execute checked the account
        if not verify_password(user.password_hash, self.current_password):
            raise UserError(N_("Your current password is not that one."), "current_password")
        if self.new_password == self.current_password:
            raise UserError(N_("Choose a password different from the current one."), "password")

    def run(self, *, session: Session, actor: Actor) -> ConsoleUser:
        user = session.get(ConsoleUser, actor.user_id)
        assert user is not None
        return set_password(
            session=session, email=user.email, password=self.new_password, actor_id=user.id
        )


@dataclass
class AssignBook:
    """Move tenants into a CS manager's book of business (lead or admin)."""

    required_capability = Capability.ALL_BOOKS

    tenant_ids: list[int]
    owner_id: int | None

    def validate(self, *, session: Session, actor: Actor) -> None:
        if not self.tenant_ids:
            raise UserError(N_("Choose at least one tenant."))

    def run(self, *, session: Session, actor: Actor) -> int:
        return assign_book(
            session=session,
            tenant_ids=self.tenant_ids,
            owner_id=self.owner_id,
            actor_id=actor.user_id,
        )
