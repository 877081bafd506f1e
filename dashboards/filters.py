"""The filters every dashboard shares, as plain data: parsed from and written to the URL.

A ``Filters`` value is what a page's builder receives. It narrows tenants by tier,
vertical, province and partner, days by an inclusive date range, and says whether money
is shown in nominal ARS or in constant ARS of a base month.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from core.i18n import translator
from core.security import markdown_safe

ORGANIC = 0  # the "partner" of tenants that came without one
# URL query parameter names, short so shared links stay readable.
PARAMS = {
    "start": "from",
    "end": "to",
    "tiers": "tier",
    "verticals": "vertical",
    "provinces": "province",
    "partners": "partner",
    "constant_ars_month": "ars",
}


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    tiers: tuple[str, ...] = ()
    verticals: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    partners: tuple[int, ...] = ()  # partner ids; ORGANIC (0) = no partner
    constant_ars_month: date | None = None  # None: nominal ARS

    # ------------------------------------------------------------------ tenants
    def tenant_mask(self, tenants: pd.DataFrame) -> pd.Series:
        """Rows of a tenants frame (tier, vertical, province, partner_id) that pass."""
        mask = pd.Series(True, index=tenants.index)
        for column, wanted in (
            ("tier", self.tiers),
            ("vertical", self.verticals),
            ("province", self.provinces),
        ):
            if wanted and column in tenants:
                mask &= tenants[column].isin(wanted)
        if self.partners and "partner_id" in tenants:
            partner = tenants["partner_id"].fillna(ORGANIC).astype("int64")
            mask &= partner.isin(self.partners)
        return mask

    def filter_tenants(self, tenants: pd.DataFrame) -> pd.DataFrame:
        return tenants[self.tenant_mask(tenants)]

    @property
    def narrows_tenants(self) -> bool:
        return bool(self.tiers or self.verticals or self.provinces or self.partners)

    # --------------------------------------------------------------------- days
    def day_mask(self, days: pd.Series) -> pd.Series:
        """Rows whose day (date objects or datetimes) falls in the inclusive range."""
        values = pd.to_datetime(days)
        mask = pd.Series(True, index=days.index)
        if self.start is not None:
            mask &= values >= pd.Timestamp(self.start)
        if self.end is not None:
            mask &= values < pd.Timestamp(self.end) + pd.Timedelta(days=1)
        return mask

    def in_range(self, frame: pd.DataFrame, column: str = "day") -> pd.DataFrame:
        return frame[self.day_mask(frame[column])]

    def problem(self, *, today: date, locale: str) -> str | None:
        """Why this date range cannot show anything, in the user's language, or None."""
        _ = translator(locale)
        if self.start is not None and self.end is not None and self.start > self.end:
            return _("The date range is empty: it starts after it ends.")
        if self.start is not None and self.start > today:
            return _("The date range is in the future: there is no data for it yet.")
        return None

    # ---------------------------------------------------------------------- URL
    def to_params(self) -> dict[str, str]:
        """Query parameters for this selection (defaults left out)."""
        params: dict[str, str] = {}
        if self.start is not None:
            params[PARAMS["start"]] = self.start.isoformat()
        if self.end is not None:
            params[PARAMS["end"]] = self.end.isoformat()
        for name in ("tiers", "verticals", "provinces", "partners"):
            values = getattr(self, name)
            if values:
                params[PARAMS[name]] = ",".join(str(v) for v in values)
        if self.constant_ars_month is not None:
            params[PARAMS["constant_ars_month"]] = self.constant_ars_month.strftime("%Y-%m")
        return params

    def with_(self, **changes: object) -> Filters:
        return replace(self, **changes)  # type: ignore[arg-type]


# Days a link may name: the platform's data starts after 2000, and a far-future day would
# overflow date arithmetic downstream (``date.max + 1 day``) instead of showing nothing.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
_PARTNER_ID = re.compile(r"[0-9]{1,12}")


def _plausible(day: date) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"{day} is outside {EARLIEST_DAY}..{LATEST_DAY}")
    return day


def _date(text: str) -> date:
    text = text.strip()
    if not _ISO_DAY.fullmatch(text):  # ASCII digits only: int("٣") would read it
        raise ValueError(f"not a YYYY-MM-DD day: {text!r}")
    return _plausible(date.fromisoformat(text))


def _month(text: str) -> date:
    text = text.strip()[:7]
    if not _ISO_MONTH.fullmatch(text):
        raise ValueError(f"not a YYYY-MM month: {text!r}")
    year, month = text.split("-")
    return _plausible(date(int(year), int(month), 1))


def _partner(text: str) -> int:
    if not _PARTNER_ID.fullmatch(text):
        raise ValueError(f"not a partner id: {text!r}")
    return int(text)


def _list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def from_params(params: Mapping[str, str], *, locale: str) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters, and a message per value that had to be ignored.

    A bad value never raises: it is dropped and explained, the rest still applies.
    """
    _ = translator(locale)
    values: dict[str, object] = {}
    problems: list[str] = []
    readers = {"start": _date, "end": _date, "constant_ars_month": _month}
    for name, param in PARAMS.items():
        raw = params.get(param)
        if raw is None or raw == "":
            continue
        try:
            if name in readers:
                values[name] = readers[name](raw)
            elif name == "partners":
                values[name] = tuple(_partner(v) for v in _list(raw))
            else:
                values[name] = _list(raw)
        except ValueError:
            problems.append(
                _("Ignored the link's {param}={value}: not a valid value.").format(
                    param=param, value=markdown_safe(raw, max_length=40)
                )
            )
    return Filters(**values), problems  # type: ignore[arg-type]
