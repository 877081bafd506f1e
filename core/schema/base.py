"""The declarative base every table of ``core.schema`` derives from.

Its own module, so the table modules of this package import it without importing the
package's ``__init__``, which imports them (no import cycle).
"""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
