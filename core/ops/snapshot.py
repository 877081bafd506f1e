"""The snapshot the hardening audit judges (core.ops.hardening), and how it is taken.

:class:`Environment` holds what the console runs with: its settings, Streamlit's
options, the database file's permissions, the schema revisions, the backup directory and
the dependency pins. :func:`collect_environment` reads it from this machine; tests build
one by hand, so every check can be fed any configuration.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import stat
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.clock import ARGENTINA, now
from core.config import PROJECT_ROOT, Settings
from core.i18n import N_

BACKUP_FORMAT = "barberpro-backup/1"
DEFAULT_HOST = "127.0.0.1"
# Streamlit's own defaults when neither config.toml nor the environment sets them.
STREAMLIT_DEFAULTS: dict[str, object] = {
    "client.showErrorDetails": "full",
    "server.maxUploadSize": 200,
}
_STREAMLIT_ENV = {
    "client.showErrorDetails": "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS",
    "server.maxUploadSize": "STREAMLIT_SERVER_MAX_UPLOAD_SIZE",
}
REQUIREMENT_FILES = ("requirements.txt", "requirements-dev.txt")


@dataclass(frozen=True)
class BackupState:
    """What the backup directory holds: the newest valid manifest and the newest drill."""

    directory: Path
    # The newest manifest (by created_at) of format barberpro-backup/1, and its file name.
    newest: Mapping[str, Any] | None = None
    newest_name: str | None = None
    # Manifests that could not be read or are not barberpro-backup/1.
    unreadable: tuple[str, ...] = ()
    # Whether the file the newest manifest names is there.
    newest_file_present: bool = True
    # The last line of drills.jsonl (None: no drill), or why it cannot be read.
    drill: Mapping[str, Any] | None = None
    drill_error: str | None = None


@dataclass(frozen=True)
class Environment:
    """A snapshot of the running configuration; every check reads only this.

    ``sign_in_problem``, ``cookie_secret_problem`` and ``sealing_problem`` are the
    sentences of ``core.auth.production`` (None: fine). ``sqlite_files`` maps the
    database file and its ``-wal``/``-shm`` companions that exist to their permission
    bits. ``current_revisions`` is None when the database could not be asked
    (``revision_error`` says why). ``unpinned`` lists ``file: line`` for every
    requirement not pinned with ``==``; ``vulnerability_scan`` is None when no scanner
    ran, else the vulnerable packages found (empty: none).
    """

    settings: Settings
    now: datetime
    host: str = DEFAULT_HOST
    show_error_details: object = "none"
    max_upload_size: object = 10
    sign_in_problem: str | None = None
    cookie_secret_problem: str | None = None
    sealing_problem: str | None = None
    sqlite_files: Mapping[str, int] = field(default_factory=dict)
    current_revisions: tuple[str, ...] | None = ()
    head_revisions: tuple[str, ...] = ()
    revision_error: str | None = None
    backups: BackupState | None = None
    unpinned: tuple[str, ...] = ()
    requirement_files_found: tuple[str, ...] = REQUIREMENT_FILES
    vulnerability_scan: tuple[str, ...] | None = None
    vulnerability_scan_note: str = N_("pip-audit is not installed")


def parse_time(raw: object) -> datetime | None:
    """An ISO time as the console's naive Argentine time (an aware one is converted)."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(ARGENTINA).replace(tzinfo=None)
    return moment


