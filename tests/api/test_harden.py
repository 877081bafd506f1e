"""POST /api/production/harden (admins: the audit run now, audited, stored) and the
per-process keeping of the launch-readiness and system-status answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.ops.hardening import CHECKS, latest_report, reports_dir
from core.ops.readiness import hardening_score
from core.schema import AuditEvent
from tests.api.conftest import USERS, ApiWorld

HARDEN = "/api/production/harden"


def audit_rows(world: ApiWorld) -> list[AuditEvent]:
    with Session(world.engine) as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "ops.hardening_audit"))
        )


def _local(stamp: str) -> datetime:
    assert stamp.endswith("-03:00"), stamp
    return datetime.fromisoformat(stamp).replace(tzinfo=None)


def test_harden_is_for_admins_only_and_runs_nothing_otherwise(api_world: ApiWorld) -> None:
    client = api_world.client
    assert client.post(HARDEN).status_code == 401
    unknown = {"Authorization": "Bearer bp_" + "q" * 43}
    assert client.post(HARDEN, headers=unknown).status_code == 401
    for role in ("executive", "cs_manager", "onboarding"):
        answer = client.post(HARDEN, headers=api_world.auth(role))
        assert answer.status_code == 403, role
        assert answer.headers["content-type"] == "application/problem+json"
    assert audit_rows(api_world) == []
    assert latest_report(reports_dir(api_world.settings)) is None


def test_harden_runs_the_audit_as_the_tokens_user_and_stores_the_report(
    api_world: ApiWorld,
) -> None:
    client, admin = api_world.client, api_world.auth("admin")
    before = client.get("/api/production/launch-readiness", headers=admin).json()
    answer = client.post(HARDEN, headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    stored = latest_report(reports_dir(api_world.settings))
    assert stored is not None and report["stored"] is True
    assert stored.ran_by == USERS["admin"][2] == report["ran_by"]
    assert _local(report["ran_at"]) == stored.ran_at
    assert [f["id"] for f in report["findings"]] == [spec.id for spec in CHECKS]
    assert [f["status"] for f in report["findings"]] == [i.status for i in stored.items]
    assert all(f["evidence"] and f["remedy"] for f in report["findings"])
    counts = stored.counts()
    assert (report["passed"], report["warned"], report["failed"]) == (
        counts["pass"],
        counts["warn"],
        counts["fail"],
    )
    assert report["failing"] == list(stored.failing)
    assert report["score"] == hardening_score(stored)
    # The score by hand: full weight for a pass, half for a warning, none for a failure.
    weights = {f["id"]: f["weight"] for f in report["findings"]}
    earned = sum(
        weights[f["id"]] * {"pass": 1.0, "warn": 0.5, "fail": 0.0}[f["status"]]
        for f in report["findings"]
    )
    assert report["score"] == round(100 * earned / sum(weights.values()), 1)
    (event,) = audit_rows(api_world)
    assert event.actor_id == USERS["admin"][0]
    assert event.after == {"counts": counts, "failing": list(stored.failing)}
    # The kept readiness answer is renewed at once: it judges the stored report now.
    after = client.get("/api/production/launch-readiness", headers=admin).json()
    assert _local(after["hardening_ran_at"]) == stored.ran_at
    assert after["computed_at"] != before["computed_at"]

    spanish = client.post(HARDEN, headers={**admin, "Accept-Language": "es"}).json()
    titles = [f["title"] for f in spanish["findings"]]
    assert titles != [f["title"] for f in report["findings"]]
    assert len(audit_rows(api_world)) == 2


def test_readiness_and_status_are_kept_for_their_max_age(api_world: ApiWorld) -> None:
    client, reader = api_world.client, api_world.auth("executive")
    for path, max_age in (
        ("/api/production/launch-readiness", 30.0),
        ("/api/production/systems/status", 10.0),
    ):
        first = client.get(path, headers=reader)
        second = client.get(path, headers=reader)
        assert first.status_code == second.status_code == 200
        assert first.json()["max_age_s"] == second.json()["max_age_s"] == max_age
        # The same computation answers both (the clock moved between the calls).
        assert second.json()["computed_at"] == first.json()["computed_at"]
        assert first.headers["cache-control"] == f"private, max-age={int(max_age)}"
        left = int(second.headers["cache-control"].rsplit("=", 1)[1])
        assert 0 <= left <= max_age
        # Another language is its own answer, computed for it.
        spanish = client.get(path, headers={**reader, "Accept-Language": "es"})
        assert spanish.status_code == 200
