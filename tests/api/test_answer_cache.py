"""Kept answers (api.cache): renewed when what they derive from changes or their max age
passes, and never served past the token and role checks of the request."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import update

from api.cache import AnswerMemo, with_fields
from core.auth.api_tokens import resolve_api_token, revoke_api_token
from core.backup.manifest import DrillResult, append_drill
from core.clock import now
from core.db import read_session, write_unit
from core.metrics.frames.onboarding_funnel import compute_onboarding_funnel
from core.metrics.snapshots import DETAIL_KIND, write_snapshot
from core.schema import ConsoleUser, JobRun
from tests import snapshot_factory as factory
from tests.api.conftest import USERS, ApiWorld

SNAPSHOT = "/api/metrics/snapshot"
VALIDATION = "/api/t11/validation"
SUCCESS = "/api/enterprise/onboarding/success"
T11_STATUS = "/api/t11/status"
# Every route whose answer is kept, with the query it needs.
KEPT_ROUTES = (
    SNAPSHOT,
    VALIDATION,
    T11_STATUS,
    "/api/production/systems/status",
    "/api/production/launch-readiness",
    f"{SUCCESS}?from=2026-01-01&to=2026-03-31",
)


def _without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


def _detail_snapshot(world: ApiWorld, frames: dict[str, pd.DataFrame]) -> int:
    with write_unit(world.engine) as session:
        return write_snapshot(
            session=session, as_of=now(), kind=DETAIL_KIND, kpis={}, frames=frames
        )


# ------------------------------------------------------------ answers derived from a version


def test_a_new_snapshot_is_a_new_metrics_answer_at_once(api_world: ApiWorld) -> None:
    client, reader = api_world.client, api_world.auth("executive")
    day = now().date()
    first_version = factory.add_snapshot(api_world.url, now(), factory.flat_daily(day))
    first = client.get(SNAPSHOT, headers=reader).json()
    again = client.get(SNAPSHOT, headers=reader).json()
    assert first["version"] == again["version"] == first_version
    # Kept: the same answer, but its age is measured for each request.
    assert _without(again, "age_s") == _without(first, "age_s")
    assert 0 <= first["age_s"] <= again["age_s"] < 60
    bookings = {k["key"]: k for k in first["metrics"]}["bookings"]["value"]

    second_version = factory.add_snapshot(
        api_world.url, now(), factory.flat_daily(day, current_bookings=20)
    )
    second = client.get(SNAPSHOT, headers=reader).json()
    assert second["version"] == second_version > first_version
    renewed = {k["key"]: k for k in second["metrics"]}["bookings"]["value"]
    assert renewed == 20 * 28 != bookings
    # A filter is its own answer, of the same snapshot.
    only = client.get(SNAPSHOT, params={"key": "bookings"}, headers=reader).json()
    assert [k["key"] for k in only["metrics"]] == ["bookings"]
    assert only["version"] == second_version


def test_validation_is_renewed_when_a_snapshot_a_model_or_a_drill_is_new(
    api_world: ApiWorld,
) -> None:
    client, reader = api_world.client, api_world.auth("admin")

    def results() -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in client.get(VALIDATION, headers=reader).json()["results"]}

    assert results()["data_quality"]["values"] is None
    quality = pd.DataFrame(
        {
            "check_id": ["rows.tenants"],
            "category": ["rows"],
            "table_name": ["tenants"],
            "check": ["rows"],
            "count": [0],
            "status": ["ok"],
            "checked_at": [now()],
        }
    )
    _detail_snapshot(api_world, {"platform_data_quality": quality})
    assert results()["data_quality"]["values"]["checks"] == 1

    assert results()["incremental_vs_full_rebuild"]["values"] is None
    api_world.settings.backups_dir.mkdir(parents=True)
    append_drill(
        api_world.settings.backups_dir,
        DrillResult(
            at=now() - timedelta(hours=1),
            backup="barberpro-sqlite-20261205T030000.db",
            passed=True,
            kpis={"mrr_ars": (1000.0, 1000.0)},
            seconds=3.0,
        ),
    )
    assert results()["incremental_vs_full_rebuild"]["passed"] is True

    first = client.get(VALIDATION, headers=reader)
    second = client.get(VALIDATION, headers=reader)
    # Kept until an input changes; ``at`` is the time of each answer.
    assert _without(first.json(), "at") == _without(second.json(), "at")
    assert first.json()["at"] != second.json()["at"]


def test_success_follows_the_newest_detail_snapshot(api_world: ApiWorld) -> None:
    client, reader = api_world.client, api_world.auth("executive")
    params = {"from": (now().date() - timedelta(days=30)).isoformat(), "to": now().date()}
    live = client.get(SUCCESS, params=params, headers=reader).json()
    assert live["source"] == "live"
    with read_session(api_world.engine) as session:
        frames = compute_onboarding_funnel(session, now().date())
    _detail_snapshot(api_world, frames)
    first = client.get(SUCCESS, params=params, headers=reader).json()
    assert first["source"] == "snapshot"
    assert client.get(SUCCESS, params=params, headers=reader).json() == first
    _detail_snapshot(api_world, frames)
    second = client.get(SUCCESS, params=params, headers=reader).json()
    # The numbers of the newer snapshot, as of its creation.
    assert second["source"] == "snapshot" and second["as_of"] > first["as_of"]


# --------------------------------------------------------------- answers kept a few seconds


@pytest.mark.parametrize(
    ("path", "memo", "max_age"),
    [
        (T11_STATUS, "t11_status", 5.0),
        ("/api/production/systems/status", "systems_status", 10.0),
        ("/api/production/launch-readiness", "launch_readiness", 30.0),
    ],
)
def test_a_status_answer_says_its_max_age_and_is_renewed_after_it(
    api_world: ApiWorld, path: str, memo: str, max_age: float
) -> None:
    client, reader = api_world.client, api_world.auth("executive")
    first = client.get(path, headers=reader)
    assert first.json()["max_age_s"] == max_age
    assert first.headers["cache-control"] == f"private, max-age={int(max_age)}"
    kept = client.app.state.memos[memo]
    started = kept.clock()
    kept.clock = lambda: started + max_age - 0.5
    second = client.get(path, headers=reader)
    assert second.json()["computed_at"] == first.json()["computed_at"]
    assert second.headers["cache-control"] == "private, max-age=0"
    kept.clock = lambda: started + max_age
    renewed = client.get(path, headers=reader)
    assert renewed.json()["computed_at"] > first.json()["computed_at"]
    assert renewed.headers["cache-control"] == f"private, max-age={int(max_age)}"


def test_a_job_run_shows_in_the_status_once_its_answer_is_renewed(api_world: ApiWorld) -> None:
    client, reader = api_world.client, api_world.auth("admin")

    def refresh_job() -> dict[str, Any]:
        jobs = client.get(T11_STATUS, headers=reader).json()["jobs"]
        return next(job for job in jobs if job["job_id"] == "metrics_refresh")

    assert refresh_job()["last_run"] is None
    at = now().replace(microsecond=0)
    with write_unit(api_world.engine) as session:
        session.add(
            JobRun(
                job_id="metrics_refresh",
                scheduler_id="standalone-1",
                started_at=at - timedelta(seconds=3),
                finished_at=at,
                status="success",
                rows_touched=4,
            )
        )
    assert refresh_job()["last_run"] is None  # within the 5 s the answer is kept
    kept = client.app.state.memos["t11_status"]
    started = kept.clock()
    kept.clock = lambda: started + 5.0
    assert refresh_job()["last_run"]["rows_touched"] == 4


# ------------------------------------------------------------------ the checks stay per request


def _fill(world: ApiWorld) -> None:
    factory.add_snapshot(world.url, now(), factory.flat_daily(now().date()))
    for path in KEPT_ROUTES:
        assert world.client.get(path, headers=world.auth("executive")).status_code == 200, path


def test_a_revoked_token_is_refused_at_once_though_answers_are_kept(api_world: ApiWorld) -> None:
    _fill(api_world)
    with write_unit(api_world.engine) as session:
        caller = resolve_api_token(session=session, token=api_world.tokens["executive"])
        assert caller is not None
        revoke_api_token(session=session, token_id=caller.token_id, actor_id=USERS["admin"][0])
    for path in KEPT_ROUTES:
        answer = api_world.client.get(path, headers=api_world.auth("executive"))
        assert answer.status_code == 401, path
        assert answer.json()["code"] == "token_invalid"
        # Another reader still gets the kept answer.
        assert api_world.client.get(path, headers=api_world.auth("admin")).status_code == 200


def test_a_caller_without_the_role_gets_403_though_answers_are_kept(api_world: ApiWorld) -> None:
    _fill(api_world)
    executive_only = [p for p in KEPT_ROUTES if not p.startswith(SUCCESS)]
    for path in executive_only:
        answer = api_world.client.get(path, headers=api_world.auth("cs_manager"))
        assert answer.status_code == 403, path
    # A role change applies at the next request, kept answers or not.
    with write_unit(api_world.engine) as session:
        session.execute(
            update(ConsoleUser)
            .where(ConsoleUser.id == USERS["executive"][0])
            .values(role="cs_manager")
        )
    for path in executive_only:
        assert api_world.client.get(path, headers=api_world.auth("executive")).status_code == 403


# ------------------------------------------------------------------------ the memo itself


def test_concurrent_misses_compute_once() -> None:
    memo = AnswerMemo(ttl_s=None)
    calls: list[int] = []
    gate = threading.Event()

    def compute() -> bytes:
        calls.append(1)
        gate.wait(5)
        return b'{"n":1}'

    async def readers() -> list[bytes]:
        waiting = [asyncio.ensure_future(memo.get("k", compute)) for _ in range(20)]
        await asyncio.sleep(0.05)
        gate.set()
        return [kept.value for kept in await asyncio.gather(*waiting)]

    assert asyncio.run(readers()) == [b'{"n":1}'] * 20
    assert len(calls) == 1


def test_a_failed_computation_is_raised_to_every_reader_and_not_kept() -> None:
    memo = AnswerMemo(ttl_s=None)

    def broken() -> bytes:
        raise LookupError("no snapshot")

    async def readers() -> list[Any]:
        return await asyncio.gather(
            *(memo.get("k", broken) for _ in range(3)), return_exceptions=True
        )

    assert all(isinstance(result, LookupError) for result in asyncio.run(readers()))
    assert asyncio.run(memo.get("k", lambda: b"{}")).value == b"{}"


def test_only_the_newest_keys_are_kept() -> None:
    memo = AnswerMemo(ttl_s=None, max_entries=3)

    async def fill() -> None:
        for version in range(1, 6):
            await memo.get(version, lambda v=version: v)

    asyncio.run(fill())
    computed: list[int] = []

    async def read(version: int) -> int:
        kept = await memo.get(version, lambda: computed.append(version) or -version)
        return int(kept.value)

    assert [asyncio.run(read(v)) for v in (3, 4, 5)] == [3, 4, 5] and computed == []
    assert asyncio.run(read(1)) == -1 and computed == [1]


def test_a_computation_begun_before_clear_is_not_kept() -> None:
    memo = AnswerMemo(ttl_s=30.0)

    def stale() -> str:
        memo.clear()  # what it was computed from changed meanwhile (POST /harden)
        return "before"

    assert asyncio.run(memo.get("k", stale)).value == "before"  # answered to its reader
    assert asyncio.run(memo.get("k", lambda: "after")).value == "after"


def test_fields_of_each_request_are_added_to_a_kept_body() -> None:
    assert with_fields(b'{"a":1}', {"age_s": 2.5}) == b'{"age_s":2.5,"a":1}'
    assert with_fields(b"{}", {"at": "2026-12-07T15:00:00-03:00"}) == (
        b'{"at":"2026-12-07T15:00:00-03:00"}'
    )
    assert with_fields(b'{"a":1}', {}) == b'{"a":1}'


def test_success_range_parameters_are_part_of_the_key(api_world: ApiWorld) -> None:
    client, reader = api_world.client, api_world.auth("executive")
    with read_session(api_world.engine) as session:
        frames = compute_onboarding_funnel(session, now().date())
    _detail_snapshot(api_world, frames)
    first = client.get(SUCCESS, params={"from": "2026-01-01", "to": "2026-01-31"}, headers=reader)
    other = client.get(SUCCESS, params={"from": "2026-02-01", "to": "2026-02-28"}, headers=reader)
    assert first.json()["from"] == "2026-01-01" and other.json()["from"] == "2026-02-01"
    assert date.fromisoformat(other.json()["to"]) == date(2026, 2, 28)
