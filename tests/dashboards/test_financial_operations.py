"""Financial Operations: numbers against pandas on the raw rows of a generated set, and
hand-made rows for DSO, dunning recovery, reconciliation mismatches, the incremental
ledger and job runs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from core.clock import now
from core.db import create_engine_for
from core.metrics.detail_changes import SOURCES, Touched, read_touched
from core.metrics.frames import finance as provider
from core.metrics.frames import finance_ledger as ledger_module
from core.metrics.snapshots import latest_detail_version, load_snapshot
from core.schema import Booking, JobRun, Payment
from dashboards import financial_operations as finance
from dashboards.filters import Filters
from tests import factories
from tests.generated_console import TODAY, generated_console
from tests.snapshot_factory import make_database

PERIOD = Filters(start=TODAY - timedelta(days=179), end=TODAY)
FAILED = ("rejected", "cancelled", "charged_back")


def finance_console(tmp_path_factory) -> Path:
    """The generated set shared by this helper's test modules, with full ledger history."""
    path = tmp_path_factory.getbasetemp() / "generated_console_finance" / "console.db"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        generated_console(path)  # the default set is built with the whole ledger history
    return path


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    path = finance_console(tmp_path_factory)
    engine = create_engine_for(f"sqlite:///{path}")
    with Session(engine) as session:
        detail = load_snapshot(session=session, version=latest_detail_version(session=session))
    raw = {
        name: pd.read_sql_table(name, engine)
        for name in ("invoices", "payments", "bookings", "tenants")
    }
    engine.dispose()
    return detail, raw


def frames_of(detail) -> dict[str, pd.DataFrame]:
    return {name: frame for name, frame in detail.frames.items() if name.startswith("finance_")}


# ------------------------------------------------------------- generated data
def test_ledger_covers_the_whole_history(console):
    detail, raw = console
    coverage = detail.frames["finance_coverage"].iloc[0]
    assert bool(coverage["complete"])
    assert coverage["covered_from"] <= pd.to_datetime(raw["bookings"]["start_at"]).min()


def test_invoice_figures_match_pandas(console):
    detail, raw = console
    period = finance.DayRange(PERIOD.start, PERIOD.end)
    got = finance.invoice_figures(detail.frames["finance_invoices"], period)
    inv = raw["invoices"].assign(
        issued_on=lambda f: pd.to_datetime(f["issued_on"]),
        paid_on=lambda f: pd.to_datetime(f["paid_on"]),
    )
    issued = inv[
        (inv["issued_on"] >= pd.Timestamp(period.start))
        & (inv["issued_on"] <= pd.Timestamp(period.end))
    ]
    failed_once = (issued["attempts"] > 1) | issued["status"].isin(
        ["retried", "failed", "written_off"]
    )
    assert got["invoices_issued"] == len(issued) > 20
    assert got["invoices_paid"] == issued["paid_on"].notna().sum()
    assert got["invoices_failed"] == issued["status"].isin(["failed", "written_off"]).sum()
    assert got["dunning_recovery"] == pytest.approx(
        (failed_once & issued["paid_on"].notna()).sum() / failed_once.sum()
    )
    end = pd.Timestamp(period.end)
    ar = inv[
        (inv["issued_on"] <= end) & (inv["status"] != "written_off") & ~(inv["paid_on"] <= end)
    ]
    assert got["dso"] == pytest.approx(ar["amount_ars"].sum() / issued["amount_ars"].sum() * 180)


def test_payment_failure_by_method_matches_pandas(console):
    detail, raw = console
    period = finance.DayRange(PERIOD.start, PERIOD.end)
    monthly = detail.frames["finance_payments_monthly"]
    got = finance.failure_by_method(monthly[monthly["month"].isin(period.months())])
    pay = raw["payments"]
    month = pd.to_datetime(pay["created_at"]).dt.to_period("M").dt.to_timestamp()
    pay = pay[month.isin(period.months())]
    settled = pay[~pay["status"].isin(["pending", "in_process"])]
    expected = settled["status"].isin(FAILED).groupby(settled["method"]).mean()
    assert set(got["method"]) == set(expected.index)
    for row in got.itertuples():
        assert row.failure_rate == pytest.approx(expected[row.method]), row.method
        assert row.payments == (pay["method"] == row.method).sum()


