"""The per-token write limit: the 61st write of a minute is refused with 429 and
Retry-After and writes nothing; other tokens are unaffected; the window rolls over; the
count holds across app instances (processes) on one database, SQLite and PostgreSQL."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.rate_limits import api_routes, is_rate_limited
from core import clock
from core.auth.api_rate_limits import take_write_slot, window_start
from core.auth.api_tokens import resolve_api_token
from core.config import ConfigError, Settings
from core.db import create_engine_for, read_session, write_unit
from core.schema import ApiRateWindow, AuditEvent, OpsMonitorOverride
from tests.api.conftest import BACKENDS, USERS, ApiWorld, issue

ROUTE = "/api/production/monitoring"
HEARTBEAT = "scheduler.heartbeat"  # declared: warning 20 s, critical 30 s


def _change(i: int) -> dict[str, object]:
    """A valid override that differs from the previous one (an identical one is a 422)."""
    return {"monitor_id": HEARTBEAT, "warning": 21 + i % 2, "critical": 200 + i}


def _stored(world: ApiWorld) -> tuple[int, list[tuple[float | None, float | None]]]:
    with read_session(world.engine) as session:
        audits = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "ops.monitor.override")
        )
        rows = session.execute(select(OpsMonitorOverride.warning, OpsMonitorOverride.critical))
        return int(audits or 0), [tuple(row) for row in rows]


@pytest.fixture
def early_in_a_minute() -> Iterator[datetime]:
    """The console's clock moved to 5 s into a minute (it keeps ticking from there)."""
    shift = clock.offset()
    current = clock.now()
    target = window_start(current) + timedelta(minutes=1, seconds=5)
    clock.set_offset(shift + (target - current))
    try:
        yield target
    finally:
        clock.set_offset(shift)


