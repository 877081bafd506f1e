"""Where pages get the database: one read session helper and one command runner.

Pages never build a session or an engine themselves: reads go through :func:`session`
into ``core/queries`` functions, writes through :func:`run` (``core.commands.execute``)
as the operator chosen in the sidebar.
"""

from __future__ import annotations

from typing import TypeVar

from core import commands
from core.config import get_settings
from core.db import Session, get_engine, read_session

T = TypeVar("T")


def session(database_url: str | None = None) -> Session:
    """A read session: ``with session() as s: query(session=s)``.

    ``database_url`` defaults to the configured one; cached readers pass the URL they are
    keyed on, so a cache entry and its session always name the same database.
    """
    return read_session(get_engine(database_url or get_settings().database_url))


def execute(command: commands.Command[T], *, actor: commands.Actor | None) -> T:
    """Run ``command`` as ``actor`` on the configured database (raises DomainError)."""
    return commands.execute(command, actor=actor, engine=get_engine(get_settings().database_url))
