"""The hardening audit judges a snapshot of the configuration: the development setup fails
what production needs, a production-like one passes everything, and each item fails on
its own bad input."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.auth.production import cookie_secret_problem
from core.clock import now
from core.config import PROJECT_ROOT, Settings
from core.db import create_engine_for
from core.ops.hardening import (
    CHECKS,
    LATEST_NAME,
    HardeningReport,
    evaluate,
    latest_report,
    store_report,
)
from core.ops.snapshot import (
    Environment,
    collect_environment,
    read_backups,
    sqlite_file_modes,
    streamlit_options,
    unpinned_requirements,
)
from core.security.uploads import MAX_UPLOAD_MB
from tests import db_templates

POSTGRES = "postgresql+psycopg://barberpro@db.internal/barberpro"
HEADS = ("0012_write_versions",)


def write_backup(directory: Path, created: datetime, *, drill_passed: bool | None = True) -> None:
    """A manifest and its file as core.backup writes them, and a drill line."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"barberpro-{created:%Y%m%dT%H%M%S}"
    (directory / f"{name}.dump").write_bytes(b"backup")
    manifest = {
        "format": "barberpro-backup/1",
        "created_at": created.isoformat(),
        "backend": "postgresql",
        "file": f"{name}.dump",
        "bytes": 6,
        "sha256": "0" * 64,
    }
    (directory / f"{name}.json").write_text(json.dumps(manifest), encoding="utf-8")
    if drill_passed is not None:
        line = {"at": (created + timedelta(minutes=5)).isoformat(), "backup": name}
        with (directory / "drills.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({**line, "passed": drill_passed}) + "\n")


def production_like(tmp_path: Path) -> Environment:
    at = now()
    write_backup(tmp_path / "backups", at - timedelta(hours=2))
    settings = Settings(
        database_url=POSTGRES,
        environment="production",
        data_dir=tmp_path,
        trusted_proxy="127.0.0.1",
        tls_proxy=True,
        webhook_hosts=("hooks.slack.com",),
    )
    return Environment(
        settings=settings,
        now=at,
        host="127.0.0.1",
        show_error_details="none",
        max_upload_size=MAX_UPLOAD_MB,
        sign_in_problem=None,
        cookie_secret_problem=cookie_secret_problem("k" * 40),
        sealing_problem=None,
        current_revisions=HEADS,
        head_revisions=HEADS,
        backups=read_backups(settings.backups_dir),
        unpinned=(),
        vulnerability_scan=(),  # pip-audit ran and found nothing
    )


def statuses(report: HardeningReport) -> dict[str, str]:
    return {item.id: item.status for item in report.items}


def test_checks_are_declared_once_with_unique_ids_and_weights() -> None:
    ids = [spec.id for spec in CHECKS]
    assert len(ids) == len(set(ids)) == 14
    assert all(spec.weight in {1, 2, 3} and spec.title and spec.fix for spec in CHECKS)


def test_the_development_setup_fails_what_production_needs(tmp_path: Path) -> None:
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'dev.db'}")
    os.chmod(tmp_path / "dev.db", 0o644)
    settings = Settings(database_url=url, data_dir=tmp_path)  # development, the defaults
    engine = create_engine_for(url)
    try:
        env = collect_environment(settings, engine=engine, environ={}, scan=False)
    finally:
        engine.dispose()
    report = evaluate(env)
    assert report.failing == (
        "production_mode",
        "postgresql",
        "sign_in",
        "cookie_secret",
        "tls",
        "sqlite_permissions",
        "backups",
        "restore_drill",
    )
    # The checked-in config.toml and pins are right; the schema was just migrated.
    assert report.warnings == ("dependency_pins",)
    found = statuses(report)
    for item in ("bound_address", "error_details", "upload_limit", "webhook_allowlist"):
        assert found[item] == "pass"
    assert found["migrations"] == "pass"
    evidence = {item.id: item.evidence_text() for item in report.items}
    assert "no active administrator" in evidence["sign_in"]
    assert "dev.db 0644" in evidence["sqlite_permissions"]
    assert "no vulnerability database offline" in evidence["dependency_pins"]


def test_a_production_like_environment_passes_every_item(tmp_path: Path) -> None:
    report = evaluate(production_like(tmp_path))
    assert set(statuses(report).values()) == {"pass"}, [
        (i.id, i.evidence_text()) for i in report.items if i.status != "pass"
    ]


