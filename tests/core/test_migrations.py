"""The Alembic migrations build exactly the schema the ORM declares, on a fresh database,
and upgrading twice is a no-op."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import Base


@pytest.fixture
def database_url(migrated_from_scratch_url: str) -> str:
    """Every migration run on an empty database, not the per-process copy other tests get."""
    return migrated_from_scratch_url


def test_migrations_match_the_orm(database_url):
    upgrade_database(database_url)  # the fixture already upgraded: this must be a no-op
    engine = create_engine_for(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
