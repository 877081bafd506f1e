"""Client-base health: how many of a tenant's own clients are still coming back.

For each tenant, the BG/NBD model (``core.ltv``) is fitted on its clients' completed
visits of the last 365 days before ``as_of`` and gives every client a probability of
still being active. The component uses:

- ``expected_active_clients``: the sum of those probabilities;
- ``share_clients_active``: the share of clients with P(alive) >= 0.5 (the rest are
  "likely lapsed", ``share_clients_lapsed``).

Point in time: a visit counts when it started before ``as_of`` *and* its row was last
changed before ``as_of`` (so its "completed" status was known then).

Speed (issue 18). One read of the visits serves every as-of day of a pass
(:class:`VisitHistory`: the visits reduced once to distinct client-days, so a day's RFM
summary of every tenant is a mask and a few numpy reductions). Each tenant's model is
fitted on at most ``FIT_SAMPLE`` of its clients (a fixed random sample; the four
parameters need no more) and then applied to all of them. Fits are cached per tenant
(:class:`ClientBaseFits`, stored in ``console_health_client_base_fits`` by the job):
the same fitting input (fingerprint) reuses the stored parameters, a changed one is
refitted starting from them (warm start, one start instead of three). Measured with
``bench.health.health_ms_per_tenant_day``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from core.ltv import BGNBD
from core.ltv.bgnbd import PARAMS
from core.ltv.bgnbd_batch import FloatArray, Summary, prob_alive_many, refine_fits
from core.schema import Booking

WINDOW_DAYS = 365
MIN_CLIENTS = 30  # fewer clients in the window: the component is missing
MIN_REPEAT_CLIENTS = 10  # the dropout process needs some repeat visits to be identified
FIT_SAMPLE = 250
ALIVE_THRESHOLD = 0.5
PENALIZER = 0.001  # keeps small samples from running off to extreme parameters

#: Parameters outside this range sit on a flat ridge of the likelihood (dropout barely
#: identified): such fits are never warm-started (see ``ClientBaseFits._warm_fit``).
INTERIOR = (1e-3, 1e3)
#: Bumped when the fitting input or procedure changes: older stored fits are not reused.
FIT_VERSION = 1
_UNIT_DAYS = 7.0  # recency and T in weeks, as rfm_summary(time_unit_days=7)
_DAY_BITS = 24  # (client, day) keys: client ids below 2**39, days within 45,000 years

COLUMNS = (
    "clients_seen",
    "expected_active_clients",
    "share_clients_active",
    "share_clients_lapsed",
)


def load_visits(session: Session, first_as_of: date, last_as_of: date) -> pd.DataFrame:
    """Completed visits that could count for any as-of day in ``[first_as_of, last_as_of]``.

    Columns ``tenant_id``, ``customer_id``, ``day`` and ``known_day`` (day of the row's
    last change), both ``datetime64[D]``-valued, and ``amount``.
    """
    b = Booking
    low = datetime.combine(first_as_of - timedelta(days=WINDOW_DAYS), time())
    high = datetime.combine(last_as_of, time())
    # Timestamps come back as text and only their day is parsed (numpy truncates each
    # string to its first 10 characters): converting two million DateTime values one
    # by one would cost more than the query. Core, not the ORM session: the ORM's row
    # processing took most of the time for this many rows.
    rows = (
        session.connection()
        .execute(
            select(
                b.tenant_id,
                b.customer_id,
                cast(b.start_at, String),
                cast(b.updated_at, String),
                b.price_ars,
            ).where(b.status == "completed", b.start_at >= low, b.start_at < high)
        )
        .all()
    )
    if not rows:
        return pd.DataFrame(
            {
                "tenant_id": pd.Series(dtype="int64"),
                "customer_id": pd.Series(dtype="int64"),
                "day": pd.Series(dtype="datetime64[ns]"),
                "known_day": pd.Series(dtype="datetime64[ns]"),
                "amount": pd.Series(dtype="float64"),
            }
        )
    tenant, customer, start, updated, amount = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "tenant_id": np.asarray(tenant, dtype="int64"),
            "customer_id": np.asarray(customer, dtype="int64"),
            "day": np.array(start, dtype="U10").astype("datetime64[D]"),
            "known_day": np.array(updated, dtype="U10").astype("datetime64[D]"),
            "amount": np.asarray(amount, dtype="float64"),
        }
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {column: pd.Series(dtype="float64") for column in COLUMNS},
        index=pd.Index([], name="tenant_id", dtype="int64"),
    )


@dataclass(frozen=True)
class StoredFit:
    """One tenant's BG/NBD parameters, the fingerprint of the input they were fitted on
    and the as-of day of that input."""

    fingerprint: str
    params: Mapping[str, float]
    day: date


def fit_fingerprint(sample: pd.DataFrame) -> str:
    """A digest of exactly what a fit sees: its summary rows, the penalizer, the version."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{FIT_VERSION}|{PENALIZER!r}|".encode())
    for column in ("frequency", "recency", "T"):
        digest.update(np.ascontiguousarray(sample[column].to_numpy(dtype="float64")).tobytes())
    return digest.hexdigest()


