"""The declarative base every table of ``core.schema`` derives from.

Its own module, so the table modules of this package import it without importing the
package's ``__init__``, which imports them (no import cycle).
"""

from sqlalchemy import Integer, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def write_version() -> Mapped[int]:
    """The optimistic-locking counter of a row users edit from a form (``version``).

    Every write compares the version its form read and adds one
    (``core.commands.claim_version``), so a write from a stale window changes nothing.
    """
    return mapped_column(Integer, default=1, server_default=text("1"), nullable=False)
