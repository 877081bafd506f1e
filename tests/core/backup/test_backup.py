"""Backups, restores and the restore drill, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.backup import last_drill, list_backups, newest_backup
from core.backup.backup import code_head, create_backup, restore_backup
from core.backup.drill import run_drill
from core.backup.manifest import MANIFEST_FORMAT, BackupError, manifest_path_for
from core.config import PROJECT_ROOT
from core.db import write_unit
from core.schema import Booking
from tests.core.backup.conftest import AS_OF, row_counts, seed_console
from tests.factories import TenantRefs


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_backup_restore_and_drill_round_trip(
    console: Engine, empty_target: str, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    manifest = create_backup(url_of(console), folder)
    backend = console.dialect.name
    raw = json.loads(manifest.path.read_text())
    assert raw["format"] == MANIFEST_FORMAT and raw["backend"] == backend
    assert raw["file"] == manifest.backup_path.name
    assert raw["file"].endswith(".sqlite3" if backend == "sqlite" else ".pgdump")
    assert raw["bytes"] == manifest.backup_path.stat().st_size
    assert raw["alembic_revision"] == code_head()
    assert raw["snapshot_version"] == 2 and raw["snapshot_as_of"] == AS_OF.isoformat()
    assert set(raw["kpis"]) == {
        "mrr",
        "active_tenants",
        "bookings",
        "gmv",
        "no_show_rate",
        "cancellation_rate",
    }
    assert raw["kpis"]["active_tenants"] == 2 and raw["kpis"]["bookings"] > 0
    assert newest_backup(folder) == manifest
    assert not [path for path in folder.iterdir() if path.name.startswith(".")]

    result = restore_backup(manifest.backup_path, empty_target)
    assert result.up_to_date and result.revision == code_head()
    assert row_counts(empty_target) == row_counts(url_of(console))

    drill = run_drill(folder, url_of(console))
    assert drill.passed, drill
    assert drill.error is None and set(drill.kpis) == set(raw["kpis"])
    assert all(expected == pytest.approx(got) for expected, got in drill.kpis.values())
    recorded = last_drill(folder)
    assert recorded is not None and recorded.passed and recorded.backup == manifest.file
    line = json.loads((folder / "drills.jsonl").read_text().splitlines()[-1])
    assert set(line) == {"at", "backup", "passed", "kpis", "seconds"}
    # the scratch database is gone
    assert not [path for path in folder.iterdir() if path.name.startswith(".drill")]
    if backend == "postgresql":
        # Only this process's scratch database: another xdist worker's scheduler test may
        # be drilling on the same cluster right now, under its own pid.
        with console.connect() as connection:
            left = connection.scalar(
                text("SELECT count(*) FROM pg_database WHERE datname LIKE :mine"),
                {"mine": f"barberpro_drill_%_{os.getpid()}"},
            )
        assert left == 0


def test_a_drill_that_rebuilds_other_numbers_fails(
    console: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", url_of(console))
    folder = tmp_path / "backups"
    manifest = create_backup(url_of(console), folder)
    raw = json.loads(manifest.path.read_text())
    raw["kpis"]["bookings"] += 1  # as if the backup had lost a booking
    manifest.path.write_text(json.dumps(raw))
    from core.backup.__main__ import main

    assert main(["drill", "--dir", str(folder)]) == 1
    drill = last_drill(folder)
    assert drill is not None and not drill.passed
    expected, got = drill.kpis["bookings"]
    assert expected == raw["kpis"]["bookings"]
    assert got is not None and got == raw["kpis"]["bookings"] - 1


def test_restore_refuses_a_non_empty_target_and_changes_nothing(
    console: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    manifest = create_backup(url_of(console), folder)
    with write_unit(console) as session:
        first = session.query(Booking).first()
        assert first is not None
        refs = TenantRefs(
            first.tenant_id, first.location_id, first.staff_id, first.service_id, first.customer_id
        )
        from tests.factories import add_booking

        add_booking(session, refs, start_at=AS_OF)  # the live database moved on
    before = row_counts(url_of(console))
    with pytest.raises(BackupError, match=r"not empty .*--force"):
        restore_backup(manifest.backup_path, url_of(console))
    assert row_counts(url_of(console)) == before


def test_a_damaged_backup_is_refused(console: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    manifest = create_backup(url_of(console), folder)
    data = bytearray(manifest.backup_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    manifest.backup_path.write_bytes(bytes(data))
    target = tmp_path / "restored.db"
    with pytest.raises(BackupError, match="SHA-256") as caught:
        restore_backup(manifest.backup_path, f"sqlite:///{target}", force=True)
    assert len(str(caught.value).splitlines()) == 1
    assert not target.exists()


def test_retention_keeps_exactly_the_newest(sqlite_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    start = datetime(2026, 12, 1, 3, 0)
    made = [
        create_backup(url_of(sqlite_engine), folder, keep=3, at=start + timedelta(days=day))
        for day in range(6)
    ]
    kept = sorted(path.name for path in folder.iterdir())
    expected = sorted(
        name for m in made[-3:] for name in (m.file, manifest_path_for(m.backup_path).name)
    )
    assert kept == expected
    assert newest_backup(folder) == made[-1]


def test_a_backup_without_its_manifest_is_not_the_newest(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    first = create_backup(url_of(sqlite_engine), folder, at=datetime(2026, 12, 1, 3, 0))
    second = create_backup(url_of(sqlite_engine), folder, at=datetime(2026, 12, 2, 3, 0))
    second.path.unlink()  # as if the process died between the file and its manifest
    (folder / ".barberpro-20261203T030000.sqlite3.part").write_bytes(b"half")
    assert newest_backup(folder) == first


def test_a_sqlite_backup_taken_while_another_thread_writes_is_consistent(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    console = sqlite_engine  # the online backup API is SQLite's; pg_dump reads one snapshot
    seed_console(console)
    with write_unit(console) as session:
        first = session.query(Booking).first()
        assert first is not None
        refs = TenantRefs(
            first.tenant_id, first.location_id, first.staff_id, first.service_id, first.customer_id
        )
    from tests.factories import add_booking

    stop = threading.Event()
    written = [0]

    def write() -> None:
        while not stop.is_set():
            with write_unit(console) as session:
                for _ in range(20):
                    add_booking(session, refs, start_at=AS_OF - timedelta(minutes=written[0]))
                    written[0] += 1

    writer = threading.Thread(target=write)
    before = row_counts(url_of(console))["bookings"]
    writer.start()
    try:
        manifests = [
            create_backup(url_of(console), tmp_path / "backups", keep=10) for _ in range(3)
        ]
    finally:
        stop.set()
        writer.join()
    assert written[0] > 0
    counts = []
    for manifest in manifests:
        with sqlite3.connect(manifest.backup_path) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
            bookings = copy.execute("SELECT count(*) FROM bookings").fetchone()[0]
        # whole write units only: each one adds 20 bookings
        assert (bookings - before) % 20 == 0
        counts.append(bookings)
    assert before <= counts[0] <= counts[-1] <= before + written[0]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.backup", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_the_cli_answers_bad_input_with_one_line(sqlite_engine: Engine, tmp_path: Path) -> None:
    missing = run_cli("restore", str(tmp_path / "nope.sqlite3"), "--database-url", "sqlite:///x")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == f"core.backup: no such backup file: {tmp_path}/nope.sqlite3"
    manifest = create_backup(url_of(sqlite_engine), tmp_path / "backups")
    bad_url = run_cli("restore", str(manifest.backup_path), "--database-url", "nonsense://x")
    assert bad_url.returncode == 2 and "Traceback" not in bad_url.stderr
    lines = bad_url.stderr.strip().splitlines()
    assert len(lines) == 1 and "--database-url" in lines[0], lines
    no_args = run_cli("restore")
    assert no_args.returncode == 2 and len(no_args.stderr.strip().splitlines()) == 1


def test_the_password_goes_to_the_environment_never_to_the_command_line() -> None:
    from sqlalchemy import make_url

    from core.backup.pgtools import connection_args

    url = make_url("postgresql+psycopg://ana:s3cr%40t@db.internal:6432/barberpro?sslmode=require")
    args, env = connection_args(url)
    assert env["PGPASSWORD"] == "s3cr@t" and env["PGSSLMODE"] == "require"
    assert not any("s3cr" in arg for arg in args)
    assert {"--host=db.internal", "--port=6432", "--username=ana", "--no-password"} <= set(args)
    socket_args, _ = connection_args(make_url("postgresql+psycopg:///x?host=/var/run/postgresql"))
    assert "--host=/var/run/postgresql" in socket_args


def test_an_older_backup_restores_with_advice_and_drills_after_a_migration(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    from alembic import command

    from core.migrate import alembic_config

    seed_console(sqlite_engine)
    url = url_of(sqlite_engine)
    sqlite_engine.dispose()
    command.downgrade(alembic_config(url), "-1")  # as if backed up before the last migration
    folder = tmp_path / "backups"
    manifest = create_backup(url, folder)
    assert manifest.alembic_revision not in (None, code_head())

    restored = restore_backup(manifest.backup_path, f"sqlite:///{tmp_path / 'old.db'}")
    assert not restored.up_to_date and "python -m core.migrate" in restored.advice()
    drill = run_drill(folder, url)
    assert drill.passed, drill


def test_leftovers_of_a_killed_run_are_removed_once_old(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    import os
    import time

    folder = tmp_path / "backups"
    folder.mkdir()
    old_part = folder / ".barberpro-20261201T030000.sqlite3.part"
    old_scratch = folder / ".drill-20261201T030000-123.sqlite3"
    fresh_part = folder / ".barberpro-20261207T030000.sqlite3.part"
    for path in (old_part, old_scratch, fresh_part):
        path.write_bytes(b"left behind")
    day_ago = time.time() - 86400
    for path in (old_part, old_scratch):
        os.utime(path, (day_ago, day_ago))
    create_backup(url_of(sqlite_engine), folder)
    assert not old_part.exists() and not old_scratch.exists()
    assert fresh_part.exists()  # it may be a backup running right now


def test_the_cli_creates_into_the_configured_folder_and_keeps_the_setting(
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from core.backup.__main__ import main

    monkeypatch.setenv("BARBERPRO_DATABASE_URL", url_of(sqlite_engine))
    monkeypatch.setenv("BARBERPRO_BACKUP_DIR", str(tmp_path / "configured"))
    monkeypatch.setenv("BARBERPRO_BACKUP_KEEP", "2")
    for _ in range(3):  # within a second or two: each takes the next free second
        assert main(["create"]) == 0
    kept = list_backups(tmp_path / "configured")
    assert len(kept) == 2 and kept[0].created_at < kept[1].created_at
    assert len(list((tmp_path / "configured").iterdir())) == 4
    assert main(["create", "--out", str(tmp_path / "elsewhere")]) == 0
    assert len(list_backups(tmp_path / "elsewhere")) == 1
    assert "wrote" in capsys.readouterr().out


def test_a_drill_that_breaks_is_recorded_as_failed_and_cleans_up(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.backup import drill as drill_module

    seed_console(sqlite_engine)
    folder = tmp_path / "backups"
    create_backup(url_of(sqlite_engine), folder)

    def broken_rebuild(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(drill_module, "refresh_metrics", broken_rebuild)
    result = run_drill(folder, url_of(sqlite_engine))
    assert not result.passed and result.error == "ValueError: boom"
    recorded = last_drill(folder)
    assert recorded is not None and recorded.error == "ValueError: boom" and not recorded.passed
    assert not [path for path in folder.iterdir() if path.name.startswith(".drill")]