@dataclass
class ClientBaseFits:
    """Per-tenant cache of the client-base BG/NBD fits.

    ``stored`` is what the database holds (the newest day's fit of each tenant, see
    ``core.models.health.fits``). :meth:`fit_many` reuses a fit whose fingerprint
    matches, else refits warm-started from the tenant's nearest known parameters (all
    such tenants together, by Newton's method; cold, three starts, when there are none).
    ``changed`` names the tenants whose stored entry a caller should write back;
    ``reused``, ``warm`` (of which ``batched``) and ``cold`` count what happened.
    """

    stored: dict[int, StoredFit] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)
    reused: int = 0
    warm: int = 0
    cold: int = 0
    batched: int = 0  # of ``warm``: refined together by Newton's method
    _recent: dict[int, StoredFit] = field(default_factory=dict)

    def fit(self, tenant_id: int, sample: pd.DataFrame, day: date) -> BGNBD:
        """The tenant's fitted model on ``sample`` (the fitting input of ``day``).

        Raises ValueError when the sample cannot be fitted (see ``BGNBD.fit``).
        """
        fitted = self._fit_all({tenant_id: sample}, day)[tenant_id]
        if isinstance(fitted, ValueError):
            raise fitted
        return fitted

    def fit_many(self, samples: Mapping[int, pd.DataFrame], day: date) -> dict[int, BGNBD]:
        """Each tenant's fitted model on its sample (the fitting inputs of ``day``).

        Same input as a known fit: its parameters. Changed input with an interior
        optimum nearby: all such tenants refined together by Newton's method
        (``core.ltv.bgnbd_batch``), the few it does not settle warm-started one by one
        with scipy, then cold. No known fit: cold (three starts). Tenants whose sample
        cannot be fitted (ValueError) are left out of the result.
        """
        fitted = self._fit_all(samples, day)
        return {t: model for t, model in fitted.items() if isinstance(model, BGNBD)}

    def _fit_all(
        self, samples: Mapping[int, pd.DataFrame], day: date
    ) -> dict[int, BGNBD | ValueError]:
        prints = {tenant_id: fit_fingerprint(sample) for tenant_id, sample in samples.items()}
        params: dict[int, dict[str, float]] = {}
        starts: dict[int, Mapping[str, float]] = {}
        for tenant_id, fingerprint in prints.items():
            known = [f for f in (self._recent.get(tenant_id), self.stored.get(tenant_id)) if f]
            same = next((f for f in known if f.fingerprint == fingerprint), None)
            # the nearest day's parameters: the optimum moves little from day to day
            nearest = min(known, key=lambda f: abs((f.day - day).days), default=None)
            if same is not None:
                params[tenant_id] = dict(same.params)
                self.reused += 1
            elif nearest is not None and _interior(nearest.params):
                starts[tenant_id] = nearest.params
        refined = self._newton_fits({t: samples[t] for t in starts}, starts)
        models: dict[int, BGNBD | ValueError] = {}
        for tenant_id, sample in samples.items():
            model = BGNBD(penalizer_coef=PENALIZER, warn=False)  # cold fits: as before caching
            try:
                if tenant_id in params:
                    model.params_ = params[tenant_id]
                elif tenant_id in refined:
                    model.params_ = refined[tenant_id]
                    self.warm += 1
                    self.batched += 1
                elif tenant_id in starts and (warm := self._warm_fit(sample, starts[tenant_id])):
                    model = warm
                    self.warm += 1
                else:
                    model.fit(sample)
                    self.cold += 1
            except ValueError as error:
                models[tenant_id] = error
                continue
            models[tenant_id] = model
            self._remember(tenant_id, StoredFit(prints[tenant_id], dict(model.params_), day))
        return models

    def _remember(self, tenant_id: int, entry: StoredFit) -> None:
        self._recent[tenant_id] = entry
        previous = self.stored.get(tenant_id)
        if previous is None or (
            entry.day >= previous.day and previous.fingerprint != entry.fingerprint
        ):
            self.stored[tenant_id] = entry
            self.changed.add(tenant_id)

    @staticmethod
    def _newton_fits(
        samples: Mapping[int, pd.DataFrame], starts: Mapping[int, Mapping[str, float]]
    ) -> dict[int, dict[str, float]]:
        """Warm fits of many tenants at once; only interior optima reached cleanly."""
        ready = {}
        for tenant_id, sample in samples.items():
            summary = Summary.of(sample)
            if summary is not None:  # else BGNBD.fit says what is wrong with it
                ready[tenant_id] = summary
        found = refine_fits(list(ready.values()), [dict(starts[t]) for t in ready], PENALIZER)
        return {t: p for t, p in zip(ready, found, strict=True) if p is not None and _interior(p)}

    @staticmethod
    def _warm_fit(sample: pd.DataFrame, start: Mapping[str, float]) -> BGNBD | None:
        """A fit started from ``start`` alone, or None where it may not match a cold fit.

        On an interior optimum a warm start lands where the three cold starts do (see
        tests/core/models/test_health_fit_cache.py). Near the corner where the dropout
        parameters run off towards 0 or infinity the penalized likelihood is almost flat
        and the point reached depends on where the search began: there, and on any
        convergence warning, the caller fits cold, as before caching.
        """
        if not _interior(start):
            return None
        model = BGNBD(penalizer_coef=PENALIZER, warm_start=True, warn=False)
        model.params_ = dict(start)
        model.fit(sample)
        if model.convergence_issues_:
            return None
        return model if _interior(model.params_) else None


