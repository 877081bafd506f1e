"""pg_dump and pg_restore for a SQLAlchemy PostgreSQL URL.

The URL's parts become libpq options (host or socket folder, port, user, database); the
password goes in ``PGPASSWORD`` in the child's environment, never on its command line,
where ``ps`` would show it to every user of the machine.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL

from core.backup.manifest import BackupError

# Query options of a psycopg URL that map to libpq environment variables.
_ENV_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
}


def tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``: on PATH, else the newest installed."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise BackupError("pg_tool_missing", f"{name} is not installed (PostgreSQL client tools)")


def connection_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq command-line options and environment for ``url`` (password in the env)."""
    args: list[str] = []
    env = dict(os.environ)
    host = url.host or url.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        args.append(f"--host={host}")
    port = url.port or url.query.get("port")
    if port:
        args.append(f"--port={port}")
    if url.username:
        args.append(f"--username={url.username}")
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    for option, variable in _ENV_OPTIONS.items():
        value = url.query.get(option)
        if isinstance(value, str):
            env[variable] = value
    # Never prompt: a missing password fails at once instead of hanging a scheduler job.
    args.append("--no-password")
    return args, env


def run(command: list[str], env: dict[str, str], what: str) -> None:
    """Run a client tool; a failure becomes a BackupError with its first error line."""
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {result.returncode}"
        raise BackupError("pg_tool_failed", f"{what} failed: {reason}")


def dump(url: URL, target: Path, *, snapshot: str | None = None) -> None:
    """``pg_dump --format=custom`` of ``url``'s database to ``target``.

    ``snapshot`` is an exported snapshot id (``pg_export_snapshot()``): the dump then sees
    exactly what the exporting transaction sees.
    """
    args, env = connection_args(url)
    command = [tool("pg_dump"), "--format=custom", f"--file={target}", *args]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    command.append(f"--dbname={url.database}")
    run(command, env, "pg_dump")


def restore(url: URL, source: Path) -> None:
    """``pg_restore --clean --if-exists --no-owner`` of ``source`` into ``url``'s database.

    One transaction: a restore that fails half-way leaves the target as it was.
    """
    args, env = connection_args(url)
    command = [
        tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        *args,
        f"--dbname={url.database}",
        str(source),
    ]
    run(command, env, "pg_restore")
