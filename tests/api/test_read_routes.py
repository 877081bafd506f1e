"""The read routes: every route × (no token, wrong role, right role) and the figures they
return, from tables filled by the real watchdog, job runs and a hand-made snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.clock import now
from core.db import read_session, write_unit
from core.metrics.registry import METRICS
from core.ops.catalog import MONITORS
from core.ops.watchdog import evaluate_once
from core.queries.ops import launch_readiness
from core.schema import JobRun, SchedulerHeartbeat
from tests import snapshot_factory as factory
from tests.api.conftest import BACKENDS, ApiWorld

# Route -> the roles that may read it (every other role gets 403).
READ_ROUTES = {
    "/api/production/systems/status": {"admin", "executive"},
    "/api/production/launch-readiness": {"admin", "executive"},
    "/api/t11/status": {"admin", "executive"},
    "/api/metrics/snapshot": {"admin", "executive"},
}
ROLES = ("admin", "executive", "cs_manager", "onboarding")
KEPT_S = {
    "/api/production/systems/status": 10,
    "/api/production/launch-readiness": 30,
    "/api/t11/status": 5,
}
# Cheap monitors: the real watchdog opens a real incident (no scheduler beats here).
WATCHED = tuple(
    m for m in MONITORS if m.monitor_id in {"database.reachable", "scheduler.heartbeat"}
)


def _local(stamp: str) -> datetime:
    """An API timestamp (with its offset, always -03:00) as the console's naive local time."""
    assert stamp.endswith("-03:00"), stamp
    return datetime.fromisoformat(stamp).replace(tzinfo=None)


def test_health_is_open_and_says_only_ok(api_world: ApiWorld) -> None:
    answer = api_world.client.get("/api/health")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


@pytest.mark.parametrize("path", sorted(READ_ROUTES))
def test_every_read_route_wants_a_token_and_the_right_role(api_world: ApiWorld, path: str) -> None:
    factory.add_snapshot(api_world.url, now(), factory.flat_daily(now().date()))
    client = api_world.client
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic YTpi"}):
        missing = client.get(path, headers=headers)
        assert missing.status_code == 401, headers
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert missing.json()["code"] == "token_missing"
    for bad in ("bp_" + "x" * 43, "not-a-token", "bp_" + "y" * 500):
        unknown = client.get(path, headers={"Authorization": f"Bearer {bad}"})
        assert unknown.status_code == 401 and unknown.json()["code"] == "token_invalid"
    for role in ROLES:
        answer = client.get(path, headers=api_world.auth(role))
        if role in READ_ROUTES[path]:
            assert answer.status_code == 200, (role, answer.text)
            assert answer.headers["content-type"] == "application/json"
            # The status read models are kept a few seconds per process (api.cache).
            kept = KEPT_S.get(path)
            control = answer.headers["cache-control"]
            if kept is None:
                assert control == "no-store"
            else:
                assert control.startswith("private, max-age=")
                assert 0 <= int(control.rsplit("=", 1)[1]) <= kept
        else:
            assert answer.status_code == 403, role
            problem = answer.json()
            assert problem["type"].endswith("/forbidden") and problem["status"] == 403
            assert "may not use this route" in problem["detail"]


def _two_rounds(world: ApiWorld) -> datetime:
    start = now().replace(microsecond=0) - timedelta(minutes=1)
    evaluate_once(world.engine, world.settings, at=start, monitors=WATCHED)
    last = start + timedelta(seconds=30)
    evaluate_once(world.engine, world.settings, at=last, monitors=WATCHED)
    return last


def test_system_status_reports_components_overall_and_open_incidents(
    api_world: ApiWorld,
) -> None:
    empty = api_world.client.get(
        "/api/production/systems/status", headers=api_world.auth("executive")
    ).json()
    assert empty["overall"] == "unknown" and empty["open_incidents"] == []
    assert empty["watchdog_stale"] is True
    # That answer is kept 10 s (tests/api/test_harden.py); the next read is a new one.
    api_world.client.app.state.memos.clear()
    last = _two_rounds(api_world)
    body = api_world.client.get(
        "/api/production/systems/status", headers=api_world.auth("executive")
    ).json()
    components = {c["component"]: c for c in body["components"]}
    assert components["scheduler"]["state"] == "critical"
    assert components["scheduler"]["monitor_id"] == "scheduler.heartbeat"
    assert "heartbeat" in components["scheduler"]["evidence"]
    assert _local(components["scheduler"]["since"]) == last
    assert components["database"]["state"] == "ok"
    assert body["overall"] == "down"
    assert _local(body["newest_check"]) == last
    (incident,) = body["open_incidents"]
    assert incident["monitor_id"] == "scheduler.heartbeat"
    assert incident["status"] == "open" and incident["severity"] == "critical"
    assert incident["monitor_title"] == "Scheduler heartbeat"
    # In Spanish on request: the same read model, built for the reader's locale.
    spanish = api_world.client.get(
        "/api/production/systems/status",
        headers={**api_world.auth("executive"), "Accept-Language": "es-AR,es;q=0.9"},
    ).json()
    assert spanish["open_incidents"][0]["monitor_title"] != "Scheduler heartbeat"


