"""Demo accounts: a password for every demo user, one user per role, written once.

Run after the demo data is generated (``python -m data.generate`` does it): passwords
are random, stored as argon2id hashes, and written in clear only to a git-ignored file
beside the database that only its owner can read. Nothing fixed lives in the repository.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy import Engine, select

from core.auth.roles import ROLES
from core.db import write_unit
from core.schema import ConsoleUser
from core.users import add_user, set_password

# Roles the generated company lacks get one demo user each.
_EXTRA = {
    "cs_lead": ("Lucía Fernández", "lucia.fernandez@barberpro.com.ar"),
    "display": ("Pantalla de la oficina", "pantalla.oficina@barberpro.com.ar"),
}
_COMMENT = "demo accounts (python -m data.generate)"


def new_password() -> str:
    """A random 24-character password (144 bits), well inside the rules."""
    return secrets.token_urlsafe(18)


def provision_demo_accounts(engine: Engine, path: Path) -> list[tuple[str, str, str, str]]:
    """Give every active demo user without a password one, add the missing roles, and
    write (role, name, e-mail, password) of each account given one to ``path`` (0600).

    Returns those rows; an empty list when every user already had a password.
    """
    rows: list[tuple[str, str, str, str]] = []
    with write_unit(engine) as session:
        present = set(session.scalars(select(ConsoleUser.role)))
        for role, (name, email) in _EXTRA.items():
            if role not in present:
                add_user(
                    session=session,
                    email=email,
                    name=name,
                    role=role,
                    password=None,
                    actor_id=None,
                    comment=_COMMENT,
                )
        users = session.scalars(
            select(ConsoleUser)
            .where(ConsoleUser.active.is_(True), ConsoleUser.password_hash.is_(None))
            .order_by(ConsoleUser.id)
        ).all()
        for user in users:
            password = new_password()
            set_password(
                session=session,
                email=user.email,
                password=password,
                actor_id=None,
                comment=_COMMENT,
            )
            rows.append((user.role, user.full_name, user.email, password))
    if rows:
        write_accounts_file(path, rows)
    return rows


def write_accounts_file(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    order = {role: i for i, role in enumerate(ROLES)}
    lines = [
        "# BarberPro Command Center demo accounts. Keep this file private; it is git-ignored.",
        "# role, name, email, password",
    ]
    for role, name, email, password in sorted(rows, key=lambda r: (order.get(r[0], 99), r[2])):
        lines.append(f"{role}\t{name}\t{email}\t{password}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def sign_in_help(path: Path, *, url: str) -> str:
    """What `make run` prints about signing in (the passwords stay in the file)."""
    if path.exists():
        return f"Sign in at {url} with a demo account: one per role, listed in {path}"
    return (
        f"Sign in at {url}. There is no demo accounts file ({path}); add a user with\n"
        "  python -m core.users add --email E --name N --role admin --password-stdin"
    )


def accounts_table(rows: list[tuple[str, str, str, str]]) -> str:
    """The demo accounts as data.generate prints them, once, when it creates them."""
    order = {role: i for i, role in enumerate(ROLES)}
    ordered = sorted(rows, key=lambda r: (order.get(r[0], 99), r[2]))
    return "\n".join(f"  {role:<11} {email:<42} {pw}" for role, _name, email, pw in ordered)
