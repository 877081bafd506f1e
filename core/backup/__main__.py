"""Backups from the server's shell: ``python -m core.backup COMMAND``.

    create [--out DIR]                           back up the configured database
    restore FILE --database-url URL [--force]    restore a backup into a database
    drill [--dir DIR]                            restore the newest backup into a scratch
                                                 database and compare its KPIs
    list [--dir DIR]                             the backups kept, newest last

DIR defaults to BARBERPRO_BACKUP_DIR (``<data dir>/backups``). Bad input: one line on
stderr, exit code 2, nothing changed. A drill that fails its comparison exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_DRILL_FAILED = 1
PROG = "core.backup"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints the whole usage: one line is the house style.
        print(f"{PROG}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core.backup", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    create = sub.add_parser("create", help="back up the configured database")
    create.add_argument("--out", type=Path, help="backup folder (default BARBERPRO_BACKUP_DIR)")
    restore = sub.add_parser("restore", help="restore a backup file into a database")
    restore.add_argument("file", type=Path)
    restore.add_argument("--database-url", required=True)
    restore.add_argument("--force", action="store_true", help="replace a non-empty database")
    drill = sub.add_parser("drill", help="restore the newest backup and compare its KPIs")
    drill.add_argument("--dir", type=Path, help="backup folder (default BARBERPRO_BACKUP_DIR)")
    listing = sub.add_parser("list", help="the backups kept")
    listing.add_argument("--dir", type=Path, help="backup folder (default BARBERPRO_BACKUP_DIR)")
    return parser


def _format(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from sqlalchemy.exc import SQLAlchemyError

    from core.backup.manifest import BackupError, list_backups
    from core.config import ConfigError, get_settings
    from core.db import DatabaseUnavailable

    try:
        if args.command == "restore":
            from core.backup.backup import restore_backup

            result = restore_backup(args.file, args.database_url, force=args.force)
            print(f"{PROG}: restored {args.file.name} into {result.target}; {result.advice()}")
            return 0
        settings = get_settings()
        if args.command == "create":
            from core.backup.backup import create_backup

            folder = (args.out or settings.backups_dir).expanduser().absolute()
            manifest = create_backup(settings.database_url, folder, keep=settings.backup_keep)
            print(
                f"{PROG}: wrote {manifest.backup_path} ({manifest.bytes:,} bytes, "
                f"snapshot {manifest.snapshot_version or 'none'}, "
                f"revision {manifest.alembic_revision or 'none'})"
            )
            return 0
        folder = (args.dir or settings.backups_dir).expanduser().absolute()
        if args.command == "list":
            for manifest in list_backups(folder):
                print(
                    f"{manifest.file}\t{manifest.created_at:%Y-%m-%d %H:%M:%S}\t"
                    f"{manifest.bytes}\tsnapshot {manifest.snapshot_version}"
                )
            return 0
        from core.backup.drill import kpis_equal, run_drill

        drill = run_drill(folder, settings.database_url)
    except (BackupError, ConfigError, DatabaseUnavailable, SQLAlchemyError, OSError) as exc:
        text = str(exc).strip()
        print(f"{PROG}: {text.splitlines()[0] if text else type(exc).__name__}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if drill.kpis:
        print(f"  {'KPI':<20} {'in the manifest':>22} {'rebuilt':>22}")
    for name, (expected, got) in drill.kpis.items():
        mark = "ok" if kpis_equal(expected, got) else "DIFFERS"
        print(f"  {name:<20} {_format(expected):>22} {_format(got):>22}  {mark}")
    if not drill.kpis and drill.error is None:
        print(f"{PROG}: the backup holds no metrics snapshot: only the restore was checked")
    verdict = "passed" if drill.passed else "FAILED"
    reason = f": {drill.error}" if drill.error else ""
    print(f"{PROG}: drill of {drill.backup} {verdict} in {drill.seconds:.1f} s{reason}")
    return 0 if drill.passed else EXIT_DRILL_FAILED


if __name__ == "__main__":
    sys.exit(main())
