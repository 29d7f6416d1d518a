"""The Alembic history has one head and produces exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from connect.migrate import alembic_config
from models.base import Base


def test_one_head(settings):
    assert len(ScriptDirectory.from_config(alembic_config(settings.database_url)).get_heads()) == 1


def test_migrations_match_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
