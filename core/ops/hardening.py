"""The hardening audit: is the running configuration fit for production?

Each item is declared once in :data:`CHECKS` (id, title, fix, weight, check) and judged
by a pure function of an :class:`Environment`, a snapshot of what the console runs with:
its settings, Streamlit's options, the database file's permissions, the schema
revisions, the backup directory and the dependency pins (``core.ops.snapshot``, where
:func:`collect_environment` takes it from the real machine; tests build one by hand).
:func:`evaluate`
turns a snapshot into a :class:`HardeningReport`, which is stored as JSON under
``<data_dir>/ops/`` (the newest also as ``hardening-latest.json``).

Sign-in and the cookie secret reuse ``core.auth.production`` (what ``serve.py`` refuses
to start without); the upload limit reuses ``core.security.uploads``.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.config import Settings
from core.i18n import N_
from core.ops.snapshot import Environment, parse_time

Status = Literal["pass", "warn", "fail"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail")
REPORT_FORMAT = "barberpro-hardening/1"
# A daily backup with two hours of slack; a restore drill at least weekly, a day of slack.
BACKUP_MAX_AGE = timedelta(hours=26)
DRILL_MAX_AGE = timedelta(days=8)
LATEST_NAME = "hardening-latest.json"


@dataclass(frozen=True)
class Finding:
    """A check's verdict: the status and what was observed (a msgid and its values)."""

    status: Status
    evidence: str
    params: Mapping[str, object] = field(default_factory=dict)


def _pass(evidence: str, **params: object) -> Finding:
    return Finding("pass", evidence, params)


def _warn(evidence: str, **params: object) -> Finding:
    return Finding("warn", evidence, params)


def _fail(evidence: str, **params: object) -> Finding:
    return Finding("fail", evidence, params)


@dataclass(frozen=True)
class CheckSpec:
    """One item of the audit: what it checks, how to fix it, how much it weighs."""

    id: str
    title: str
    fix: str
    # Share in the coming launch-readiness score: 3 would expose data or lose it, 1 is tidiness.
    weight: int
    check: Callable[[Environment], Finding]


def _check_production_mode(env: Environment) -> Finding:
    if env.settings.is_production:
        return _pass(N_("BARBERPRO_ENV is production"))
    return _fail(N_("BARBERPRO_ENV is {value}"), value=env.settings.environment)


def _check_postgresql(env: Environment) -> Finding:
    if env.settings.is_sqlite:
        return _fail(N_("the database is the embedded SQLite file"))
    return _pass(N_("the database is PostgreSQL"))


def _check_sign_in(env: Environment) -> Finding:
    if env.sign_in_problem:
        return _fail(N_("sign-in: {problem}"), problem=env.sign_in_problem)
    return _pass(N_("an active administrator can sign in"))


def _check_cookie_secret(env: Environment) -> Finding:
    problems = [p for p in (env.cookie_secret_problem, env.sealing_problem) if p]
    if problems:
        return _fail(N_("secrets: {problem}"), problem="; ".join(problems))
    return _pass(N_("the cookie secret is set and is not a placeholder"))


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _check_bound_address(env: Environment) -> Finding:
    if _is_loopback(env.host):
        return _pass(N_("the console listens on {host} (this machine only)"), host=env.host)
    proxy = env.settings.trusted_proxy
    if proxy is None:
        return _fail(
            N_("the console listens on {host} with no proxy declared (BARBERPRO_TRUSTED_PROXY)"),
            host=env.host or "*",
        )
    if _is_loopback(proxy):
        # A proxy on this machine reaches 127.0.0.1: a wider address only exposes the console.
        return _fail(
            N_("the console listens on {host} although its proxy ({proxy}) is on this machine"),
            host=env.host or "*",
            proxy=proxy,
        )
    return _pass(
        N_("the console listens on {host} for the proxy at {proxy}"),
        host=env.host or "*",
        proxy=proxy,
    )


def _check_tls(env: Environment) -> Finding:
    if not env.settings.tls_proxy:
        return _fail(N_("no TLS-terminating proxy is declared (BARBERPRO_TLS_PROXY)"))
    if not env.settings.trusted_proxy:
        # Without it X-Forwarded-Proto is not believed: the session cookie is not marked
        # Secure, and every sign-in failure counts against the proxy's address.
        return _warn(
            N_(
                "a TLS proxy is declared but BARBERPRO_TRUSTED_PROXY is not set: the session "
                "cookie is not marked Secure and lockouts see the proxy's address"
            )
        )
    return _pass(
        N_("a TLS proxy is declared; {proxy} is the trusted proxy"),
        proxy=env.settings.trusted_proxy,
    )