def _interior(params: Mapping[str, float]) -> bool:
    """Every parameter within ``INTERIOR`` (a well identified optimum)."""
    low, high = INTERIOR
    return all(low < float(value) < high for value in params.values())


class VisitHistory:
    """Completed visits reduced once to distinct (client, day) pairs, for many as-of days.

    A pair counts as of ``as_of`` when its day is in the 365-day window before it and one
    of its visits was known (last changed) before ``as_of``. Pairs are kept sorted by
    client then day, so a client's first and last visit days are at the ends of its run.
    Clients belong to one tenant (``customers.tenant_id``).
    """

    def __init__(self, visits: pd.DataFrame) -> None:
        customer = visits["customer_id"].to_numpy(dtype="int64")
        day = visits["day"].to_numpy(dtype="datetime64[D]").astype("int64")
        known = visits["known_day"].to_numpy(dtype="datetime64[D]").astype("int64")
        tenant = visits["tenant_id"].to_numpy(dtype="int64")
        if len(day):
            # One int64 key per (client, day), sorted once: a numpy sort and reduceat
            # cost a fraction of a pandas groupby on millions of visits.
            offset = day - day.min()
            key = (customer << _DAY_BITS) | offset
            order = np.argsort(key, kind="stable")
            key = key[order]
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            customer, day = customer[order][starts], day[order][starts]
            known = np.minimum.reduceat(known[order], starts)
            tenant = tenant[order][starts]
        self.customer = customer
        self.day = day
        self.known = known
        self.tenant = tenant

    def summary(self, as_of: date, tenant_ids: Iterable[int] | None = None) -> pd.DataFrame:
        """The RFM summary (``frequency``, ``recency``, ``T`` in weeks, as ``rfm_summary``
        with ``calibration_end = as_of - 1 day``) of every client seen, with ``tenant_id``;
        indexed by ``customer_id``, sorted."""
        cut = int(np.datetime64(as_of, "D").astype("int64"))
        keep = (self.day >= cut - WINDOW_DAYS) & (self.day < cut) & (self.known < cut)
        if tenant_ids is not None:
            keep &= np.isin(self.tenant, np.fromiter(tenant_ids, dtype="int64"))
        customer, day, tenant = self.customer[keep], self.day[keep], self.tenant[keep]
        # Pairs are sorted by client: each client's run starts where the id changes.
        first_at = (
            np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
            if len(customer)
            else np.zeros(0, dtype="int64")
        )
        counts = np.diff(np.r_[first_at, len(customer)])
        clients = customer[first_at]
        first = day[first_at]
        last = day[first_at + counts - 1]
        end = cut - 1
        summary = pd.DataFrame(
            {
                "frequency": (counts - 1).astype("int64"),
                "recency": (last - first) / _UNIT_DAYS,
                "T": (end - first) / _UNIT_DAYS,
                "tenant_id": tenant[first_at],
            },
            index=pd.Index(clients, name="customer_id"),
        )
        return summary


