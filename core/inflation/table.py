"""The CPI table (``console_cpi_monthly``): seeding, reading, admin edits and CSV uploads.

``index_value`` is the price level at the END of each month on INDEC's base
(December 2016 = 100), so an official INDEC series uploaded as index values merges with
the bundled one. Only ratios between months are ever used (``core.inflation.deflate``).

* Seeding: ``seed_cpi_if_empty`` writes the bundled approximate series
  (``core.inflation.reference``, % per month) when the table has no row at all. It is
  called by ``core.migrate.upgrade_database`` right after the schema upgrade, which is
  the path of ``make run``, the demo generator and every test database. It never
  touches a table that has rows, so admin edits are never overwritten.
* Changes: ``CpiUpdate`` is a command (``validate`` then ``run`` in one transaction)
  that upserts and deletes months and records one audit event per changed month.
* Uploads: ``parse_cpi_csv`` reads ``month,index_value`` or ``month,monthly_pct`` and
  reports every bad row; nothing is saved unless the whole file is valid.
* Plausibility: every month written (upload or edit) lies between ``FIRST_MONTH`` and
  24 months past today, every index is finite and within ``MIN_INDEX``..``MAX_INDEX``,
  and the change between a month and the one before it is between ``MIN_MONTHLY_PCT``
  and ``MAX_MONTHLY_PCT`` a month (the upload checks its own rows, the command checks
  against the table too). One typo (1e300) would otherwise break every constant-peso
  chart.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core import audit
from core import formatting as fmt
from core.auth.roles import Capability
from core.clock import now
from core.commands import Actor
from core.db import write_unit
from core.errors import DomainError
from core.i18n import N_, translator
from core.schema import CpiMonth
from core.security.uploads import UploadError, read_csv_rows

BASE_MONTH = date(2016, 12, 1)  # INDEC's base: the index is 100 at the end of this month
BASE_LEVEL = 100.0
SOURCE_BUNDLED = "bundled (approximate)"
SOURCE_UPLOAD = "upload"
SOURCE_MANUAL = "manual"
CPI_COLUMNS = ["month", "index_value", "source", "approximate", "updated_at"]
MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_ROWS = 2_000  # 24 months ahead of 2000-01 is a few hundred
# A monthly change outside this range is a typo, not Argentine inflation (the worst month
# since 1991 was +25.5 %, December 2023).
MIN_MONTHLY_PCT, MAX_MONTHLY_PCT = -50.0, 100.0
# Months the console restates: its data starts this century; the bundled series and
# INDEC's forecasts reach a year or two ahead.
FIRST_MONTH = date(2000, 1, 1)
MONTHS_AHEAD = 24
# On INDEC's base (Dec 2016 = 100) the index was about 5 in 2000 and is in the tens of
# thousands now; a value outside this is a wrong base or a typo.
MIN_INDEX, MAX_INDEX = 0.01, 1e8


class CpiError(DomainError):
    """A CPI change that cannot be applied; pages show it in the user's language."""

    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__("cpi_rejected", msgid, params)


# ------------------------------------------------------------------ months


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _shift(month: date, months: int) -> date:
    ordinal = month.year * 12 + month.month - 1 + months
    return date(ordinal // 12, ordinal % 12 + 1, 1)


def parse_month(text: object) -> date:
    """``YYYY-MM``, ``YYYY-MM-01`` or ``MM/YYYY`` as the first day of the month.

    Raises ValueError for anything else (including a day other than the 1st).
    """
    value = str(text).strip()[:40]
    try:
        if "/" in value:
            month_text, year_text = value.split("/", 1)
            return date(int(year_text), int(month_text), 1)
        parts = value.split("-")
        if len(parts) == 2 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), 1)
        day = date.fromisoformat(value[:10])
    except OverflowError:  # a year with twenty digits
        raise ValueError(value) from None
    if day.day != 1 or (len(value) > 10 and value[10:].strip(" T0:") != ""):
        raise ValueError(value)
    return day