def _check_error_details(env: Environment) -> Finding:
    if str(env.show_error_details).strip().lower() == "none":
        return _pass(N_('client.showErrorDetails is "none"'))
    return _fail(N_("client.showErrorDetails is {value}"), value=repr(env.show_error_details))


def _check_upload_limit(env: Environment) -> Finding:
    from core.security.uploads import MAX_UPLOAD_MB, upload_limit_problem

    if upload_limit_problem(env.max_upload_size) is None:
        return _pass(N_("server.maxUploadSize is {value} MB, the app's limit"), value=MAX_UPLOAD_MB)
    return _fail(
        N_("server.maxUploadSize is {value}; the app's limit is {limit} MB"),
        value=repr(env.max_upload_size),
        limit=MAX_UPLOAD_MB,
    )


def _check_webhook_allowlist(env: Environment) -> Finding:
    hosts = env.settings.webhook_hosts
    if env.settings.webhook_allow_local:
        return _fail(N_("BARBERPRO_WEBHOOK_ALLOW_LOCAL is on: webhooks may reach this machine"))
    if not hosts:
        return _fail(N_("BARBERPRO_WEBHOOK_HOSTS is empty"))
    if any(host.strip() in {"*", "*."} for host in hosts):
        return _fail(
            N_("BARBERPRO_WEBHOOK_HOSTS has a bare wildcard: {hosts}"), hosts=", ".join(hosts)
        )
    return _pass(N_("webhooks go only to {hosts}"), hosts=", ".join(hosts))


def _check_sqlite_permissions(env: Environment) -> Finding:
    if not env.settings.is_sqlite:
        return _pass(N_("PostgreSQL: no database file on this machine"))
    if not env.sqlite_files:
        return _warn(N_("the SQLite database file does not exist yet"))
    loose = {name: mode for name, mode in env.sqlite_files.items() if mode & 0o077}
    if loose:
        shown = ", ".join(f"{name} {mode:04o}" for name, mode in sorted(loose.items()))
        return _fail(N_("readable by others: {files}"), files=shown)
    return _pass(N_("owner-only (0600): {files}"), files=", ".join(sorted(env.sqlite_files)))


def _check_migrations(env: Environment) -> Finding:
    if env.current_revisions is None:
        return _fail(N_("the schema revision could not be read: {error}"), error=env.revision_error)
    current, heads = sorted(env.current_revisions), sorted(env.head_revisions)
    if current == heads:
        return _pass(N_("the schema is at head ({revision})"), revision=", ".join(heads))
    return _fail(
        N_("the schema is at {current}; head is {head}"),
        current=", ".join(current) or "-",
        head=", ".join(heads),
    )


def _age(env: Environment, moment: datetime) -> str:
    hours = (env.now - moment).total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.0f} d"


def _check_backups(env: Environment) -> Finding:
    state = env.backups
    if state is None or state.newest is None:
        where = str(state.directory) if state else "-"
        if state and state.unreadable:
            return _fail(
                N_("no readable backup manifest in {dir} ({n} unreadable)"),
                dir=where,
                n=len(state.unreadable),
            )
        return _fail(N_("no backup manifest in {dir}"), dir=where)
    created = parse_time(state.newest.get("created_at"))
    if created is None:
        return _fail(
            N_("the newest manifest {name} has no valid created_at"), name=state.newest_name
        )
    if env.now - created > BACKUP_MAX_AGE:
        return _fail(
            N_("the newest backup ({name}) is {age} old"),
            name=state.newest_name,
            age=_age(env, created),
        )
    if not state.newest_file_present:
        return _warn(
            N_("the newest manifest ({name}) names a file that is not there: {file}"),
            name=state.newest_name,
            file=str(state.newest.get("file")),
        )
    return _pass(
        N_("the newest backup ({name}) is {age} old"),
        name=state.newest_name,
        age=_age(env, created),
    )


def _check_restore_drill(env: Environment) -> Finding:
    state = env.backups
    if state is not None and state.drill_error:
        return _fail(N_("drills.jsonl cannot be read: {error}"), error=state.drill_error)
    if state is None or state.drill is None:
        return _fail(N_("no restore drill recorded"))
    at = parse_time(state.drill.get("at"))
    if at is None:
        return _fail(N_("the last restore drill has no valid time"))
    if state.drill.get("passed") is not True:
        return _fail(N_("the last restore drill ({age} ago) failed"), age=_age(env, at))
    if env.now - at > DRILL_MAX_AGE:
        return _fail(N_("the last restore drill passed {age} ago"), age=_age(env, at))
    return _pass(N_("the last restore drill passed {age} ago"), age=_age(env, at))