def raw_reconciliation(raw) -> pd.DataFrame:
    """Per booking: price, status and the sum of its approved payments (pandas only)."""
    bookings = raw["bookings"].assign(start_at=lambda f: pd.to_datetime(f["start_at"]))
    bookings = bookings[bookings["start_at"] < pd.Timestamp(TODAY)]  # today is not reconciled
    pay = raw["payments"]
    paid = pay[pay["status"] == "approved"].groupby("booking_id")["amount_ars"].sum()
    out = bookings.assign(paid=bookings["id"].map(paid))
    done = out["status"] == "completed"
    out["kind"] = np.where(
        done & out["paid"].isna(),
        "unpaid",
        np.where(
            ~done & out["paid"].notna(),
            "paid_not_completed",
            np.where(done & ((out["paid"] - out["price_ars"]).abs() > 0.01), "amount_differs", ""),
        ),
    )
    out["month"] = out["start_at"].dt.to_period("M").dt.to_timestamp()
    return out


def test_reconciliation_matches_pandas(console):
    detail, raw = console
    per_booking = raw_reconciliation(raw)
    done = per_booking[per_booking["status"] == "completed"]
    expected = pd.DataFrame(
        {
            "completed": done.groupby("month").size(),
            "completed_ars": done.groupby("month")["price_ars"].sum(),
            "paid_ars": done.groupby("month")["paid"].sum(),
            "unpaid": (done["kind"] == "unpaid").groupby(done["month"]).sum(),
            "amount_differs": (done["kind"] == "amount_differs").groupby(done["month"]).sum(),
        }
    )
    got = finance.reconciliation_monthly(detail.frames["finance_reconciliation_monthly"])
    got = got.set_index("month")
    assert len(expected) >= 6
    for column in expected:
        assert np.allclose(got[column].reindex(expected.index), expected[column]), column
    paid_other = per_booking[per_booking["kind"] == "paid_not_completed"]
    assert got["paid_not_completed"].sum() == len(paid_other) > 0
    assert (expected["unpaid"] > 0).all() and (expected["amount_differs"] > 0).any()


def test_mismatch_list_matches_pandas(console):
    detail, raw = console
    listed = detail.frames["finance_mismatches"]
    since = pd.Timestamp(TODAY - timedelta(days=ledger_module.MISMATCH_DAYS))
    per_booking = raw_reconciliation(raw)
    expected = per_booking[(per_booking["kind"] != "") & (per_booking["start_at"] >= since)]
    assert set(zip(listed["booking_id"], listed["kind"], strict=True)) == set(
        zip(expected["id"], expected["kind"], strict=True)
    )
    row = listed.iloc[0]
    assert row["difference_ars"] == pytest.approx(row["paid_ars"] - row["booking_ars"])


def test_view_tiles_and_tables(console):
    detail, raw = console
    tenants = raw["tenants"].rename(columns={"id": "tenant_id"})
    view = finance.build_view(frames_of(detail), tenants, PERIOD, as_of=TODAY, locale="en")
    assert view.message is None
    assert [t.key for t in view.tiles] == list(finance.TILES)
    assert all(t.help for t in view.tiles)
    assert (
        view.detail["invoices"].sum()
        == finance.invoice_figures(
            detail.frames["finance_invoices"], finance.DayRange(PERIOD.start, PERIOD.end)
        )["invoices_issued"]
    )
    starter = finance.build_view(
        frames_of(detail), tenants, PERIOD.with_(tiers=("starter",)), as_of=TODAY, locale="en"
    )
    kept = set(tenants.loc[tenants["tier"] == "starter", "tenant_id"])
    assert set(starter.detail["tenant_id"]) <= kept
    assert set(starter.mismatches["tenant_id"]) <= kept


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(start=TODAY, end=TODAY - timedelta(days=3)), "The date range is empty"),
        (Filters(start=TODAY + timedelta(days=5), end=TODAY + timedelta(days=9)), "in the future"),
        (PERIOD.with_(provinces=("Atlántida",)), "No tenant matches"),
        (Filters(start=date(2019, 1, 1), end=date(2019, 2, 1)), "No data for these filters"),
    ],
    ids=["empty", "future", "no-tenant", "before-history"],
)
def test_odd_filters_give_a_message(console, filters, expected):
    detail, raw = console
    tenants = raw["tenants"].rename(columns={"id": "tenant_id"})
    view = finance.build_view(frames_of(detail), tenants, filters, as_of=TODAY, locale="en")
    assert view.message is not None and expected in view.message
    assert view.tiles is None


# ------------------------------------------------------------------ hand-made rows
def _invoices(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["issued_on", "paid_on", "amount_ars", "status", "attempts"])
    frame["issued_on"] = pd.to_datetime(frame["issued_on"])
    frame["paid_on"] = pd.to_datetime(frame["paid_on"])
    return frame.assign(invoice_id=range(1, len(frame) + 1), tenant_id=1)