def month_range(today: date | None = None) -> tuple[date, date]:
    """The first and last month the table accepts: ``FIRST_MONTH`` to today + 24 months."""
    current = (today or now().date()).replace(day=1)
    return FIRST_MONTH, _shift(current, MONTHS_AHEAD)


def month_problem(month: date, today: date | None = None) -> tuple[str, dict[str, str]] | None:
    """Why ``month`` cannot be in the table (msgid, params), or None."""
    first, last = month_range(today)
    if first <= month <= last:
        return None
    return (
        N_("{month} is outside the months the console uses, {first} to {last}."),
        {"month": month_key(month), "first": month_key(first), "last": month_key(last)},
    )


def index_problem(value: float, locale: str = "en") -> tuple[str, dict[str, str]] | None:
    """Why ``value`` cannot be an index level (msgid, params in ``locale``), or None."""
    if isinstance(value, int | float) and math.isfinite(value) and MIN_INDEX <= value <= MAX_INDEX:
        return None
    return (
        N_("An index value must be a number between {low} and {high} (December 2016 = 100)."),
        _index_bounds(locale),
    )


def _index_bounds(locale: str) -> dict[str, str]:
    return {
        "low": fmt.format_number(MIN_INDEX, digits=2, locale=locale),
        "high": fmt.format_count(MAX_INDEX, locale=locale),
    }


def change_problem(
    before: tuple[date, float], after: tuple[date, float], locale: str = "en"
) -> tuple[str, dict[str, str]] | None:
    """Why the change from ``before`` to ``after`` (month, index) is implausible, or None
    (params in ``locale``).

    Months apart by a gap are compared per month (the geometric mean change).
    """
    (first, low), (second, high) = before, after
    months = (second.year - first.year) * 12 + second.month - first.month
    if months <= 0 or low <= 0 or high <= 0:
        return None
    # In logs, so 1e300 against 1e-300 neither overflows nor divides by zero.
    per_month = (math.log(high) - math.log(low)) / months
    if math.log1p(MIN_MONTHLY_PCT / 100) <= per_month <= math.log1p(MAX_MONTHLY_PCT / 100):
        return None
    pct = math.expm1(per_month) * 100 if per_month < 700 else math.inf
    return (
        N_(
            "From {before} to {after} the index changes {pct} % a month; a monthly change "
            "must be between {low} % and {high} %."
        ),
        {
            "before": month_key(first),
            "after": month_key(second),
            "pct": ("+" if pct > 0 else "") + fmt.format_number(pct, digits=1, locale=locale)
            if math.isfinite(pct)
            else "+∞",
            "low": f"{MIN_MONTHLY_PCT:g}",
            "high": f"{MAX_MONTHLY_PCT:g}",
        },
    )


def missing_months(months: list[date]) -> list[date]:
    """Months absent between the first and the last of ``months``."""
    if not months:
        return []
    present = set(months)
    first, last = min(months), max(months)
    gaps, month = [], first
    while month < last:
        month = _shift(month, 1)
        if month not in present:
            gaps.append(month)
    return gaps


def chain_monthly_pct(pct: Mapping[date, float], *, anchor_level: float) -> dict[date, float]:
    """Index levels from monthly % changes, starting from the level of the month before
    the first one (``anchor_level``). Months must be consecutive."""
    level, levels = anchor_level, {}
    for month in sorted(pct):
        level *= 1 + pct[month] / 100.0
        levels[month] = level
    return levels


def bundled_levels(monthly_pct: Mapping[str, float]) -> dict[date, float]:
    """Index levels (Dec 2016 = 100) of a ``{"YYYY-MM": % change}`` series."""
    changes = {parse_month(key): float(value) for key, value in monthly_pct.items()}
    months = sorted(changes)
    log_level = {months[0]: math.log1p(changes[months[0]] / 100.0)}
    for previous, month in itertools.pairwise(months):
        log_level[month] = log_level[previous] + math.log1p(changes[month] / 100.0)
    base = log_level.get(BASE_MONTH, 0.0)
    return {m: BASE_LEVEL * math.exp(v - base) for m, v in log_level.items()}