def _check_dependency_pins(env: Environment) -> Finding:
    if env.unpinned:
        return _fail(N_("not pinned with ==: {lines}"), lines="; ".join(env.unpinned))
    if env.vulnerability_scan is None:
        return _warn(
            N_("pins present, no vulnerability database offline ({note})"),
            note=env.vulnerability_scan_note,
        )
    if env.vulnerability_scan:
        return _fail(
            N_("known vulnerabilities in: {packages}"), packages=", ".join(env.vulnerability_scan)
        )
    return _pass(N_("every requirement is pinned; pip-audit found no known vulnerability"))


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "production_mode",
        N_("Production mode"),
        N_(
            "Set BARBERPRO_ENV=production for the console and the scheduler "
            "(deploy/run_prod.py does)."
        ),
        3,
        _check_production_mode,
    ),
    CheckSpec(
        "postgresql",
        N_("PostgreSQL database"),
        N_("Point BARBERPRO_DATABASE_URL at PostgreSQL (postgresql+psycopg://...)."),
        3,
        _check_postgresql,
    ),
    CheckSpec(
        "sign_in",
        N_("Sign-in works"),
        N_("Add an administrator: python -m core.users add --role admin --password-stdin ..."),
        3,
        _check_sign_in,
    ),
    CheckSpec(
        "cookie_secret",
        N_("Cookie secret"),
        N_(
            "Set BARBERPRO_COOKIE_SECRET to 32+ random characters (python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')."
        ),
        3,
        _check_cookie_secret,
    ),
    CheckSpec(
        "bound_address",
        N_("Listening address"),
        N_(
            "Set BARBERPRO_HOST=127.0.0.1 with the reverse proxy on this machine; a proxy on "
            "another machine: declare its address in BARBERPRO_TRUSTED_PROXY and firewall the port."
        ),
        2,
        _check_bound_address,
    ),
    CheckSpec(
        "tls",
        N_("TLS in front"),
        N_(
            "Terminate TLS in a reverse proxy, then set BARBERPRO_TLS_PROXY=true and "
            "BARBERPRO_TRUSTED_PROXY to its address."
        ),
        3,
        _check_tls,
    ),
    CheckSpec(
        "error_details",
        N_("Error details hidden"),
        N_(
            'Set client.showErrorDetails = "none" in .streamlit/config.toml and unset '
            "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS."
        ),
        2,
        _check_error_details,
    ),
    CheckSpec(
        "upload_limit",
        N_("Upload limit"),
        N_(
            "Set server.maxUploadSize in .streamlit/config.toml to "
            "core.security.uploads.MAX_UPLOAD_MB and unset STREAMLIT_SERVER_MAX_UPLOAD_SIZE."
        ),
        1,
        _check_upload_limit,
    ),
    CheckSpec(
        "webhook_allowlist",
        N_("Webhook allowlist"),
        N_(
            "Unset BARBERPRO_WEBHOOK_ALLOW_LOCAL and list the webhook hosts in "
            "BARBERPRO_WEBHOOK_HOSTS (no bare *)."
        ),
        2,
        _check_webhook_allowlist,
    ),
    CheckSpec(
        "sqlite_permissions",
        N_("Database file permissions"),
        N_("chmod 600 the SQLite file and its -wal/-shm files (better: use PostgreSQL)."),
        2,
        _check_sqlite_permissions,
    ),
    CheckSpec(
        "migrations",
        N_("Schema at head"),
        N_("Run python -m core.migrate."),
        2,
        _check_migrations,
    ),
    CheckSpec(
        "backups",
        N_("Recent backup"),
        N_(
            "Take a backup now (python -m core.backup create) and let the scheduler's nightly "
            "job keep them (set BARBERPRO_BACKUP_DIR)."
        ),
        3,
        _check_backups,
    ),
    CheckSpec(
        "restore_drill",
        N_("Restore drill"),
        N_(
            "Run a restore drill on the newest backup (weekly at least) and record it "
            "in drills.jsonl."
        ),
        2,
        _check_restore_drill,
    ),
    CheckSpec(
        "dependency_pins",
        N_("Dependency pins"),
        N_(
            "Pin every line of requirements*.txt with ==; run pip-audit where a vulnerability "
            "database is reachable."
        ),
        1,
        _check_dependency_pins,
    ),
)