def _fit_sample(summary: pd.DataFrame, tenant_id: int) -> pd.DataFrame:
    """At most ``FIT_SAMPLE`` clients, a fixed random sample per tenant."""
    if len(summary) <= FIT_SAMPLE:
        return summary
    return summary.sample(n=FIT_SAMPLE, random_state=tenant_id)


def _fittable(summary: pd.DataFrame) -> bool:
    """Enough clients, and enough repeat clients, for the component."""
    repeat = int((summary["frequency"].to_numpy() > 0).sum())
    return len(summary) >= MIN_CLIENTS and repeat >= MIN_REPEAT_CLIENTS


def _base_figures(
    summary: pd.DataFrame, models: Mapping[int, BGNBD]
) -> tuple[FloatArray, FloatArray]:
    """Per tenant of ``models`` (sorted ids): expected active clients and share active.

    Every client's P(alive) under their tenant's fit in one vectorized pass (the summary
    comes from :class:`VisitHistory`, valid by construction); NaN for a tenant with a
    non-finite probability.
    """
    ids = np.array(sorted(models), dtype="int64")
    if not len(ids):
        return np.zeros(0), np.zeros(0)
    tenant = summary["tenant_id"].to_numpy(dtype="int64")
    slot = np.searchsorted(ids, tenant).clip(max=len(ids) - 1)
    fitted = ids[slot] == tenant
    table = np.array([[models[t].params_[name] for name in PARAMS] for t in ids])
    slot = slot[fitted]
    alive = prob_alive_many(
        table[slot].T,
        summary["frequency"].to_numpy(dtype=float)[fitted],
        summary["recency"].to_numpy(dtype=float)[fitted],
        summary["T"].to_numpy(dtype=float)[fitted],
    )
    finite = np.isfinite(alive)
    size = len(ids)
    clients = np.bincount(slot, minlength=size)
    active = np.bincount(slot, np.where(finite, alive, 0.0), minlength=size)
    share = np.bincount(slot, alive >= ALIVE_THRESHOLD, minlength=size) / clients
    broken = np.bincount(slot, ~finite, minlength=size) > 0
    return np.where(broken, np.nan, active), np.where(broken, np.nan, share)


def client_base_for_day(
    history: VisitHistory,
    as_of: date,
    tenant_ids: Iterable[int] | None = None,
    fits: ClientBaseFits | None = None,
) -> pd.DataFrame:
    """Per tenant (index): clients seen in the window and the BG/NBD client-base figures.

    Parameters
    ----------
    history : VisitHistory
        The visits of a span of as-of days (from :func:`load_visits`), reduced once.
    as_of : date
        The day scored; visits known before its first instant count.
    tenant_ids : iterable of int, optional
        Restrict the (costly) fits to these tenants.
    fits : ClientBaseFits, optional
        The fit cache to use and update (a fresh, empty one by default).

    Returns
    -------
    pandas.DataFrame
        Columns ``clients_seen``, ``expected_active_clients``, ``share_clients_active``
        and ``share_clients_lapsed``; NaN in the last three where a tenant cannot be
        scored (too few clients or repeat clients, or a failed fit).
    """
    fits = fits if fits is not None else ClientBaseFits()
    summary = history.summary(as_of, tenant_ids)
    if summary.empty:
        return _empty()
    parts = {int(t): part for t, part in summary.groupby("tenant_id", sort=True)}
    # every tenant's fit at once: the warm ones are refined together (ClientBaseFits)
    samples = {t: _fit_sample(part, t) for t, part in parts.items() if _fittable(part)}
    models = fits.fit_many(samples, as_of)
    active_clients, shares = _base_figures(summary, models)
    figures = dict(zip(sorted(models), zip(active_clients, shares, strict=True), strict=True))
    rows = {}
    for tenant_id, part in parts.items():
        active, share = figures.get(tenant_id, (np.nan, np.nan))
        rows[tenant_id] = (float(len(part)), float(active), float(share), 1.0 - float(share))
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    out.index.name = "tenant_id"
    return out


def client_base_as_of(
    visits: pd.DataFrame, as_of: date, tenant_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """:func:`client_base_for_day` straight from a visits frame (as from :func:`load_visits`)."""
    return client_base_for_day(VisitHistory(visits), as_of, tenant_ids)


def client_base_signals(
    session: Session, days: Iterable[date], fits: ClientBaseFits | None = None
) -> dict[date, pd.DataFrame]:
    """:func:`client_base_for_day` for several as-of days from one read of the visits."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    history = VisitHistory(load_visits(session, wanted[0], wanted[-1]))
    fits = fits if fits is not None else ClientBaseFits()
    return {day: client_base_for_day(history, day, fits=fits) for day in wanted}
