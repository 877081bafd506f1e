"""The one base of every domain error: a code, a gettext msgid, its params, the field at fault.

Core code raises a :class:`DomainError` with an *untranslated* msgid (marked with ``N_``)
and the values to put in it; the edge translates it: pages show
``_(msgid).format(**params)`` (``ui/errors.py``), the coming API answers problem JSON
with ``code`` and ``field``. ``str(error)`` is the English text, for logs and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from core.i18n import translator


class DomainError(ValueError):
    """A request the domain refuses, with one clear sentence and nothing changed.

    Attributes
    ----------
    code
        Short machine reason (``"alert_closed"``, ``"actor_missing"``...).
    msgid
        The English message, a gettext msgid with ``{name}`` placeholders.
    params
        The values for the placeholders.
    field
        The input at fault, when there is one (``"cuit"``, ``"month"``), else None.
    """

    #: True for errors whose ``msgid`` is text already rendered in the user's language
    #: (validation and onboarding messages): it may quote user input with braces, so it
    #: is shown as it is, never formatted again nor looked up in a catalog.
    rendered: ClassVar[bool] = False

    def __init__(
        self,
        code: str,
        msgid: str,
        params: Mapping[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        self.code = code
        self.msgid = msgid
        self.params = dict(params or {})
        self.field = field
        super().__init__(self.translated(lambda text: text))

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message through ``gettext`` (the page's ``_``), its params filled in."""
        if self.rendered:
            return self.msgid
        return render(gettext(self.msgid), self.params)

    def text(self, locale: str) -> str:
        """The message in ``locale``."""
        return self.translated(translator(locale))

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduce replays only ``args``; keep every attribute across pickling.
        return (_rebuild, (type(self), self.__dict__.copy(), str(self)))


def render(template: str, params: Mapping[str, Any]) -> str:
    """``template`` with ``params`` filled in; a message without params is left as is.

    Some messages are already rendered text that may quote user input with braces.
    """
    return template.format(**params) if params else template


def _rebuild(cls: type[DomainError], state: dict[str, Any], message: str) -> DomainError:
    error = cls.__new__(cls)
    ValueError.__init__(error, message)
    error.__dict__.update(state)
    return error