def test_dso_and_dunning_by_hand():
    invoices = _invoices(
        [
            (date(2026, 3, 1), date(2026, 3, 3), 1000.0, "paid", 1),  # paid in March
            (date(2026, 3, 5), date(2026, 4, 2), 3000.0, "retried", 3),  # open on 31/03
            (date(2026, 3, 10), None, 2000.0, "failed", 2),  # open, being retried
            (date(2026, 3, 20), None, 4000.0, "written_off", 4),  # not a receivable
            (date(2026, 2, 25), None, 500.0, "open", 1),  # issued before, still open
        ]
    )
    march = finance.DayRange(date(2026, 3, 1), date(2026, 3, 31))
    got = finance.invoice_figures(invoices, march)
    # Receivables on 31/03: 3000 + 2000 + 500; invoiced in March: 10000; 31 days.
    assert got["receivables_ars"] == 5500.0
    assert got["dso"] == pytest.approx(5500 / 10000 * 31)
    # Failed at least once: the retried, failed and written-off ones; one was recovered.
    assert got["dunning_recovery"] == pytest.approx(1 / 3)
    assert (got["invoices_issued"], got["invoices_paid"], got["invoices_failed"]) == (4, 2, 2)
    assert (
        finance.invoice_figures(invoices, finance.DayRange(date(2026, 4, 1), date(2026, 4, 30)))[
            "dso"
        ]
        is None
    )  # nothing invoiced in April


@pytest.fixture
def hand_db(tmp_path):
    url = make_database(f"sqlite:///{tmp_path / 'hand.db'}")
    yield url, create_engine_for(url)


def test_reconciliation_mismatches_by_hand(hand_db):
    engine = hand_db[1]
    day = datetime(2026, 3, 10, 10, 0)
    with Session(engine) as session, session.begin():
        refs = factories.add_tenant(session, 1, signup=date(2025, 1, 1))
        add = factories.add_booking
        ok = add(session, refs, start_at=day, price=9000)  # deposit + final = price
        factories.add_payment(session, refs, created_at=day, amount=3000, booking_id=ok.id)
        factories.add_payment(session, refs, created_at=day, amount=6000, booking_id=ok.id)
        unpaid = add(session, refs, start_at=day, price=5000)
        factories.add_payment(  # a rejected attempt does not pay
            session, refs, created_at=day, amount=5000, status="rejected", booking_id=unpaid.id
        )
        short = add(session, refs, start_at=day, price=8000)
        factories.add_payment(session, refs, created_at=day, amount=7200, booking_id=short.id)
        kept = add(session, refs, start_at=day, price=10000, status="cancelled")
        factories.add_payment(session, refs, created_at=day, amount=3000, booking_id=kept.id)
        refunded = add(session, refs, start_at=day, price=10000, status="cancelled")
        factories.add_payment(
            session, refs, created_at=day, amount=3000, status="refunded", booking_id=refunded.id
        )
        ids = {"unpaid": unpaid.id, "amount_differs": short.id, "paid_not_completed": kept.id}
    with Session(engine) as session:
        cells, mismatches = ledger_module.reconciliation_cells(
            session.connection(), date(2026, 3, 1), date(2026, 4, 1)
        )
    assert dict(zip(mismatches["kind"], mismatches["booking_id"], strict=True)) == ids
    row = cells.iloc[0]
    assert (row["completed"], row["unpaid"], row["amount_differs"], row["paid_not_completed"]) == (
        3,
        1,
        1,
        1,
    )
    assert row["completed_ars"] == 22000 and row["paid_ars"] == 9000 + 7200
    assert row["paid_not_completed_ars"] == 3000
    short_row = mismatches[mismatches["kind"] == "amount_differs"].iloc[0]
    assert short_row["difference_ars"] == -800