# ------------------------------------------------------------------ reading and seeding


def load_cpi(*, session: Session) -> pd.DataFrame:
    """The whole table, oldest month first (a few hundred rows at most)."""
    rows = session.execute(
        select(
            CpiMonth.month,
            CpiMonth.index_value,
            CpiMonth.source,
            CpiMonth.approximate,
            CpiMonth.updated_at,
        ).order_by(CpiMonth.month)
    ).all()
    if not rows:
        return pd.DataFrame(columns=CPI_COLUMNS)
    return pd.DataFrame([row._asdict() for row in rows])[CPI_COLUMNS]


def seed_cpi(*, session: Session, monthly_pct: Mapping[str, float]) -> int:
    """Insert the bundled approximate series when the table is empty; returns rows added.

    Never touches a table that already has rows (the caller commits).
    """
    if session.scalar(select(func.count()).select_from(CpiMonth)):
        return 0
    stamp = now()
    levels = bundled_levels(monthly_pct)
    session.add_all(
        CpiMonth(
            month=month,
            index_value=round(level, 4),
            source=SOURCE_BUNDLED,
            approximate=True,
            updated_at=stamp,
        )
        for month, level in sorted(levels.items())
    )
    return len(levels)


def seed_cpi_if_empty(engine: Engine) -> int:
    """Seed the table from ``core.inflation.reference`` in its own transaction."""
    from core.inflation.reference import MONTHLY_CPI_PCT

    with write_unit(engine) as session:
        return seed_cpi(session=session, monthly_pct=MONTHLY_CPI_PCT)


# ------------------------------------------------------------------ uploads


@dataclass(frozen=True)
class RowError:
    line: int  # line in the file (the header is line 1); 0 for the whole file
    column: str
    message: str


@dataclass
class ParsedCpi:
    """A validated upload: index levels per month, or what is wrong with it."""

    kind: str = ""  # index_value or monthly_pct
    values: dict[date, float] = field(default_factory=dict)  # as uploaded
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.values)


