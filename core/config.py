"""Settings: one object, read from the environment, validated once."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.clock import OFFSET_VARIABLE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///data/barberpro.db"
DEFAULT_CONSOLE_URL = "http://127.0.0.1:8501"
# Files the console writes beside its database (the demo generator's ground truth). In
# development that is the git-ignored data/ folder next to the default SQLite file; a
# production checkout may be read-only and is replaced on upgrade, so production writes
# to the state directory the systemd units create (StateDirectory=barberpro).
DEVELOPMENT_DATA_DIR = PROJECT_ROOT / "data"
PRODUCTION_DATA_DIR = Path("/var/lib/barberpro")
# Tests hash hundreds of passwords: "fast" keeps argon2id with a small memory cost
# (core.auth.passwords). Production ignores it.
FAST_HASH_VARIABLE = "BARBERPRO_PASSWORD_HASH"
# Outbound webhooks (core.security.webhooks): the hosts they may go to, and the switch that
# also lets them go to this machine over plain http (local stubs; production refuses it).
WEBHOOK_HOSTS_VARIABLE = "BARBERPRO_WEBHOOK_HOSTS"
WEBHOOK_ALLOW_LOCAL_VARIABLE = "BARBERPRO_WEBHOOK_ALLOW_LOCAL"
DEFAULT_WEBHOOK_HOSTS = ("hooks.slack.com",)
_HOST_PATTERN = re.compile(r"(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*")


_D = TypeVar("_D", Path, None)


class ConfigError(ValueError):
    """A setting has a value the console cannot run with."""


def _env_float(name: str, default: float, *, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _env_int(name: str, default: int, *, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _env_timeouts(name: str) -> tuple[tuple[str, float], ...]:
    """``job_id=seconds,job_id=seconds`` (0 turns a job's limit off)."""
    raw = os.environ.get(name, "").strip()
    timeouts: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        job_id, sep, seconds = item.partition("=")
        try:
            value = float(seconds) if sep and job_id.strip() else -1.0
        except ValueError:
            value = -1.0
        if value < 0:
            raise ConfigError(
                f"{name} must look like 'dashboard_frames=600,health_scores=900' "
                f"(seconds, 0 for no limit), got {item!r}"
            )
        timeouts[job_id.strip()] = value
    return tuple(timeouts.items())


def _env_hosts(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """``host,host,*.domain``: lower-case host names (``*.`` for any subdomain)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    hosts = []
    for item in filter(None, (part.strip().lower().rstrip(".") for part in raw.split(","))):
        if not _HOST_PATTERN.fullmatch(item):
            raise ConfigError(
                f"{name} must be comma-separated host names like 'hooks.slack.com' "
                f"(or '*.example.com' for its subdomains), got {item!r}"
            )
        hosts.append(item)
    return tuple(dict.fromkeys(hosts))


def resolve_database_url(raw: str) -> str:
    """Validate a database URL and make a relative SQLite path absolute to the project.

    Raises
    ------
    ConfigError
        When the URL cannot be parsed or names a backend the console does not support.
    """
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"BARBERPRO_DATABASE_URL is not a valid database URL: {raw!r}") from None
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ConfigError(f"BARBERPRO_DATABASE_URL must be sqlite or postgresql, got {backend!r}")
    if backend == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        url = url.set(database=str(path))
    return url.render_as_string(hide_password=False)


@dataclass(frozen=True)
class Settings:
    """Everything the console reads from its environment."""

    database_url: str = field(default_factory=lambda: resolve_database_url(DEFAULT_DATABASE_URL))
    refresh_interval_s: float = 30.0
    simulator_enabled: bool = True
    # Simulated platform events (new bookings, status changes, payments...) per minute.
    simulator_rate_per_min: float = 120.0
    embedded_scheduler: bool = True
    environment: str = "development"
    # Age after which the detail tables (core/metrics/detail.py) are recomputed.
    detail_refresh_s: float = 300.0
    # Seconds the model jobs (health, churn, alerts) wait after a scheduler starts.
    model_jobs_delay_s: float = 120.0
    # Longest a page's statement may run (PostgreSQL statement_timeout, a progress-handler
    # deadline on SQLite); 0 for no limit. Pages read snapshots, so seconds is plenty.
    page_statement_timeout_s: float = 20.0
    # Per job id, overriding the job's declared limit (JobSpec.statement_timeout_s).
    job_statement_timeouts: tuple[tuple[str, float], ...] = ()
    data_dir: Path = DEVELOPMENT_DATA_DIR
    # Sign-in (core.auth): a session ends after this long without a click or a page
    # (automatic refreshes don't count); wall screens (role display) get the longer one.
    session_idle_timeout_s: float = 8 * 3600.0
    display_idle_timeout_s: float = 30 * 86400.0
    # This many failures within the lock window lock an account (or an address) for it.
    lockout_failures: int = 5
    address_lockout_failures: int = 20
    lockout_window_s: float = 15 * 60.0
    # The reverse proxy whose X-Forwarded-For is believed; None: the peer address is used.
    trusted_proxy: str | None = None
    # Outbound webhooks (core.security.webhooks): https to these hosts' public addresses;
    # webhook_allow_local also lets http and this machine's loopback through (tests only).
    webhook_hosts: tuple[str, ...] = DEFAULT_WEBHOOK_HOSTS
    webhook_allow_local: bool = False
    # A TLS-terminating reverse proxy is in front of the console (BARBERPRO_TLS_PROXY):
    # declared by the operator, checked by the hardening audit (core.ops.hardening).
    tls_proxy: bool = False
    # Where backups and their manifests go; None: <data_dir>/backups (see backups_dir).
    backup_dir: Path | None = None
    # How many backups core.backup keeps (older files and their manifests are deleted).
    backup_keep: int = 7
    # The ops channel (core.ops): where incidents are sent. The webhook follows the same
    # address rules as every webhook (core.security.webhooks); e-mail goes by SMTP.
    ops_webhook_url: str | None = None
    ops_email: str | None = None
    # Seconds between two evaluations of every monitor by the watchdog (core.ops.watchdog).
    watchdog_interval_s: float = 30.0
    # The JSON API (api/): each token may make this many writes (POST) per minute, counted
    # in the database so every API process and replica shares the count (429 past it).
    api_write_limit_per_minute: int = 60
    # The console's address as its users reach it: the API's links into it (an
    # onboarding's resume link) start with it.
    console_url: str = DEFAULT_CONSOLE_URL

    @classmethod
    def from_env(cls) -> Settings:
        environment = os.environ.get("BARBERPRO_ENV", "development").strip() or "development"
        if environment not in {"development", "test", "production"}:
            raise ConfigError(
                f"BARBERPRO_ENV must be development, test or production, got {environment!r}"
            )
        raw_url = os.environ.get("BARBERPRO_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        if environment == "production" and raw_url.startswith("sqlite"):
            raise ConfigError(
                "BARBERPRO_ENV=production needs a PostgreSQL BARBERPRO_DATABASE_URL, "
                "not the embedded SQLite file"
            )
        production = environment == "production"
        data_dir = _env_dir(
            "BARBERPRO_DATA_DIR", PRODUCTION_DATA_DIR if production else DEVELOPMENT_DATA_DIR
        )
        if production and os.environ.get(OFFSET_VARIABLE, "").strip():
            raise ConfigError(
                f"BARBERPRO_ENV=production refuses {OFFSET_VARIABLE}: a shifted clock is for tests"
            )
        allow_local = _env_bool(WEBHOOK_ALLOW_LOCAL_VARIABLE, False)
        if production and allow_local:
            raise ConfigError(
                f"BARBERPRO_ENV=production refuses {WEBHOOK_ALLOW_LOCAL_VARIABLE}=true: webhooks "
                "to this machine over plain http are for local stubs and tests"
            )
        return cls(
            database_url=resolve_database_url(raw_url),
            refresh_interval_s=_env_float("BARBERPRO_REFRESH_INTERVAL_S", 30.0, minimum=1.0),
            simulator_enabled=_env_bool("BARBERPRO_SIMULATOR", True),
            simulator_rate_per_min=_env_float("BARBERPRO_SIMULATOR_RATE", 120.0, minimum=0.0),
            # Production runs `python scheduler.py` as its own process (deploy/), next to
            # one or more console processes: a console that also scheduled would double
            # the model jobs on every replica. Development keeps `streamlit run app.py`
            # self-sufficient.
            embedded_scheduler=_env_bool("BARBERPRO_EMBEDDED_SCHEDULER", not production),
            environment=environment,
            detail_refresh_s=_env_float("BARBERPRO_DETAIL_REFRESH_S", 300.0, minimum=1.0),
            model_jobs_delay_s=_env_float("BARBERPRO_MODEL_JOBS_DELAY_S", 120.0, minimum=0.0),
            page_statement_timeout_s=_env_float(
                "BARBERPRO_PAGE_STATEMENT_TIMEOUT_S", 20.0, minimum=0.0
            ),
            job_statement_timeouts=_env_timeouts("BARBERPRO_JOB_STATEMENT_TIMEOUTS"),
            data_dir=data_dir,
            session_idle_timeout_s=3600.0
            * _env_float("BARBERPRO_SESSION_IDLE_HOURS", 8.0, minimum=0.01),
            display_idle_timeout_s=86400.0
            * _env_float("BARBERPRO_DISPLAY_SESSION_DAYS", 30.0, minimum=0.01),
            lockout_failures=int(_env_float("BARBERPRO_LOCKOUT_FAILURES", 5, minimum=1)),
            address_lockout_failures=int(
                _env_float("BARBERPRO_ADDRESS_LOCKOUT_FAILURES", 20, minimum=1)
            ),
            lockout_window_s=60.0 * _env_float("BARBERPRO_LOCKOUT_MINUTES", 15.0, minimum=1.0),
            trusted_proxy=os.environ.get("BARBERPRO_TRUSTED_PROXY", "").strip() or None,
            webhook_hosts=_env_hosts(WEBHOOK_HOSTS_VARIABLE, DEFAULT_WEBHOOK_HOSTS),
            webhook_allow_local=allow_local,
            tls_proxy=_env_bool("BARBERPRO_TLS_PROXY", False),
            backup_dir=_env_dir("BARBERPRO_BACKUP_DIR", None),
            backup_keep=int(_env_float("BARBERPRO_BACKUP_KEEP", 7, minimum=1)),
            ops_webhook_url=os.environ.get("BARBERPRO_OPS_WEBHOOK_URL", "").strip() or None,
            ops_email=os.environ.get("BARBERPRO_OPS_EMAIL", "").strip() or None,
            watchdog_interval_s=_env_float("BARBERPRO_WATCHDOG_INTERVAL_S", 30.0, minimum=1.0),
            api_write_limit_per_minute=_env_int("BARBERPRO_API_WRITE_LIMIT_PER_MINUTE", 60),
            console_url=_env_console_url(),
        )

    def statement_timeout_for(self, job_id: str, declared_s: float | None) -> float | None:
        """A job's statement limit in seconds: the setting if given, else its declared one."""
        limit = dict(self.job_statement_timeouts).get(job_id, declared_s)
        return limit or None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def backups_dir(self) -> Path:
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"

    @property
    def ground_truth_path(self) -> Path:
        return ground_truth_path_for(self.database_url, data_dir=self.data_dir)


def _env_console_url() -> str:
    raw = os.environ.get("BARBERPRO_CONSOLE_URL", "").strip() or DEFAULT_CONSOLE_URL
    if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", raw):
        raise ConfigError(
            f"BARBERPRO_CONSOLE_URL must be an http(s) address such as {DEFAULT_CONSOLE_URL}, "
            f"got {raw!r}"
        )
    return raw.rstrip("/")


def _env_dir(name: str, default: _D) -> Path | _D:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise ConfigError(f"{name} must be an absolute path, got {raw!r}")
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{name} must be a directory, got the file {raw!r}")
    return path


def ground_truth_path_for(database_url: str, *, data_dir: Path | None = None) -> Path:
    """Where the demo generator writes its latent truth: next to the database, not in it.

    For SQLite that is beside the file; for PostgreSQL, in the data directory
    (``BARBERPRO_DATA_DIR``; default ``data/`` in development) named after the database,
    never in the code tree of a production checkout.
    """
    url = make_url(resolve_database_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_suffix(".ground_truth.json")
    folder = data_dir if data_dir is not None else get_settings().data_dir
    return folder / f"{url.database or 'barberpro'}.ground_truth.json"


def demo_accounts_path_for(database_url: str, *, data_dir: Path | None = None) -> Path:
    """Where the demo accounts' generated passwords are written (owner-only, git-ignored)."""
    truth = ground_truth_path_for(database_url, data_dir=data_dir)
    return truth.with_name(truth.name.replace(".ground_truth.json", ".demo-accounts.txt"))


def get_settings() -> Settings:
    return Settings.from_env()