def test_incremental_ledger_equals_a_fresh_one(hand_db):
    engine = hand_db[1]
    as_of = date(2026, 3, 20)
    with Session(engine) as session, session.begin():
        refs = factories.add_tenant(session, 1, signup=date(2025, 1, 1))
        for k in range(40):
            start = datetime(2026, 2, 10, 10) + timedelta(days=k)
            booking = factories.add_booking(session, refs, start_at=start, price=1000 + k)
            factories.add_payment(
                session, refs, created_at=start, amount=1000 + k, booking_id=booking.id
            )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ledger_module, "BACKFILL_DAYS", 10)
        with Session(engine) as session:
            first = ledger_module.update_ledger(session, as_of, budget_s=0)  # only the last 10 days
            assert not first.complete and first.reset
            stored = provider.finance_frames(session, as_of, first)
        save(engine, stored)
        no_change = Touched(frozenset(), frozenset(), frozenset())
        with Session(engine) as session:
            header = ledger_module.ledger_from_frames(stored)
            ledger = ledger_module.update_ledger(
                session, as_of, ledger=header, touched=no_change, budget_s=1e9
            )
            assert ledger.complete and not ledger.reset
            stored = provider.finance_frames(session, as_of, ledger, stored)
        save(engine, stored)
    later = datetime(2026, 3, 21, 9)
    # The changes are stamped after the marks the ledger was stored with (rows stamp now()).
    marks = {source: now() + timedelta(minutes=1, seconds=30) for source in SOURCES}
    stamp = now() + timedelta(minutes=2)
    with Session(engine) as session, session.begin():
        # A chargeback on an old payment, a cancelled booking, a new payment on an old one.
        old = session.query(Payment).order_by(Payment.id).first()
        old.status, old.updated_at = "charged_back", stamp
        session.execute(
            update(Booking).where(Booking.id == 5).values(status="cancelled", updated_at=stamp)
        )
        payment = factories.add_payment(session, refs, created_at=later, amount=50, booking_id=7)
        payment.updated_at = stamp
    with Session(engine) as session:
        touched = read_touched(session=session, since=marks)  # type: ignore[arg-type]
        assert len(touched.payments) == 2 and len(touched.bookings) == 1  # only the changes
        incremental = provider.update_finance(session, date(2026, 3, 21), stored, touched)
    save(engine, incremental)
    with pytest.MonkeyPatch.context() as patch, Session(engine) as session:
        patch.setattr(ledger_module, "BACKFILL_BUDGET_S", 1e9)
        fresh = provider.compute_finance(session, date(2026, 3, 21))
    for name in (
        "finance_payments_monthly",
        "finance_reconciliation_monthly",
        "finance_mismatches",
    ):
        a = (
            incremental[name]
            .sort_values(list(incremental[name].columns[:3]))
            .reset_index(drop=True)
        )
        b = fresh[name].sort_values(list(fresh[name].columns[:3])).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)
    listed = fresh["finance_mismatches"]
    kinds = dict(zip(listed["booking_id"], listed["kind"], strict=True))
    assert kinds == {1: "unpaid", 5: "paid_not_completed", 7: "amount_differs"}
    # The stored cells, updated in place, equal the fresh ledger's whole history.
    with Session(engine) as session:
        for part, columns in (("payments", 3), ("recon", 2)):
            kept = ledger_module.stored_cells(session.connection(), part, None)
            built = getattr(
                ledger_module.update_ledger(session, date(2026, 3, 21), budget_s=1e9), part
            )
            order = list(kept.columns[:columns])
            pd.testing.assert_frame_equal(
                kept.sort_values(order).reset_index(drop=True),
                built.sort_values(order).reset_index(drop=True),
                check_dtype=False,
                obj=part,
            )


def save(engine, frames) -> None:
    """Write a run's ledger changes as the detail job does (with its snapshot)."""
    with Session(engine) as session, session.begin():
        ledger_module.save_ledger(session, frames)


def test_job_runs_summary_by_hand(hand_db):
    engine = hand_db[1]
    as_of = date(2026, 3, 20)
    base = datetime(2026, 3, 19, 12)
    with Session(engine) as session, session.begin():
        for k, status in enumerate(["success", "success", "failed", "skipped", "success"]):
            started = base + timedelta(minutes=k)
            session.add(
                JobRun(
                    job_id="metrics_refresh",
                    scheduler_id="h:1:x",
                    started_at=started,
                    finished_at=started + timedelta(seconds=k + 1),
                    status=status,
                    error="boom" if status == "failed" else None,
                )
            )
        session.add(  # eight days earlier: in the previous 7-day window
            JobRun(
                job_id="metrics_refresh",
                scheduler_id="h:1:x",
                started_at=base - timedelta(days=8),
                finished_at=base - timedelta(days=8),
                status="failed",
                error="old",
            )
        )
    with Session(engine) as session:
        frames = provider.job_frames(session=session, as_of=as_of)
    row = frames["finance_jobs"].set_index("job_id").loc["metrics_refresh"]
    assert (row["runs"], row["success"], row["failed"], row["skipped"]) == (6, 3, 2, 1)
    assert row["success_rate"] == pytest.approx(3 / 5)
    assert row["median_duration_s"] == 2.0  # skipped runs left out: median of 1, 2, 3, 5 and 0 s
    assert row["last_error"] == "boom"
    now, before = finance.job_figures(frames["finance_job_runs_daily"], as_of)
    assert now == pytest.approx(3 / 4) and before == 0.0
