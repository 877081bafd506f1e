"""Settings from the environment: production's defaults and the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import (
    DEVELOPMENT_DATA_DIR,
    PRODUCTION_DATA_DIR,
    ConfigError,
    Settings,
    ground_truth_path_for,
)

PG = "postgresql+psycopg://barberpro@db.internal/barberpro"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name in (
        "BARBERPRO_ENV",
        "BARBERPRO_DATABASE_URL",
        "BARBERPRO_EMBEDDED_SCHEDULER",
        "BARBERPRO_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_embeds_the_scheduler_and_writes_under_data(env) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env()
    assert settings.embedded_scheduler is True
    assert settings.data_dir == DEVELOPMENT_DATA_DIR
    assert not settings.is_production


def test_production_never_starts_a_second_scheduler_by_default(env) -> None:  # type: ignore[no-untyped-def]
    env.setenv("BARBERPRO_ENV", "production")
    env.setenv("BARBERPRO_DATABASE_URL", PG)
    settings = Settings.from_env()
    assert settings.is_production
    assert settings.embedded_scheduler is False
    assert settings.data_dir == PRODUCTION_DATA_DIR
    env.setenv("BARBERPRO_EMBEDDED_SCHEDULER", "true")  # still possible, on purpose
    assert Settings.from_env().embedded_scheduler is True


def test_production_refuses_sqlite(env) -> None:  # type: ignore[no-untyped-def]
    env.setenv("BARBERPRO_ENV", "production")
    with pytest.raises(ConfigError, match="needs a PostgreSQL"):
        Settings.from_env()


def test_data_dir_must_be_an_absolute_directory(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env.setenv("BARBERPRO_DATA_DIR", "relative/dir")
    with pytest.raises(ConfigError, match="BARBERPRO_DATA_DIR must be an absolute path"):
        Settings.from_env()
    a_file = tmp_path / "file"
    a_file.write_text("")
    env.setenv("BARBERPRO_DATA_DIR", str(a_file))
    with pytest.raises(ConfigError, match="must be a directory"):
        Settings.from_env()
    env.setenv("BARBERPRO_DATA_DIR", str(tmp_path / "later"))  # created when first written
    assert Settings.from_env().data_dir == tmp_path / "later"


def test_ground_truth_goes_under_the_data_dir_for_postgresql(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env.setenv("BARBERPRO_DATA_DIR", str(tmp_path))
    assert ground_truth_path_for(PG) == tmp_path / "barberpro.ground_truth.json"
    assert (
        Settings.from_env().ground_truth_path
        == DEVELOPMENT_DATA_DIR / "barberpro.ground_truth.json"
    )
    sqlite_path = tmp_path / "elsewhere" / "demo.db"
    assert ground_truth_path_for(f"sqlite:///{sqlite_path}") == sqlite_path.with_suffix(
        ".ground_truth.json"
    )