def streamlit_options(
    project_root: Path = PROJECT_ROOT, environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """``client.showErrorDetails`` and ``server.maxUploadSize`` as a server started in
    ``project_root`` would see them: Streamlit's default, then ``.streamlit/config.toml``,
    then its ``STREAMLIT_*`` variable. Command-line flags are out of reach of a shell
    command: the page passes ``st.get_option`` instead."""
    environ = os.environ if environ is None else environ
    options = dict(STREAMLIT_DEFAULTS)
    path = project_root / ".streamlit" / "config.toml"
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        config = {}
    for key in options:
        section, name = key.split(".")
        value = config.get(section, {}).get(name) if isinstance(config.get(section), dict) else None
        if value is not None:
            options[key] = value
        raw = environ.get(_STREAMLIT_ENV[key], "").strip()
        if raw:
            options[key] = int(raw) if raw.isdigit() else raw
    return options


def sqlite_file_modes(database_url: str) -> dict[str, int]:
    """Permission bits of the SQLite file and its -wal/-shm files, those that exist."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return {}
    modes = {}
    for suffix in ("", "-wal", "-shm"):
        path = Path(url.database + suffix)
        try:
            modes[path.name] = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
    return modes


def read_backups(directory: Path) -> BackupState:
    """The newest readable manifest (``barberpro-*.json``) and the last drill in ``directory``."""
    newest: dict[str, Any] | None = None
    newest_name: str | None = None
    newest_at: datetime | None = None
    unreadable = []
    for path in sorted(directory.glob("barberpro-*.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            unreadable.append(path.name)
            continue
        created = parse_time(manifest.get("created_at")) if isinstance(manifest, dict) else None
        if (
            not isinstance(manifest, dict)
            or manifest.get("format") != BACKUP_FORMAT
            or created is None
        ):
            unreadable.append(path.name)
            continue
        if newest_at is None or created > newest_at:
            newest, newest_name, newest_at = manifest, path.name, created
    present = True
    if newest is not None and newest.get("file"):
        named = Path(str(newest["file"]))
        present = (named if named.is_absolute() else directory / named).exists()
    drill: dict[str, Any] | None = None
    drill_error = None
    drills = directory / "drills.jsonl"
    if drills.exists():
        try:
            lines = [
                line for line in drills.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
            if lines:
                parsed = json.loads(lines[-1])
                if not isinstance(parsed, dict):
                    raise ValueError("the last line is not a JSON object")
                drill = parsed
        except (OSError, ValueError) as exc:
            drill_error = str(exc).splitlines()[0]
    return BackupState(
        directory, newest, newest_name, tuple(unreadable), present, drill, drill_error
    )


def unpinned_requirements(
    project_root: Path = PROJECT_ROOT,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(``file: line`` of every requirement not pinned with ``==``, the files found)."""
    unpinned, found = [], []
    for name in REQUIREMENT_FILES:
        path = project_root / name
        if not path.exists():
            unpinned.append(f"{name}: missing")
            continue
        found.append(name)
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line or line.startswith(("-r ", "--requirement", "-c ")):
                continue
            spec = line.split(";", 1)[0]
            if "==" not in spec or any(op in spec for op in (">", "<", "~=", "!=", "===")):
                unpinned.append(f"{name}: {line}")
    return tuple(unpinned), tuple(found)


def schema_revisions(engine: Engine, database_url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the database's current Alembic revisions, the migration scripts' heads)."""
    from alembic.runtime.migration import MigrationContext

    heads = _script_heads(_versions_signature(PROJECT_ROOT / "migrations" / "versions"))
    with engine.connect() as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
    return current, heads


def _versions_signature(folder: Path) -> tuple[tuple[str, int], ...]:
    """The migration files' names and modification times: what the heads depend on."""
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.py")))


@functools.lru_cache(maxsize=4)
def _script_heads(signature: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    # Alembic compiles every migration file to find the heads (about 100 ms): the launch-
    # readiness route and the hardening audit ask on every call, the files change only
    # with a deploy (or a test adding one), which changes the signature.
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def _pip_audit_path(project_root: Path) -> str | None:
    local = project_root / ".venv" / "bin" / "pip-audit"
    return str(local) if local.exists() else shutil.which("pip-audit")


def vulnerability_scan(project_root: Path = PROJECT_ROOT) -> tuple[tuple[str, ...] | None, str]:
    """pip-audit's verdict on requirements.txt when it is installed and can reach its database.

    Returns (None, why) when it could not run; (packages found, "") otherwise.
    """
    tool = _pip_audit_path(project_root)
    if tool is None:
        return None, N_("pip-audit is not installed")
    try:
        done = subprocess.run(
            [tool, "--requirement", str(project_root / "requirements.txt"), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        data = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None, N_("pip-audit could not reach its vulnerability database")
    dependencies = data.get("dependencies", []) if isinstance(data, dict) else []
    return tuple(d.get("name", "?") for d in dependencies if d.get("vulns")), ""


def collect_environment(
    settings: Settings,
    *,
    engine: Engine | None = None,
    options: Mapping[str, object] | None = None,
    sso_configured: bool = False,
    environ: Mapping[str, str] | None = None,
    project_root: Path = PROJECT_ROOT,
    scan: bool = True,
) -> Environment:
    """Take the snapshot the checks judge, from this machine as it runs now.

    Parameters
    ----------
    settings
        The console's settings (``get_settings()``).
    engine
        The database; default: the settings' one.
    options
        Streamlit's ``client.showErrorDetails`` and ``server.maxUploadSize`` as the running
        server has them (the page passes ``st.get_option``); default: read from
        ``.streamlit/config.toml`` and the environment (:func:`streamlit_options`).
    sso_configured
        Whether single sign-on is configured (sign-in may then work without passwords).
    environ
        The process environment (``BARBERPRO_HOST``, the cookie secret, Streamlit's variables).
    project_root
        Where ``.streamlit/`` and the requirement files are.
    scan
        Whether to run pip-audit when it is installed.
    """
    from core.auth.production import (
        COOKIE_SECRET_VARIABLE,
        cookie_secret_problem,
        sign_in_problem,
    )
    from core.db import DATABASE_ERRORS, get_engine
    from core.security.sealing import KEY_VARIABLE, key_problem

    environ = os.environ if environ is None else environ
    engine = engine if engine is not None else get_engine(settings.database_url)
    found = dict(streamlit_options(project_root, environ))
    found.update(options or {})
    sqlite_files = sqlite_file_modes(settings.database_url)
    current: tuple[str, ...] | None
    heads: tuple[str, ...] = ()
    revision_error: str | None = None
    sign_in: str | None
    if settings.is_sqlite and not sqlite_files:
        # Connecting would create an empty file: say so instead.
        sign_in = revision_error = "the SQLite database file does not exist"
        current = None
    else:
        try:
            sign_in = sign_in_problem(engine, sso_configured=sso_configured)
        except DATABASE_ERRORS as exc:
            sign_in = f"the database cannot be read ({type(exc).__name__})"
        try:
            current, heads = schema_revisions(engine, settings.database_url)
        except DATABASE_ERRORS as exc:
            first = str(exc).strip().splitlines()
            current, revision_error = None, first[0] if first else type(exc).__name__
    secret = cookie_secret_problem(environ.get(COOKIE_SECRET_VARIABLE))
    sealing = key_problem(environ)
    unpinned, files = unpinned_requirements(project_root)
    findings, note = vulnerability_scan(project_root) if scan else (None, N_("not scanned"))
    return Environment(
        settings=settings,
        now=now(),
        host=environ.get("BARBERPRO_HOST", "").strip() or DEFAULT_HOST,
        show_error_details=found["client.showErrorDetails"],
        max_upload_size=found["server.maxUploadSize"],
        sign_in_problem=sign_in,
        cookie_secret_problem=secret,
        # As production_problems: without its own key the sealing key comes from the cookie
        # secret, whose sentence is enough.
        sealing_problem=sealing if sealing and (not secret or environ.get(KEY_VARIABLE)) else None,
        sqlite_files=sqlite_files,
        current_revisions=current,
        head_revisions=heads,
        revision_error=revision_error,
        backups=read_backups(settings.backups_dir),
        unpinned=unpinned,
        requirement_files_found=files,
        vulnerability_scan=findings,
        vulnerability_scan_note=note,
    )