def test_launch_readiness_is_the_checklist_core_judges(api_world: ApiWorld) -> None:
    body = api_world.client.get(
        "/api/production/launch-readiness", headers=api_world.auth("admin")
    ).json()
    with read_session(api_world.engine) as session:
        judged = launch_readiness(session=session, settings=api_world.settings, at=now())
    assert [i["id"] for i in body["items"]] == [i.id for i in judged.items]
    assert body["score"] == judged.score
    weights = sum(i["weight"] for i in body["items"])
    credited = sum(i["weight"] * i["credit"] for i in body["items"])
    assert body["score"] == pytest.approx(round(100 * credited / weights, 1))
    for item in body["items"]:
        assert item["passed"] == (item["credit"] >= 1) and item["evidence"]
    # Nothing was ever evaluated and no test run recorded here: not ready.
    assert body["score"] < 100 and {"monitors_green", "test_suite"} <= set(body["blockers"])


@pytest.mark.parametrize("api_world", BACKENDS, indirect=True)
def test_t11_status_lists_every_job_with_its_last_run_and_the_snapshots(
    api_world: ApiWorld,
) -> None:
    at = now().replace(microsecond=0)
    version = factory.add_snapshot(api_world.url, at, factory.flat_daily(at.date()))
    with write_unit(api_world.engine) as session:
        for minutes, status, error in (
            (10, "success", None),
            (5, "failed", "OperationalError: database is locked\nTraceback (most recent..."),
        ):
            session.add(
                JobRun(
                    job_id="metrics_refresh",
                    scheduler_id="standalone-1",
                    started_at=at - timedelta(minutes=minutes),
                    finished_at=at - timedelta(minutes=minutes) + timedelta(seconds=2),
                    status=status,
                    rows_touched=12,
                    error=error,
                )
            )
        session.add(
            SchedulerHeartbeat(
                scheduler_id="standalone-1",
                hostname="ops-1",
                pid=99,
                mode="standalone",
                started_at=at - timedelta(hours=1),
                beat_at=at - timedelta(seconds=5),
            )
        )
    body = api_world.client.get("/api/t11/status", headers=api_world.auth("executive")).json()
    jobs = {job["job_id"]: job for job in body["jobs"]}
    assert {"metrics_refresh", "alert_rules", "churn_retrain", "backup_nightly"} <= set(jobs)
    refresh = jobs["metrics_refresh"]
    assert refresh["last_run"]["status"] == "failed"
    assert refresh["last_run"]["error"] == "OperationalError: database is locked"
    assert refresh["last_run"]["duration_s"] == 2.0 and refresh["last_run"]["rows_touched"] == 12
    assert _local(refresh["last_success_at"]) == at - timedelta(minutes=10, seconds=-2)
    assert refresh["interval_s"] == api_world.settings.refresh_interval_s
    assert jobs["churn_retrain"]["last_run"] is None
    assert jobs["churn_retrain"]["interval_s"] == 86400.0
    snapshot = body["metrics_snapshot"]
    assert snapshot["version"] == version and 0 <= snapshot["age_s"] < 60
    assert body["detail_snapshot"] is None
    (scheduler,) = body["schedulers"]
    assert scheduler["hostname"] == "ops-1" and 5 <= scheduler["beat_age_s"] < 65


def test_metrics_snapshot_returns_the_newest_kpis_with_their_definitions(
    api_world: ApiWorld,
) -> None:
    client, headers = api_world.client, api_world.auth("executive")
    none_yet = client.get("/api/metrics/snapshot", headers=headers)
    assert none_yet.status_code == 404 and none_yet.json()["code"] == "no_snapshot"
    at = now().replace(microsecond=0)
    factory.add_snapshot(api_world.url, at - timedelta(hours=1), factory.realistic_daily(at.date()))
    version = factory.add_snapshot(api_world.url, at, factory.flat_daily(at.date()))
    body = client.get("/api/metrics/snapshot", headers=headers).json()
    assert body["version"] == version
    kpis = {k["key"]: k for k in body["metrics"]}
    # The flat profile's hand-computed figures (tests/snapshot_factory.py): 12 × 28 vs 10 × 28.
    assert kpis["bookings"]["value"] == 336 and kpis["bookings"]["previous"] == 280
    assert kpis["bookings"]["definition"] == METRICS["bookings"].definition
    assert kpis["bookings"]["headline"] is True and kpis["bookings"]["unit"] == "count"
    assert kpis["mrr"]["value"] == 2_500_000.0
    assert body["window_end"] == str(at.date() - timedelta(days=1))
    assert body["window_start"] == str(at.date() - timedelta(days=28))
    only = client.get("/api/metrics/snapshot?key=mrr&key=bookings", headers=headers).json()[
        "metrics"
    ]
    assert [k["key"] for k in only] == ["mrr", "bookings"]  # the registry's order
    unknown = client.get("/api/metrics/snapshot?key=mrr&key=<script>", headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "query.key", "message": "No metric has the key '<script>'."}
    ]