@dataclass(frozen=True)
class Item:
    """One checked item of a report. ``evidence`` and ``fix`` are msgids for ``params``."""

    id: str
    title: str
    status: Status
    evidence: str
    fix: str
    weight: int
    params: Mapping[str, object] = field(default_factory=dict)

    def evidence_text(self, gettext: Callable[[str], str] = str) -> str:
        # Values are what was observed (hosts, paths, English sentences from core.auth);
        # only a "note" is a msgid of this module.
        params = {k: gettext(str(v)) if k == "note" else v for k, v in self.params.items()}
        return gettext(self.evidence).format(**params)

    def fix_text(self, gettext: Callable[[str], str] = str) -> str:
        return gettext(self.fix)


@dataclass(frozen=True)
class HardeningReport:
    """The audit's verdict on one environment, at one moment, run by someone (or a shell)."""

    ran_at: datetime
    items: tuple[Item, ...]
    ran_by: str | None = None

    @property
    def failing(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items if item.status == "fail")

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items if item.status == "warn")

    def counts(self) -> dict[str, int]:
        return {status: sum(i.status == status for i in self.items) for status in STATUSES}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; English renderings beside the msgids for people reading it."""
        return {
            "format": REPORT_FORMAT,
            "ran_at": self.ran_at.isoformat(timespec="seconds"),
            "ran_by": self.ran_by,
            "counts": self.counts(),
            "items": [
                {
                    **asdict(item),
                    "params": {k: str(v) for k, v in item.params.items()},
                    "evidence_text": item.evidence_text(),
                    "fix_text": item.fix_text(),
                }
                for item in self.items
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HardeningReport:
        """The report :meth:`to_json` wrote (ValueError when it is not one)."""
        if data.get("format") != REPORT_FORMAT:
            raise ValueError(f"not a {REPORT_FORMAT} report")
        try:
            items = tuple(
                Item(
                    id=str(raw["id"]),
                    title=str(raw["title"]),
                    status=raw["status"] if raw["status"] in STATUSES else "fail",
                    evidence=str(raw["evidence"]),
                    fix=str(raw["fix"]),
                    weight=int(raw["weight"]),
                    params=dict(raw.get("params") or {}),
                )
                for raw in data["items"]
            )
            return cls(datetime.fromisoformat(data["ran_at"]), items, data.get("ran_by"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a readable {REPORT_FORMAT} report: {exc}") from None


def evaluate(env: Environment, checks: tuple[CheckSpec, ...] = CHECKS) -> HardeningReport:
    """Judge ``env`` against every check.

    Parameters
    ----------
    env
        The snapshot of the running configuration.
    checks
        The items to judge (default: all of :data:`CHECKS`, in their order).

    Returns
    -------
    HardeningReport
        One item per check, stamped with ``env.now``; no one as ``ran_by`` yet.
    """
    items = []
    for spec in checks:
        finding = spec.check(env)
        items.append(
            Item(
                spec.id,
                spec.title,
                finding.status,
                finding.evidence,
                spec.fix,
                spec.weight,
                dict(finding.params),
            )
        )
    return HardeningReport(env.now, tuple(items))


# -- storing ---------------------------------------------------------------------------------


def reports_dir(settings: Settings) -> Path:
    return settings.data_dir / "ops"


def store_report(report: HardeningReport, directory: Path) -> Path:
    """Write ``report`` as ``hardening-<timestamp>.json`` and as ``hardening-latest.json``.

    Both are owner-only (they describe the machine's weak spots); the latest is replaced
    atomically, so a page never reads half a file.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    path = directory / f"hardening-{report.ran_at:%Y%m%dT%H%M%S}.json"
    for target in (path, directory / LATEST_NAME):
        temporary = target.with_name(f".{target.name}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, target)
    return path


def latest_report(directory: Path) -> HardeningReport | None:
    """The newest stored report, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads((directory / LATEST_NAME).read_text(encoding="utf-8"))
        return HardeningReport.from_json(data)
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class RunHardeningAudit:
    """Record that an administrator ran the hardening audit (the audit row) and stamp the
    report with who ran it; the caller stores it once this commits."""

    report: HardeningReport
    required_capability: ClassVar[Capability | None] = Capability.EDIT_SETTINGS

    def validate(self, *, session: Session, actor: Any) -> None:
        pass  # the report was computed from the machine; nothing in the database to check

    def run(self, *, session: Session, actor: Any) -> HardeningReport:
        from core.schema import ConsoleUser

        user = session.get(ConsoleUser, actor.user_id)
        stamped = replace(self.report, ran_by=user.email if user is not None else None)
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="ops.hardening_audit",
            entity="hardening_audit",
            entity_id=stamped.ran_at.isoformat(timespec="seconds"),
            after={"counts": stamped.counts(), "failing": list(stamped.failing)},
        )
        return stamped