def _stale_backup(env: Environment, tmp_path: Path) -> Environment:
    old = tmp_path / "old"
    write_backup(old, env.now - timedelta(hours=30))
    # The drill of the fresh backup still counts: only the backup is stale.
    fresh = env.backups
    assert fresh is not None
    return replace(env, backups=replace(read_backups(old), drill=fresh.drill))


def _failed_drill(env: Environment, tmp_path: Path) -> Environment:
    with (env.settings.backups_dir / "drills.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"at": env.now.isoformat(), "backup": "x", "passed": False}) + "\n")
    return replace(env, backups=read_backups(env.settings.backups_dir))


def _unpinned(env: Environment, tmp_path: Path) -> Environment:
    root = tmp_path / "checkout"
    root.mkdir()
    (root / "requirements.txt").write_text("streamlit==1.67.0\npandas>=2\n", encoding="utf-8")
    (root / "requirements-dev.txt").write_text("-r requirements.txt\npytest==9.2.0\n")
    unpinned, _files = unpinned_requirements(root)
    assert unpinned == ("requirements.txt: pandas>=2",)
    return replace(env, unpinned=unpinned)


def _sqlite_world_readable(env: Environment, tmp_path: Path) -> Environment:
    path = tmp_path / "console.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    url = f"sqlite:///{path}"
    return replace(
        env, settings=replace(env.settings, database_url=url), sqlite_files=sqlite_file_modes(url)
    )


def _settings(**changes: object) -> Callable[[Environment, Path], Environment]:
    return lambda env, _tmp: replace(env, settings=replace(env.settings, **changes))


def _env(**changes: object) -> Callable[[Environment, Path], Environment]:
    return lambda env, _tmp: replace(env, **changes)


# item -> (its bad input, the items that then fail)
BAD_INPUTS: dict[str, tuple[Callable[[Environment, Path], Environment], set[str]]] = {
    "production_mode": (_settings(environment="development"), {"production_mode"}),
    "postgresql": (_settings(database_url="sqlite:////nowhere/console.db"), {"postgresql"}),
    "sign_in": (_env(sign_in_problem="no active administrator"), {"sign_in"}),
    "cookie_secret": (
        _env(cookie_secret_problem=cookie_secret_problem("change-me")),
        {"cookie_secret"},
    ),
    "bound_address": (_env(host="0.0.0.0"), {"bound_address"}),
    "tls": (_settings(tls_proxy=False), {"tls"}),
    "error_details": (_env(show_error_details="full"), {"error_details"}),
    "upload_limit": (_env(max_upload_size=200), {"upload_limit"}),
    "webhook_allowlist": (_settings(webhook_hosts=("*",)), {"webhook_allowlist"}),
    # A database file exists only with SQLite, which fails the PostgreSQL item too.
    "sqlite_permissions": (_sqlite_world_readable, {"sqlite_permissions", "postgresql"}),
    "migrations": (_env(current_revisions=("0011_earlier",)), {"migrations"}),
    "backups": (_stale_backup, {"backups"}),
    "restore_drill": (_failed_drill, {"restore_drill"}),
    "dependency_pins": (_unpinned, {"dependency_pins"}),
}


def test_every_item_has_a_bad_input() -> None:
    assert set(BAD_INPUTS) == {spec.id for spec in CHECKS}


@pytest.mark.parametrize("item", sorted(BAD_INPUTS))
def test_each_item_fails_on_its_own_bad_input(item: str, tmp_path: Path) -> None:
    spoil, expected = BAD_INPUTS[item]
    report = evaluate(spoil(production_like(tmp_path), tmp_path))
    assert set(report.failing) == expected
    failed = next(i for i in report.items if i.id == item)
    assert failed.evidence_text() and failed.fix_text()


@pytest.mark.parametrize(("mode", "status"), [(0o644, "fail"), (0o640, "fail"), (0o600, "pass")])
def test_a_real_sqlite_file_passes_only_owner_only(tmp_path: Path, mode: int, status: str) -> None:
    path = tmp_path / "console.db"
    path.write_bytes(b"")
    (tmp_path / "console.db-wal").write_bytes(b"")
    path.chmod(mode)
    (tmp_path / "console.db-wal").chmod(0o600)
    url = f"sqlite:///{path}"
    env = replace(
        production_like(tmp_path),
        settings=Settings(database_url=url),
        sqlite_files=sqlite_file_modes(url),
    )
    assert set(env.sqlite_files) == {"console.db", "console.db-wal"}
    assert statuses(evaluate(env))["sqlite_permissions"] == status


def test_a_world_readable_wal_file_fails_too(tmp_path: Path) -> None:
    path = tmp_path / "console.db"
    path.write_bytes(b"")
    path.chmod(0o600)
    (tmp_path / "console.db-wal").write_bytes(b"")
    (tmp_path / "console.db-wal").chmod(0o644)
    url = f"sqlite:///{path}"
    env = replace(production_like(tmp_path), settings=Settings(database_url=url))
    report = evaluate(replace(env, sqlite_files=sqlite_file_modes(url)))
    item = next(i for i in report.items if i.id == "sqlite_permissions")
    assert item.status == "fail" and "console.db-wal 0644" in item.evidence_text()


def test_tls_without_a_trusted_proxy_warns(tmp_path: Path) -> None:
    env = production_like(tmp_path)
    env = replace(env, settings=replace(env.settings, trusted_proxy=None))
    found = statuses(evaluate(env))
    assert found["tls"] == "warn" and found["bound_address"] == "pass"


def test_a_wide_address_passes_for_a_proxy_on_another_machine(tmp_path: Path) -> None:
    env = production_like(tmp_path)
    env = replace(env, host="0.0.0.0", settings=replace(env.settings, trusted_proxy="10.0.0.5"))
    assert statuses(evaluate(env))["bound_address"] == "pass"


def test_backups_read_the_newest_manifest_and_the_last_drill(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    at = now()
    write_backup(folder, at - timedelta(days=3), drill_passed=True)
    write_backup(folder, at - timedelta(hours=1), drill_passed=False)
    (folder / "barberpro-broken.json").write_text("{not json", encoding="utf-8")
    state = read_backups(folder)
    assert state.newest_name == f"barberpro-{at - timedelta(hours=1):%Y%m%dT%H%M%S}.json"
    assert state.unreadable == ("barberpro-broken.json",)
    assert state.drill is not None and state.drill["passed"] is False
    assert state.newest_file_present


def test_an_old_drill_fails_and_a_missing_backup_file_warns(tmp_path: Path) -> None:
    env = production_like(tmp_path)
    assert env.backups is not None and env.backups.drill is not None
    old = {**env.backups.drill, "at": (env.now - timedelta(days=9)).isoformat()}
    found = statuses(
        evaluate(replace(env, backups=replace(env.backups, drill=old, newest_file_present=False)))
    )
    assert found["restore_drill"] == "fail" and found["backups"] == "warn"


def test_streamlit_options_come_from_config_toml_then_the_environment(tmp_path: Path) -> None:
    assert streamlit_options(PROJECT_ROOT, {}) == {
        "client.showErrorDetails": "none",
        "server.maxUploadSize": MAX_UPLOAD_MB,
    }
    overridden = streamlit_options(
        PROJECT_ROOT,
        {"STREAMLIT_CLIENT_SHOW_ERROR_DETAILS": "full", "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "50"},
    )
    assert overridden == {"client.showErrorDetails": "full", "server.maxUploadSize": 50}
    # No config.toml: Streamlit's defaults, which production must not run with.
    assert streamlit_options(tmp_path, {})["client.showErrorDetails"] == "full"


def test_the_checked_in_requirements_are_pinned() -> None:
    assert unpinned_requirements(PROJECT_ROOT) == ((), ("requirements.txt", "requirements-dev.txt"))


def test_a_report_is_stored_owner_only_and_read_back(tmp_path: Path) -> None:
    report = replace(evaluate(production_like(tmp_path)), ran_by="admin@barberpro.test")
    folder = tmp_path / "ops"
    path = store_report(report, folder)
    assert path.name.startswith("hardening-") and (folder / LATEST_NAME).exists()
    assert oct((folder / LATEST_NAME).stat().st_mode & 0o777) == oct(0o600)
    again = latest_report(folder)
    assert again is not None and again.ran_by == "admin@barberpro.test"
    assert [(i.id, i.status, i.evidence_text()) for i in again.items] == [
        (i.id, i.status, i.evidence_text()) for i in report.items
    ]
    (folder / LATEST_NAME).write_text("{}", encoding="utf-8")
    assert latest_report(folder) is None
    assert latest_report(tmp_path / "nowhere") is None
