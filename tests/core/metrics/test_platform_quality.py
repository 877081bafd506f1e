"""Data-quality checks find planted orphans, missing values and future rows, and only those."""

import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics.detail import refresh_detail_frames
from core.metrics.frames.platform import FRAME, PROVIDERS, compute_platform, run_checks
from tests.generated_console import AS_OF, TODAY, generated_console

CUTOFF = datetime.combine(TODAY + timedelta(days=1), datetime.min.time())


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "generated_console_t360" / "console.db"
    if not path.exists():  # shared by this helper's test modules in one pytest run
        path.parent.mkdir(exist_ok=True)
        generated_console(path)
    return path


@pytest.fixture
def copy(generated, tmp_path):
    target = tmp_path / "copy.db"
    with sqlite3.connect(generated) as source, sqlite3.connect(target) as destination:
        source.backup(destination)
    return target


def counts(path) -> dict[str, int]:
    engine = create_engine_for(f"sqlite:///{path}")
    with Session(engine) as session:
        frame = run_checks(session, cutoff=CUTOFF, checked_at=AS_OF)
    engine.dispose()
    assert frame["check_id"].is_unique
    return dict(zip(frame["check_id"], frame["count"], strict=True)) | {
        "_warnings": int((frame["status"] == "warning").sum())
    }


def test_generated_data_is_clean(copy):
    found = counts(copy)
    assert found["_warnings"] == 0
    assert found["bookings.rows"] > 1000 and found["tenants.rows"] == 30


def test_planted_problems_are_found(copy):
    # A bulk load with foreign keys off (SQLite's default per connection) plants them.
    with sqlite3.connect(copy) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        booking = db.execute("SELECT * FROM bookings ORDER BY id LIMIT 1").fetchone()
        columns = [c[1] for c in db.execute("PRAGMA table_info(bookings)")]
        row = dict(zip(columns, booking, strict=True))

        def add_booking(**changes):
            values = row | {"id": None} | changes
            marks = ", ".join("?" * len(values))
            db.execute(
                f"INSERT INTO bookings ({', '.join(values)}) VALUES ({marks})",
                list(values.values()),
            )

        add_booking(tenant_id=99_999)
        add_booking(tenant_id=99_998, customer_id=88_888)
        add_booking(staff_id=77_777)
        add_booking(created_at="2030-01-01 10:00:00.000000")
        add_booking(created_at="2030-01-02 10:00:00.000000")
        payment = db.execute("SELECT id FROM payments ORDER BY id LIMIT 3").fetchall()
        db.execute("UPDATE payments SET booking_id = NULL WHERE id = ?", payment[0])
        db.execute("UPDATE payments SET booking_id = 123456789 WHERE id = ?", payment[1])
        db.execute(
            "UPDATE payments SET created_at = '2031-05-05 00:00:00' WHERE id = ?", payment[2]
        )
        db.execute(
            "UPDATE tenants SET status = 'churned', churned_on = NULL "
            "WHERE id = (SELECT min(id) FROM tenants)"
        )
        db.execute("UPDATE invoices SET status = 'paid', paid_on = NULL WHERE id = 1")
        db.execute("UPDATE support_tickets SET tenant_id = 55555 WHERE id = 1")
        db.execute("UPDATE nps_responses SET responded_at = '2029-01-01 00:00:00' WHERE id = 1")
        db.execute("DELETE FROM tenants WHERE id = 0")  # no such tenant: nothing happens
    found = counts(copy)
    assert found["bookings.tenant"] == 2
    assert found["bookings.customer"] == 1
    assert found["bookings.staff"] == 1
    assert found["bookings.future"] == 2
    assert found["payments.no_booking"] == 1
    assert found["payments.booking"] == 1
    assert found["payments.future"] == 1
    assert found["tenants.churn_date"] == 1
    assert found["invoices.paid_on"] == 1
    assert found["support_tickets.tenant"] == 1
    assert found["nps_responses.future"] == 1
    assert found["bookings.location"] == found["bookings.service"] == 0
    assert found["_warnings"] == 11


def test_results_are_carried_over_for_an_hour(copy, monkeypatch):
    engine = create_engine_for(f"sqlite:///{copy}")
    refresh_detail_frames(engine, at=AS_OF, providers=PROVIDERS)
    calls = []
    import core.metrics.frames.platform as platform

    monkeypatch.setattr(platform, "run_checks", lambda *a, **k: calls.append(1))
    with Session(engine) as session:
        frame = compute_platform(session, TODAY)[FRAME]
    assert calls == [] and len(frame) > 40  # the previous result, not a new scan
    monkeypatch.setattr(platform, "CHECK_EVERY_S", 0.0)
    with Session(engine) as session:
        compute_platform(session, TODAY)
    assert calls == [1]
    engine.dispose()