def test_the_61st_write_of_a_minute_is_refused_with_retry_after_and_writes_nothing(
    api_world: ApiWorld, early_in_a_minute: datetime
) -> None:
    client, admin = api_world.client, api_world.auth("admin")
    assert api_world.settings.api_write_limit_per_minute == 60
    for i in range(60):
        answer = client.post(ROUTE, json=_change(i), headers=admin)
        assert answer.status_code == 200, (i, answer.text)
        assert answer.headers["ratelimit-limit"] == "60"
        assert answer.headers["ratelimit-remaining"] == str(59 - i)
        assert answer.headers["ratelimit-policy"] == "60;w=60"
    assert _stored(api_world) == (60, [(22.0, 259.0)])

    before = clock.now()
    refused = client.post(ROUTE, json=_change(60), headers=admin)
    after = clock.now()
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("/rate-limited") and problem["code"] == "rate_limited"
    assert problem["status"] == 429 and "60 writes" in problem["detail"]
    # Retry-After: whole seconds to the end of this minute's window, as the clock says.
    window_end = window_start(early_in_a_minute) + timedelta(minutes=1)
    longest = math.ceil((window_end - before).total_seconds())
    shortest = math.ceil((window_end - after).total_seconds())
    retry_after = int(refused.headers["retry-after"])
    assert shortest <= retry_after <= longest and 1 <= retry_after <= 55
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-reset"] == refused.headers["retry-after"]
    # Nothing written: the override is the 60th one, still 60 audit rows.
    assert _stored(api_world) == (60, [(22.0, 259.0)])

    # Another token (of the same admin) has its own window.
    other = {"Authorization": f"Bearer {issue(api_world.engine, USERS['admin'][0])}"}
    answer = client.post(ROUTE, json=_change(61), headers=other)
    assert answer.status_code == 200 and answer.headers["ratelimit-remaining"] == "59"
    assert _stored(api_world) == (61, [(22.0, 261.0)])

    # The next minute, the first token writes again.
    clock.set_offset(clock.offset() + timedelta(seconds=retry_after))
    answer = client.post(ROUTE, json=_change(62), headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.headers["ratelimit-remaining"] == "59"
    assert _stored(api_world) == (62, [(21.0, 262.0)])


def test_refused_roles_take_no_slot_and_refused_bodies_take_one(
    api_world: ApiWorld, early_in_a_minute: datetime
) -> None:
    client = api_world.client
    for _ in range(3):
        refused = client.post(ROUTE, json=_change(0), headers=api_world.auth("executive"))
        assert refused.status_code == 403
    with read_session(api_world.engine) as session:
        assert session.scalars(select(ApiRateWindow)).all() == []
    # A body the command refuses (an unknown channel) counted: floods of bad requests are
    # throttled too; the answer says what is left.
    bad = client.post(
        ROUTE, json={"monitor_id": HEARTBEAT, "channel": "sms"}, headers=api_world.auth("admin")
    )
    assert bad.status_code == 422 and bad.headers["ratelimit-remaining"] == "59"
    # Reads are not writes: no limit headers, no count.
    read = client.get("/api/t11/status", headers=api_world.auth("admin"))
    assert read.status_code == 200 and "ratelimit-limit" not in read.headers
    with read_session(api_world.engine) as session:
        assert session.scalar(select(func.sum(ApiRateWindow.writes))) == 1


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_the_limit_holds_across_two_app_instances_on_one_database(
    api_world: ApiWorld, early_in_a_minute: datetime
) -> None:
    """Two create_app() on one database, as two uvicorn workers or replicas would be."""
    settings = replace(api_world.settings, api_write_limit_per_minute=5)
    admin = api_world.auth("admin")
    with (
        TestClient(create_app(settings), raise_server_exceptions=False) as first,
        TestClient(create_app(settings), raise_server_exceptions=False) as second,
    ):
        statuses = [
            (first if i % 2 == 0 else second).post(ROUTE, json=_change(i), headers=admin)
            for i in range(7)
        ]
    assert [answer.status_code for answer in statuses] == [200] * 5 + [429] * 2
    assert [answer.headers["ratelimit-remaining"] for answer in statuses] == [
        "4",
        "3",
        "2",
        "1",
        "0",
        "0",
        "0",
    ]
    assert _stored(api_world)[0] == 5


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_concurrent_writers_on_separate_engines_never_exceed_the_limit(
    api_world: ApiWorld,
) -> None:
    """Eight "processes" (one engine each) race for one token's window: exactly the limit
    gets through, whatever the interleaving (the UPSERT is one atomic statement)."""
    at = window_start(clock.now()) + timedelta(seconds=10)
    token_id = _token_id(api_world)
    allowed: list[bool] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def writer() -> None:
        engine = create_engine_for(api_world.url)
        try:
            for _ in range(6):
                with write_unit(engine) as session:
                    slot = take_write_slot(session=session, token_id=token_id, at=at, limit=25)
                with lock:
                    allowed.append(slot.allowed)
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(allowed) == 48 and allowed.count(True) == 25
    with read_session(api_world.engine) as session:
        assert session.scalar(select(ApiRateWindow.writes)) == 25


def _token_id(world: ApiWorld) -> int:
    with read_session(world.engine) as session:
        caller = resolve_api_token(session=session, token=world.tokens["admin"])
    assert caller is not None
    return caller.token_id


def test_windows_align_to_the_minute_and_old_ones_are_pruned(api_world: ApiWorld) -> None:
    token_id = _token_id(api_world)
    start = datetime(2026, 12, 7, 14, 5)
    assert window_start(start + timedelta(seconds=59, microseconds=999_999)) == start
    assert window_start(start + timedelta(seconds=60)) == start + timedelta(minutes=1)
    for minute in (0, 1, 2, 5):
        at = start + timedelta(minutes=minute, seconds=30)
        with write_unit(api_world.engine) as session:
            slot = take_write_slot(session=session, token_id=token_id, at=at, limit=3)
        assert slot.allowed and slot.remaining == 2 and slot.reset_after_s == 30
    with read_session(api_world.engine) as session:
        kept = session.scalars(select(ApiRateWindow.window_start)).all()
    # Opening 14:07 dropped 14:05 (14:06 is kept: another process's clock may lag);
    # opening 14:10 dropped 14:06 and 14:07.
    assert kept == [start + timedelta(minutes=5)]


def test_the_write_limit_setting_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BARBERPRO_API_WRITE_LIMIT_PER_MINUTE", "120")
    assert Settings.from_env().api_write_limit_per_minute == 120
    for bad in ("0", "-5", "sixty", "1.5"):
        monkeypatch.setenv("BARBERPRO_API_WRITE_LIMIT_PER_MINUTE", bad)
        with pytest.raises(ConfigError, match="BARBERPRO_API_WRITE_LIMIT_PER_MINUTE"):
            Settings.from_env()
    monkeypatch.delenv("BARBERPRO_API_WRITE_LIMIT_PER_MINUTE")
    assert Settings.from_env().api_write_limit_per_minute == 60


def test_every_write_route_is_limited_and_declares_429(api_world: ApiWorld) -> None:
    """Also guards routes added later: a POST without the write gate fails here."""
    app = create_app(api_world.settings)
    schema = app.openapi()
    writes = 0
    for route in api_routes(app):
        if not route.include_in_schema:  # /docs and /openapi.json
            assert route.methods <= {"GET", "HEAD"}, route.path
            continue
        operations = schema["paths"][route.path_format]
        for method in route.methods - {"GET", "HEAD"}:
            writes += 1
            assert is_rate_limited(route), f"{method} {route.path} skips requires_capability"
            declared = operations[method.lower()]["responses"]
            assert "Retry-After" in declared["429"]["headers"]
            assert "application/problem+json" in declared["429"]["content"]
            successes = [declared[code] for code in declared if code.startswith("2")]
            assert successes and all("RateLimit-Remaining" in r["headers"] for r in successes)
        for method in route.methods & {"GET"}:
            assert "429" not in operations[method.lower()]["responses"], route.path
    assert writes >= 1
