"""Create or migrate the database to the newest schema (Alembic)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from core.config import PROJECT_ROOT
from core.db import check_connection, get_engine


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str | None = None) -> None:
    """Apply every pending migration; a no-op when the schema is current."""
    check_connection(get_engine(database_url))
    # "heads": branches developed in parallel upgrade before their merge revision exists.
    command.upgrade(alembic_config(database_url), "heads")
    # the bundled CPI series, only into an empty table
    from core.inflation.table import seed_cpi_if_empty

    seed_cpi_if_empty(get_engine(database_url))


def main() -> int:
    import sys

    from core.config import ConfigError
    from core.db import DatabaseUnavailable

    try:
        upgrade_database()
    except (ConfigError, DatabaseUnavailable) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 2
    print("migrate: the database schema is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