def _number(text: str, *, decimal_comma: bool) -> float:
    cleaned = text.strip().replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    value = float(cleaned)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _read_text(data: bytes, _: Callable[[str], str]) -> tuple[str | None, RowError | None]:
    if not data or not data.strip():
        return None, RowError(0, "", _("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        return None, RowError(0, "", _("The file is larger than 1 MB; a CPI series is tiny."))
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, RowError(
            0, "", _("The file is not UTF-8 text. Save it as CSV UTF-8 and upload it again.")
        )


def parse_cpi_csv(data: bytes, *, locale: str) -> ParsedCpi:
    """Read an uploaded CSV: a ``month`` column and ``index_value`` or ``monthly_pct``.

    Commas or semicolons separate fields; with semicolons, numbers may use a decimal
    comma (what spreadsheets write in Argentina). Every problem is reported with its
    line; ``ok`` is True only for a file with no error at all.
    """
    _ = translator(locale)
    result = ParsedCpi()
    text, problem = _read_text(data, _)
    if problem is not None:
        result.errors.append(problem)
        return result
    assert text is not None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        rows = read_csv_rows(text, delimiter=delimiter, max_rows=MAX_UPLOAD_ROWS + 1)
    except UploadError as exc:  # a line or cell too long, a broken quote, too many rows
        result.errors.append(RowError(exc.row or 0, "", exc.text(locale)))
        return result
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    kinds = [kind for kind in ("index_value", "monthly_pct") if kind in header]
    if "month" not in header or len(kinds) != 1:
        result.errors.append(
            RowError(
                1,
                "",
                _(
                    "The header must be month,index_value or month,monthly_pct; found: {header}."
                ).format(header=", ".join(header)[:120] or "-"),
            )
        )
        return result
    result.kind = kinds[0]
    month_at, value_at = header.index("month"), header.index(result.kind)
    seen: dict[date, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines (often the last one) are not data
        if len(row) != len(header):
            result.errors.append(
                RowError(
                    line,
                    "",
                    _("Expected {n} fields, found {m}.").format(n=len(header), m=len(row)),
                )
            )
            continue
        raw_month, raw_value = row[month_at], row[value_at]
        month: date | None
        try:
            month = parse_month(raw_month)
        except ValueError:
            result.errors.append(
                RowError(
                    line,
                    "month",
                    _("{value!r} is not a month: use YYYY-MM, e.g. 2026-03.").format(
                        value=raw_month.strip()[:30]
                    ),
                )
            )
            month = None
        if month is not None and (outside := month_problem(month)) is not None:
            result.errors.append(RowError(line, "month", _(outside[0]).format(**outside[1])))
            month = None
        try:
            value = _number(raw_value, decimal_comma=delimiter == ";")
        except ValueError:
            result.errors.append(
                RowError(
                    line,
                    result.kind,
                    _("{value!r} is not a number.").format(value=raw_value.strip()[:30]),
                )
            )
            value = None
        if value is not None:
            bad_index = index_problem(value, locale) if result.kind == "index_value" else None
            if bad_index is not None:
                result.errors.append(
                    RowError(line, result.kind, _(bad_index[0]).format(**bad_index[1]))
                )
                value = None
            elif result.kind == "monthly_pct" and not (MIN_MONTHLY_PCT <= value <= MAX_MONTHLY_PCT):
                result.errors.append(
                    RowError(
                        line,
                        result.kind,
                        _("A monthly change must be between {low} % and {high} %.").format(
                            low=int(MIN_MONTHLY_PCT), high=int(MAX_MONTHLY_PCT)
                        ),
                    )
                )
                value = None
        if month is not None and month in seen:
            result.errors.append(
                RowError(
                    line,
                    "month",
                    _("{month} appears twice (first on line {first}).").format(
                        month=month_key(month), first=seen[month]
                    ),
                )
            )
            continue
        if month is not None:
            seen[month] = line
            if value is not None:
                result.values[month] = value
    if not seen and not result.errors:
        result.errors.append(RowError(0, "", _("The file has a header but no data rows.")))
    if result.kind == "index_value":
        ordered = sorted(result.values.items())
        for before, after in itertools.pairwise(ordered):
            if (jump := change_problem(before, after, locale)) is not None:
                result.errors.append(
                    RowError(seen[after[0]], result.kind, _(jump[0]).format(**jump[1]))
                )
    gaps = missing_months(list(seen))
    if result.kind == "monthly_pct" and gaps:
        result.errors.append(
            RowError(
                0,
                "month",
                _("Monthly changes must cover consecutive months; missing: {months}.").format(
                    months=", ".join(month_key(m) for m in gaps[:12])
                ),
            )
        )
    elif gaps:
        result.warnings.append(
            _("The file skips {n} month(s): {months}. Restatement uses the nearest month.").format(
                n=len(gaps), months=", ".join(month_key(m) for m in gaps[:12])
            )
        )
    if result.errors:
        result.values = {}
    return result


# ------------------------------------------------------------------ the command


@dataclass
class CpiUpdate:
    """Upsert and delete CPI months in one transaction, audited month by month.

    ``levels`` are index values to write; ``monthly_pct`` (an alternative for uploads)
    are chained from the level of the month before their first month, read from the
    table inside the same transaction.
    """

    required_capability = Capability.EDIT_SETTINGS

    source: str
    levels: dict[date, float] = field(default_factory=dict)
    monthly_pct: dict[date, float] = field(default_factory=dict)
    deletions: tuple[date, ...] = ()
    _resolved: dict[date, float] = field(default_factory=dict, init=False)

    def validate(self, *, session: Session, actor: Actor) -> None:
        if not (self.levels or self.monthly_pct or self.deletions):
            raise CpiError(N_("Nothing to save: no month was changed."))
        if self.levels and self.monthly_pct:
            raise CpiError(N_("Upload index values or monthly changes, not both."))
        for month in sorted({*self.levels, *self.monthly_pct, *self.deletions}):
            if month.day != 1:
                raise CpiError(N_("{month} is not the first day of a month."), month=month)
            if month in self.deletions:
                continue  # a month out of range may always go
            if (problem := month_problem(month)) is not None:
                raise CpiError(problem[0], **problem[1])
        for month, value in sorted(self.levels.items()):
            if index_problem(value) is not None:
                raise _bad_index(month)
        for month, pct in sorted(self.monthly_pct.items()):
            if not (isinstance(pct, int | float) and MIN_MONTHLY_PCT <= pct <= MAX_MONTHLY_PCT):
                raise CpiError(
                    N_("{month}: a monthly change must be between {low} % and {high} %."),
                    month=month_key(month),
                    low=f"{MIN_MONTHLY_PCT:g}",
                    high=f"{MAX_MONTHLY_PCT:g}",
                )
        clash = set(self.deletions) & (set(self.levels) | set(self.monthly_pct))
        if clash:
            raise CpiError(N_("{month} is both changed and deleted."), month=month_key(min(clash)))
        resolved = dict(self.levels)
        if self.monthly_pct:
            first = min(self.monthly_pct)
            if missing_months(list(self.monthly_pct)):
                raise CpiError(N_("Monthly changes must cover consecutive months."))
            anchor_month = _shift(first, -1)
            anchor = session.get(CpiMonth, anchor_month)
            table_empty = not session.scalar(select(func.count()).select_from(CpiMonth))
            if anchor is None and not table_empty:
                raise CpiError(
                    N_(
                        "Monthly changes start in {first}, but {anchor} is not in the table, "
                        "so there is no level to chain them from. Upload index values, or "
                        "start the file right after a month the table has."
                    ),
                    first=month_key(first),
                    anchor=month_key(anchor_month),
                )
            level = anchor.index_value if anchor is not None else BASE_LEVEL
            resolved = chain_monthly_pct(self.monthly_pct, anchor_level=level)
        stored = {m: v for m, v in session.execute(select(CpiMonth.month, CpiMonth.index_value))}
        existing = set(stored)
        remaining = (existing | set(resolved)) - set(self.deletions)
        if not remaining:
            raise CpiError(N_("The table cannot be left empty: restatement needs it."))
        absent = sorted(set(self.deletions) - existing)
        if absent:
            raise CpiError(N_("{month} is not in the table."), month=month_key(absent[0]))
        for month, level in sorted(resolved.items()):
            if index_problem(level) is not None:
                raise _bad_index(month)
        _check_changes(stored, resolved, set(self.deletions))
        self._resolved = resolved

    def run(self, *, session: Session, actor: Actor) -> int:
        """Apply the change (after ``validate``); returns the number of months changed."""
        changed, stamp = 0, now()
        for month in self.deletions:
            row = session.get(CpiMonth, month)
            assert row is not None  # validate() checked it
            audit.record(
                session=session,
                actor_id=actor.user_id,
                action="cpi.delete",
                entity="cpi_month",
                entity_id=month_key(month),
                before=_as_dict(row),
            )
            session.delete(row)
            changed += 1
        for month, level in sorted(self._resolved.items()):
            row = session.get(CpiMonth, month)
            before = _as_dict(row) if row is not None else None
            if row is not None and math.isclose(row.index_value, level, rel_tol=1e-12):
                continue  # unchanged: no write, no audit noise
            if row is None:
                row = CpiMonth(month=month)
                session.add(row)
            row.index_value, row.source, row.approximate = float(level), self.source, False
            row.updated_at = stamp
            audit.record(
                session=session,
                actor_id=actor.user_id,
                action=f"cpi.{self.source}",
                entity="cpi_month",
                entity_id=month_key(month),
                before=before,
                after=_as_dict(row),
            )
            changed += 1
        session.flush()
        return changed


def _bad_index(month: date) -> CpiError:
    return CpiError(
        N_("The index of {month} must be a number between {low} and {high} (December 2016 = 100)."),
        month=month_key(month),
        **_index_bounds("en"),  # the command speaks English params; pages translate the text
    )


def _check_changes(
    stored: Mapping[date, float], resolved: Mapping[date, float], deletions: set[date]
) -> None:
    """Every month written, and every pair of months a deletion makes neighbours, changes
    plausibly from the month before it in the table as it will be."""
    after = {m: v for m, v in stored.items() if m not in deletions} | dict(resolved)
    before_order = sorted(stored)
    neighbours = set(itertools.pairwise(before_order))
    for pair in itertools.pairwise(sorted(after)):
        touched = pair[0] in resolved or pair[1] in resolved or pair not in neighbours
        if not touched:
            continue  # rows already in the table are not re-judged by an unrelated edit
        if (
            jump := change_problem((pair[0], after[pair[0]]), (pair[1], after[pair[1]]))
        ) is not None:
            raise CpiError(jump[0], **jump[1])


def _as_dict(row: CpiMonth) -> dict[str, object]:
    return {
        "month": month_key(row.month),
        "index_value": row.index_value,
        "source": row.source,
        "approximate": bool(row.approximate),
    }


def edits_to_update(original: pd.DataFrame, edited: pd.DataFrame) -> CpiUpdate:
    """The change an admin made in the table editor: new or changed months, deletions.

    Raises CpiError for a bad month or value (the editor lets people type anything).
    """
    before = {
        pd.Timestamp(m).date().replace(day=1): float(v)
        for m, v in zip(original["month"], original["index_value"], strict=True)
    }
    after: dict[date, float] = {}
    for position, (raw_month, raw_value) in enumerate(
        zip(edited["month"], edited["index_value"], strict=True), start=1
    ):
        if raw_month is None or (isinstance(raw_month, float) and math.isnan(raw_month)):
            raise CpiError(N_("Row {row}: the month is missing."), row=position)
        try:
            month = parse_month(raw_month.isoformat() if isinstance(raw_month, date) else raw_month)
        except ValueError:
            raise CpiError(
                N_("Row {row}: {value!r} is not a month (use YYYY-MM)."),
                row=position,
                value=str(raw_month)[:30],
            ) from None
        try:
            value = float(raw_value)
        except (TypeError, ValueError):
            value = float("nan")
        if not math.isfinite(value) or value <= 0:
            raise CpiError(
                N_("Row {row} ({month}): the index must be a positive number."),
                row=position,
                month=month_key(month),
            )
        if month in after:
            raise CpiError(N_("{month} appears twice."), month=month_key(month))
        after[month] = value
    changed = {m: v for m, v in after.items() if m not in before or not math.isclose(before[m], v)}
    deleted = tuple(sorted(set(before) - set(after)))
    return CpiUpdate(
        source=SOURCE_MANUAL,
        levels=changed,
        deletions=deleted,
    )


def upload_to_update(parsed: ParsedCpi) -> CpiUpdate:
    """The command for a valid upload (``parsed.ok``)."""
    if parsed.kind == "monthly_pct":
        return CpiUpdate(source=SOURCE_UPLOAD, monthly_pct=parsed.values)
    return CpiUpdate(source=SOURCE_UPLOAD, levels=parsed.values)


def cpi_frame(table: pd.DataFrame, *, through: date | None = None) -> pd.DataFrame:
    """The ``cpi_monthly`` frame: month (first day, datetime), index_value, approximate.

    ``through`` drops months after it (the bundled series runs a year ahead).
    """
    frame = table[["month", "index_value", "approximate"]].copy()
    frame["month"] = pd.to_datetime(frame["month"])
    if through is not None:
        frame = frame[frame["month"] <= pd.Timestamp(through.replace(day=1))]
    frame["index_value"] = frame["index_value"].astype(float)
    frame["approximate"] = frame["approximate"].astype(bool)
    return frame.sort_values("month").reset_index(drop=True)
